//! Connections and the r2d2 pool.
//!
//! One connection type serves both backends (`#[derive(MultiConnection)]`), but which
//! backend a URL means is decided here, once, by its scheme: diesel's own
//! `MultiConnection::establish` tries each backend in turn, and SQLite accepts any
//! string as a file name, so a mistyped or unreachable `postgres://` URL would quietly
//! create a SQLite file of that name.

use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::{ConnectionError, PgConnection, SqliteConnection};

use crate::error::StoreError;

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    /// PostgreSQL.
    Postgresql(PgConnection),
    /// SQLite.
    Sqlite(SqliteConnection),
}

impl std::fmt::Debug for AnyConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Postgresql(_) => "AnyConnection::Postgresql",
            Self::Sqlite(_) => "AnyConnection::Sqlite",
        })
    }
}

/// Which database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A SQLite file (created with its folder when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL server; the URL is passed to libpq as given.
    Postgres(String),
}

/// The two backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Target {
    /// Reads `sqlite://PATH` (also `sqlite:PATH`) or `postgres://...`/`postgresql://...`.
    ///
    /// # Errors
    /// Any other scheme, or an empty SQLite path.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| StoreError::BadUrl(url.to_owned()))?;
        // A path must name a file: not empty, not a folder (`sqlite:///` is `/`).
        if path.is_empty() || path.ends_with('/') || std::path::Path::new(path).is_dir() {
            return Err(StoreError::BadUrl(url.to_owned()));
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// Opens one connection, without pool settings.
    ///
    /// # Errors
    /// When the database cannot be reached or opened.
    pub fn connect(&self) -> Result<AnyConnection, ConnectionError> {
        match self {
            Self::Sqlite(path) => {
                SqliteConnection::establish(&path.to_string_lossy()).map(AnyConnection::Sqlite)
            }
            Self::Postgres(url) => PgConnection::establish(url).map(AnyConnection::Postgresql),
        }
    }
}

/// Opens connections for r2d2 and checks them before use.
#[derive(Debug)]
pub struct Manager {
    target: Target,
}

impl Manager {
    /// A manager for `target`.
    pub fn new(target: Target) -> Self {
        Self { target }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = ConnectionError;

    fn connect(&self) -> Result<AnyConnection, ConnectionError> {
        self.target.connect()
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), ConnectionError> {
        conn.batch_execute("SELECT 1")
            .map_err(ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        // A connection whose transaction could not be closed must not be reused.
        match conn {
            AnyConnection::Sqlite(c) => AnsiTransactionManager::is_broken_transaction_manager(c),
            AnyConnection::Postgresql(c) => {
                AnsiTransactionManager::is_broken_transaction_manager(c)
            }
        }
    }
}

/// Per-connection settings, applied when r2d2 opens a connection.
///
/// SQLite: `busy_timeout` first (so that the next pragmas already wait for a lock
/// instead of failing), then `foreign_keys` (off by default in SQLite, per
/// connection), `secure_delete` (freed content is zeroed, so that a re-sealed or
/// deleted secret value does not linger in free pages) and `synchronous = NORMAL`
/// (safe with WAL: a crash loses no committed
/// transaction, a power cut at most the last ones), and a page cache of 8 MiB a
/// connection (`cache_size`; SQLite's default is 2 MiB, which at 100,000 auths no
/// longer held the indexes a write updates). `journal_mode = WAL` is a property
/// of the file and is set once at start-up by [`crate::Db::open`].
///
/// PostgreSQL: a `statement_timeout`, so that a stuck query cannot hold a pooled
/// connection for ever.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionSettings {
    /// How long SQLite waits for a lock held by another connection or process.
    pub busy_timeout: Duration,
    /// The longest a PostgreSQL statement may run.
    pub statement_timeout: Duration,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        Self {
            busy_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(30),
        }
    }
}

impl r2d2::CustomizeConnection<AnyConnection, ConnectionError> for ConnectionSettings {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), ConnectionError> {
        let sql = match conn {
            AnyConnection::Sqlite(_) => format!(
                "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; PRAGMA secure_delete = ON; PRAGMA cache_size = -8192;",
                self.busy_timeout.as_millis()
            ),
            // Custom plans for every execution: a generic plan is made once per
            // prepared statement from the statistics of that moment, and a statement
            // first prepared while a table was small kept a sequential scan after it had
            // grown (20 ms a lookup by key at 20,000 auths, with autovacuum off).
            AnyConnection::Postgresql(_) => format!(
                "SET statement_timeout = {}; SET TIME ZONE 'UTC'; SET plan_cache_mode = force_custom_plan;",
                self.statement_timeout.as_millis()
            ),
        };
        conn.batch_execute(&sql)
            .map_err(ConnectionError::CouldntSetupConfiguration)
    }
}

/// Pool settings.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    /// Most connections open at once.
    pub max_size: u32,
    /// How long a request waits for a connection before the database is reported
    /// unavailable. While the database is down, every request waits this long before
    /// its 503 (r2d2 keeps trying to connect until then), so it must stay well under
    /// the 2 s within which an outage is to be reported.
    pub connection_timeout: Duration,
    /// How much longer a request waits when every connection is in use (the database
    /// answers, we are busy): queueing under load is better than a 503.
    pub busy_wait: Duration,
    /// Per-connection settings.
    pub settings: ConnectionSettings,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_size: 8,
            connection_timeout: Duration::from_secs(1),
            busy_wait: Duration::from_secs(10),
            settings: ConnectionSettings::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(
            Target::parse("sqlite://data/auths.db").unwrap(),
            Target::Sqlite("data/auths.db".into())
        );
        assert_eq!(
            Target::parse("sqlite:///tmp/x.db").unwrap(),
            Target::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            Target::parse("sqlite:x.db").unwrap(),
            Target::Sqlite("x.db".into())
        );
        assert_eq!(
            Target::parse("postgres://u@h/db").unwrap().backend(),
            Backend::Postgres
        );
        assert_eq!(
            Target::parse("postgresql://u@h/db").unwrap().backend(),
            Backend::Postgres
        );
        assert!(Target::parse("mysql://x").is_err());
        assert!(Target::parse("data/auths.db").is_err());
        assert!(Target::parse("sqlite://").is_err());
    }
}
