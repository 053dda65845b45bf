//! # auths-app
//!
//! The use cases of auths, one method per operation on [`AuthService`], generic over the
//! domain's [`auths_domain::Store`] port. Each use case checks permissions with the
//! domain's rules, runs its storage calls in one transaction, and answers domain values
//! or an [`AppError`]. Nothing here knows HTTP or SQL.

mod answers;
pub mod audit;
mod clock;
mod error;
pub mod keys;
mod service;
mod use_cases;

pub use clock::{new_id, now};
pub use error::{AppError, Conflict, EntryAction, Missing};
pub use keys::{Credential, IssuedKey, KeySpec};
pub use service::{AuthService, Settings};
pub use use_cases::bulk::MAX_BULK_ITEMS;
pub use use_cases::create::{CreateItem, CreateOutcome, NewAuthSource};
pub use use_cases::drafts::{DraftEdit, DraftView, FormState};
pub use use_cases::dry_run::DryOutcome;
pub use use_cases::duplicate::DuplicateOutcome;
pub use use_cases::export::{Export, HEADER as EXPORT_HEADER, record as export_record};
pub use use_cases::externals::{
    ExternalChanges, ExternalView, INDEX_BATCH, IndexBatch, IndexRequest, IndexResult, Refused,
};
pub use use_cases::get::{AuthView, FormView};
pub use use_cases::history::{HistoryEntry, HistoryPage, VersionDiff};
pub use use_cases::ldap::{LdapChanges, LdapTest};
pub use use_cases::refresh::Refreshed;
pub use use_cases::search::{FacetOption, SearchHit, SearchRequest, SearchResult};
pub use use_cases::taxonomies::{Taxonomy, TaxonomyChanges};
pub use use_cases::update::{UpdateItem, UpdateOutcome};
