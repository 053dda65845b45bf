//! # auths-domain
//!
//! The rules of *auths*: authentication-source configurations (LDAP, OIDC, SAML,
//! Kerberos, "external" web-server auth, ...) kept as versioned records composed of
//! sections that point at shared catalog entries.
//!
//! This crate does no I/O. It holds:
//! - validated values ([`values`], [`ids`]): an [`AuthName`] or a [`Slug`] that exists
//!   is valid, because its only constructor checks it;
//! - the auth and its composition ([`auth`]), catalogs ([`catalog`]), drafts
//!   ([`draft`]);
//! - the sections of an auth as one vocabulary ([`section`]), and the text form of its
//!   fields ([`raw`]);
//! - principals, roles and every permission rule ([`principal`]), with refusals as
//!   [`Denial`]s;
//! - Foreman's scoped_search language, checked against typed fields and evaluated
//!   against records ([`scoped_search`], [`external`]);
//! - the repository traits the application calls ([`ports`]); adapters live in other
//!   crates (`auths-store` over SQL, `auths-memory` in memory);
//! - the errors, as types ([`error`]).
//!
//! ```
//! use auths_domain::{AuthName, Slug};
//!
//! let name = AuthName::parse("  Corp LDAP ").unwrap();
//! assert_eq!(name.as_str(), "Corp LDAP");
//! assert!(Slug::parse("corp-ldap").is_ok());
//! assert!(Slug::parse("Corp LDAP").is_err());
//! ```

pub mod audit;
pub mod auth;
pub mod catalog;
pub mod draft;
pub mod error;
pub mod external;
pub mod ids;
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
pub use catalog::{CatalogEntry, CatalogKind, EntryRef, EntryText, ItemRef, NewCatalogEntry};
pub use draft::{Change, Draft, DraftPatch, DraftValues};
pub use error::{Constraint, EntryKey, FieldProblem, Invalid, RepoError, Required, Rule};
pub use ids::{AuthId, DraftId, EntryId, GroupId, PrincipalId};
pub use ports::{
    AuditRepository, AuthRepository, CatalogRepository, DraftRepository, Page, PageRequest,
    PrincipalRepository, Repositories, Store, Transaction, UploadRepository,
};
pub use principal::{Caller, Channel, Denial, KeyRecord, NewPrincipal, Operation, Principal, Role};
pub use raw::{Fields, RawFields};
pub use search::{AuthHits, AuthQuery, search_terms};
pub use section::Section;
pub use upload::Upload;
pub use values::{AuthName, Description, ItemData, Label, Slug};

/// The repository traits, for `use auths_domain::prelude::*;` where a transaction
/// handle's methods are called.
pub mod prelude {
    pub use crate::ports::{
        AuditRepository, AuthRepository, CatalogRepository, DraftRepository, PrincipalRepository,
        Repositories, Store, Transaction, UploadRepository,
    };
}
