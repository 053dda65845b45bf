//! One module per use case.

pub mod bulk;
pub mod catalog;
pub mod create;
pub mod delete;
pub mod drafts;
pub mod dry_run;
pub mod duplicate;
pub mod export;
pub mod externals;
pub mod get;
pub mod history;
pub mod ldap;
pub mod refresh;
mod resolve;
mod scope;
pub mod search;
pub mod taxonomies;
pub mod update;
