//! # auths-store
//!
//! The storage adapter of auths: diesel 2.3 over SQLite (bundled, WAL) or PostgreSQL,
//! one code path for both through `#[derive(MultiConnection)]`, r2d2 pooling, and
//! migrations embedded in the binary. [`Db`] implements the domain's
//! [`auths_domain::Store`] port; its transaction handle implements the repositories.
//!
//! ```no_run
//! use auths_store::{Db, PoolOptions};
//! let db = Db::open("sqlite://data/auths.db", &PoolOptions::default())?;
//! db.migrate()?;
//! # Ok::<(), auths_store::StoreError>(())
//! ```

mod coalesce;
mod db;
mod error;
mod models;
mod pool;
mod repo;
mod schema;
mod sealing;
pub mod secrets;
#[cfg(feature = "testing")]
pub mod testing;

pub use db::{Db, StoreTx};
pub use error::StoreError;
pub use pool::{Backend, ConnectionSettings, PoolOptions, Target};
pub use repo::foreman::filter_sql as foreman_filter_sql;
pub use sealing::Resealed;
pub use secrets::{SecretKey, Secrets};
