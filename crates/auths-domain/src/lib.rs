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
//! - principals, roles and every permission rule ([`principal`]);
//! - the repository traits the application calls ([`ports`]), and, behind the
//!   `memory` feature, an in-memory implementation of them ([`memory`]) for tests and
//!   for services that want the rules without a database;
//! - the errors ([`error`]).
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
#[cfg(feature = "memory")]
pub mod memory;
pub mod ports;
pub mod principal;
pub mod raw;
pub mod scoped_search;
pub mod search;
pub mod upload;
pub mod values;

pub use audit::{AuditFilter, AuditRecord, NewAuditRecord};
pub use auth::{Auth, AuthContent, AuthFields, DescriptionChoice, NameChoice, NewAuth};
pub use catalog::{CatalogEntry, CatalogKind, EntryRef, ItemRef, NewCatalogEntry};
pub use draft::{Change, Draft, DraftPatch, DraftValues};
pub use error::{FieldProblem, Invalid, RepoError};
pub use ids::{AuthId, DraftId, EntryId, GroupId, PrincipalId};
pub use ports::{
    AuditRepository, AuthRepository, CatalogRepository, DraftRepository, Page, PageRequest,
    PrincipalRepository, Repositories, Store, Transaction, UploadRepository,
};
pub use principal::{Caller, Channel, Denied, KeyRecord, NewPrincipal, Operation, Principal, Role};
pub use raw::RawFields;
pub use search::{AuthHits, AuthQuery, search_terms};
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
