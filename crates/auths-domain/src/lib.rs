//! # auths-domain
//!
//! The rules of *auths*: authentication-source configurations (LDAP, OIDC, SAML,
//! Kerberos, "external" web-server auth, ...) kept as versioned records composed of
//! sections that point at shared catalog entries. The `authsd` server is built on this
//! crate; another Rust service can embed it to build, check, evaluate and serialize
//! auths with the same rules, without the server and without a database.
//!
//! This crate does no I/O. It holds:
//! - validated values ([`values`], [`ids`]): an [`AuthName`] or a [`Slug`] that exists
//!   is valid, because its only constructor checks it;
//! - the auth and its composition ([`auth`], [`compose`]), catalogs ([`catalog`]),
//!   building an auth from text in memory ([`builder`]), drafts ([`draft`]);
//! - the sections of an auth as one vocabulary ([`section`]), and the text form of its
//!   fields ([`raw`]);
//! - principals, roles and every permission rule ([`principal`]), with refusals as
//!   [`Denial`]s;
//! - Foreman's scoped_search language, checked against typed fields and evaluated
//!   against records ([`scoped_search`], [`external`]);
//! - Foreman's LDAP auth sources as auths with items: their parameters, defaults and
//!   validations, and the port a directory test goes through ([`ldap`]);
//! - the repository traits a store implements ([`ports`]); adapters live in other
//!   crates (`auths-store` over SQL, `auths-memory` in memory);
//! - the errors, as types with stable codes ([`error`]).
//!
//! Every refusal is a value with a code to switch on and a sentence to show: a
//! [`FieldProblem`] names its field and its [`Rule`], a [`Denial`] its reason.
//!
//! ## Build and check an auth
//!
//! ```
//! use auths_domain::{AuthBuilder, Catalogs, CatalogKind};
//!
//! let mut catalogs = Catalogs::seeded(); // the spec's flags and protocols
//! catalogs.add_label(CatalogKind::Departments, "Finance")?;
//! let content = AuthBuilder::new("Corp LDAP")
//!     .protocol("ldap")
//!     .department("Finance")
//!     .build(&mut catalogs)?;
//! assert_eq!(content.protocol_ids[0].as_str(), "protocol-ldap");
//!
//! // Every problem at once, each with its field and rule.
//! let err = AuthBuilder::new("").department("HR").build(&mut catalogs).unwrap_err();
//! let found: Vec<_> = err.problems.iter().map(|p| (p.field.as_str(), p.rule.code())).collect();
//! assert_eq!(
//!     found,
//!     [("name", "blank"), ("protocol_ids", "required"), ("department_ids", "unknown_entry")]
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Decide a permission
//!
//! ```
//! use auths_domain::{Caller, Channel, Denial, EntryId, EntryRef, Operation, Principal, PrincipalId, Role};
//!
//! let finance = EntryRef { id: EntryId::parse("d-fin")?, label: "Finance".into() };
//! let editor = Caller {
//!     principal: Principal {
//!         id: PrincipalId::parse("p1")?,
//!         name: "alice".into(),
//!         role: Role::Editor,
//!         departments: Some(vec![finance.clone()]),
//!         allow_mcp_writes: false,
//!     },
//!     channel: Channel::Api,
//!     client: None,
//! };
//! assert!(editor.may(Operation::Update).is_ok());
//! let hr = EntryRef { id: EntryId::parse("d-hr")?, label: "HR".into() };
//! let flag = EntryRef { id: EntryId::parse("flag-active")?, label: "active".into() };
//! assert!(matches!(
//!     editor.edit_denial(&flag, &[hr]),
//!     Some(Denial::OutsideDepartment { .. })
//! ));
//! assert_eq!(editor.edit_denial(&flag, &[finance]), None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Evaluate a query
//!
//! ```
//! use auths_domain::external::{ExternalField, ExternalRecord, Taxon};
//! use auths_domain::scoped_search::{check, matches, parse};
//!
//! let record = ExternalRecord {
//!     number: 7,
//!     name: "Kiosk SSO".into(),
//!     locations: vec![Taxon { number: 2, label: "Berlin".into() }],
//!     organizations: vec![],
//!     host: None,
//! };
//! let query = parse("name ~ kiosk* and location = berlin")?.expect("a query");
//! let filter = check(&query, ExternalField::Name)?;
//! assert!(matches(&filter, &record));
//! let bad = check(&parse("colour = red")?.expect("a query"), ExternalField::Name);
//! assert_eq!(bad.unwrap_err().to_string(), "Field 'colour' not recognized for searching!");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Apply and publish a draft
//!
//! ```
//! use auths_domain::chrono::{DateTime, Utc};
//! use auths_domain::{Change, Draft, DraftId, DraftPatch, DraftValues, PrincipalId, PublishRefusal};
//!
//! let t = DateTime::<Utc>::UNIX_EPOCH;
//! let mut draft = Draft {
//!     draft_id: DraftId::parse("d1")?,
//!     owner: PrincipalId::parse("p1")?,
//!     auth_id: None,
//!     base_version: None,
//!     version: 1,
//!     values: DraftValues::default(),
//!     created_at: t,
//!     updated_at: t,
//! };
//! let patch = DraftPatch {
//!     name: Change::Set("Corp LDAP".into()),
//!     protocol_ids: Change::Set(vec!["protocol-ldap".into()]),
//!     ..DraftPatch::default()
//! };
//! draft.apply(1, patch, t)?; // made against version 1
//! assert_eq!(draft.version, 2);
//! let fields = draft.publish_new()?; // what publishing writes
//! assert!(fields.require_complete().is_ok());
//! assert!(matches!(
//!     draft.apply(1, DraftPatch::default(), t),
//!     Err(auths_domain::EditRefusal::Stale(auths_domain::StaleVersion { current: 2, .. }))
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

/// The date and time types of the domain's public API (`chrono`), re-exported so that
/// an embedder uses the same version.
pub use chrono;

pub mod audit;
pub mod auth;
pub mod builder;
pub mod catalog;
pub mod compose;
pub mod draft;
pub mod error;
pub mod external;
pub mod history;
pub mod ids;
pub mod ldap;
pub mod ports;
pub mod principal;
pub mod raw;
pub mod scoped_search;
pub mod search;
pub mod section;
pub mod upload;
pub mod values;

pub use audit::{AuditFilter, AuditRecord, NewAuditRecord};
pub use auth::{Auth, AuthContent, AuthFields, DescriptionChoice, NameChoice, NewAuth};
pub use builder::{AuthBuilder, Catalogs};
pub use catalog::{CatalogEntry, CatalogKind, EntryRef, EntryText, ItemRef, NewCatalogEntry};
pub use compose::{Composition, Examination, Lookup, Refusal, Stamp, examine};
pub use draft::{
    Change, Draft, DraftPatch, DraftValues, EditRefusal, PublishRefusal, StaleVersion,
};
pub use error::{Constraint, EntryKey, FieldProblem, Invalid, RepoError, Required, Rule};
pub use ids::{AuthId, DraftId, EntryId, GroupId, PrincipalId};
pub use ports::{
    AuditRepository, AuthRepository, BatchPlan, CatalogRepository, DraftRepository, FormRead,
    ItemRepository, Page, PageRequest, PrincipalRepository, Repositories, SecretRepository, Store,
    Transaction, UploadRepository, VersionRepository,
};
pub use principal::{
    Caller, Channel, Denial, KeyRecord, MAX_CLIENT_CHARS, NewPrincipal, Operation, Principal, Role,
    client_name,
};
pub use raw::{Fields, RawFields};
pub use search::index::SearchIndex;
pub use search::{AuthHits, AuthQuery, search_terms};
pub use section::Section;
pub use upload::Upload;
pub use values::{AuthName, Description, ItemData, Label, Slug};

/// The repository traits, for `use auths_domain::prelude::*;` where a transaction
/// handle's methods are called.
pub mod prelude {
    pub use crate::ports::{
        AuditRepository, AuthRepository, CatalogRepository, DraftRepository, ItemRepository,
        PrincipalRepository, Repositories, SecretRepository, Store, Transaction, UploadRepository,
        VersionRepository,
    };
}
