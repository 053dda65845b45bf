//! Mapping diesel's and r2d2's errors onto the domain's [`RepoError`].
//!
//! Constraint violations are named in domain words, recognised by the index or column
//! they concern (PostgreSQL reports the constraint's name, SQLite the columns). Nothing
//! of the SQL reaches the message a client may see: callers log the `Internal` text.

use auths_domain::{Constraint, RepoError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Errors of this crate that are not a port's concern (opening, migrating).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not one we understand.
    #[error(
        "unsupported database URL {0:?}: expected sqlite://PATH (a file, not a folder) or postgres://..."
    )]
    BadUrl(String),
    /// The database could not be opened or prepared.
    #[error("cannot open the database: {0}")]
    Open(String),
    /// Migrations failed.
    #[error("cannot migrate the database: {0}")]
    Migrate(String),
    /// The secrets key file cannot be read or written.
    #[error("secrets key: {0}")]
    Secrets(String),
    /// A port-level failure during start-up work (seeding).
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// The unique indexes of the schema, by the name PostgreSQL reports and by the columns
/// SQLite names in its message (`UNIQUE constraint failed: <columns>`), and the rule
/// each keeps. Matched whole, never by a part of the text.
const UNIQUE: [(&str, &str, Constraint); 9] = [
    (
        "catalog_entries_id_key",
        "catalog_entries.id",
        Constraint::CatalogId,
    ),
    (
        "catalog_entries_label_unique",
        "catalog_entries.kind, catalog_entries.label_key",
        Constraint::CatalogLabel,
    ),
    ("auths_auth_id_key", "auths.auth_id", Constraint::AuthId),
    ("auths_name_id_key", "auths.name_id", Constraint::AuthName),
    (
        "auth_links_slug_unique",
        "auth_links.entry_id",
        Constraint::SlugOwner,
    ),
    (
        "auth_links_pkey",
        "auth_links.auth_number, auth_links.kind, auth_links.entry_id",
        Constraint::AuthLink,
    ),
    (
        "principals_id_key",
        "principals.id",
        Constraint::PrincipalId,
    ),
    (
        "principals_key_hash_key",
        "principals.key_hash",
        Constraint::KeyHash,
    ),
    (
        "principals_active_name",
        "principals.name",
        Constraint::PrincipalName,
    ),
];

/// SQLite's prefix of a unique violation's message (sqlite3 `constraintViolation`).
const SQLITE_UNIQUE: &str = "UNIQUE constraint failed: ";

/// The rule a unique violation broke: by the constraint's name (PostgreSQL), or by the
/// column list of SQLite's message.
fn unique_constraint(name: Option<&str>, message: &str) -> Option<Constraint> {
    let columns = message.strip_prefix(SQLITE_UNIQUE);
    UNIQUE
        .iter()
        .find(|(pg, sqlite, _)| name == Some(*pg) || columns == Some(*sqlite))
        .map(|(_, _, c)| *c)
}

/// Maps a diesel error.
pub fn repo_error(e: DieselError) -> RepoError {
    match e {
        DieselError::NotFound => RepoError::Internal("row not found".into()),
        DieselError::DatabaseError(kind, info) => {
            match kind {
                DatabaseErrorKind::UniqueViolation => {
                    match unique_constraint(info.constraint_name(), info.message()) {
                        Some(c) => RepoError::Conflict(c),
                        None => RepoError::Internal(format!(
                            "a unique index the store does not know: {}",
                            info.message()
                        )),
                    }
                }
                DatabaseErrorKind::ForeignKeyViolation => RepoError::Conflict(Constraint::InUse),
                DatabaseErrorKind::SerializationFailure => RepoError::Stale,
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                    RepoError::Unavailable(info.message().to_owned())
                }
                _ if is_busy(info.message()) => RepoError::Unavailable(info.message().to_owned()),
                // PostgreSQL chose this transaction as a deadlock's victim (40P01): a
                // concurrent change, as a serialization failure is; read and try again.
                _ if info.message().starts_with("deadlock detected") => RepoError::Stale,
                _ => RepoError::Internal(info.message().to_owned()),
            }
        }
        DieselError::BrokenTransactionManager => {
            RepoError::Unavailable("connection left in a broken transaction".into())
        }
        other => RepoError::Internal(other.to_string()),
    }
}

/// SQLite's messages for `SQLITE_BUSY` and `SQLITE_LOCKED` (`sqlite3_errstr`), and
/// PostgreSQL's for a deadlock victim (SQLSTATE 40P01): diesel gives these no kind of
/// their own, so the store reads the database's fixed text here, and only here.
fn is_busy(message: &str) -> bool {
    message.starts_with("database is locked") || message.starts_with("database table is locked")
}

/// Maps a failure to get a pooled connection.
pub fn pool_error(e: &r2d2::Error) -> RepoError {
    RepoError::Unavailable(format!("no database connection: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_are_named_in_domain_words() {
        // SQLite messages name the columns.
        for (message, want) in [
            (
                "UNIQUE constraint failed: auths.name_id",
                Constraint::AuthName,
            ),
            (
                "UNIQUE constraint failed: auth_links.entry_id",
                Constraint::SlugOwner,
            ),
            (
                "UNIQUE constraint failed: catalog_entries.kind, catalog_entries.label_key",
                Constraint::CatalogLabel,
            ),
            (
                "UNIQUE constraint failed: auths.auth_id",
                Constraint::AuthId,
            ),
            (
                "UNIQUE constraint failed: catalog_entries.id",
                Constraint::CatalogId,
            ),
            (
                "UNIQUE constraint failed: auth_links.auth_number, auth_links.kind, auth_links.entry_id",
                Constraint::AuthLink,
            ),
            (
                "UNIQUE constraint failed: principals.name",
                Constraint::PrincipalName,
            ),
        ] {
            assert_eq!(unique_constraint(None, message), Some(want), "{message}");
        }
        // PostgreSQL reports constraint names.
        assert_eq!(
            unique_constraint(Some("auths_name_id_key"), "duplicate key value"),
            Some(Constraint::AuthName)
        );
        assert_eq!(
            unique_constraint(Some("auth_links_slug_unique"), "x"),
            Some(Constraint::SlugOwner)
        );
        assert_eq!(
            unique_constraint(Some("catalog_entries_label_unique"), "x"),
            Some(Constraint::CatalogLabel)
        );
        assert_eq!(unique_constraint(Some("other"), "x"), None);
        assert_eq!(
            unique_constraint(None, "UNIQUE constraint failed: auths.name_id, x"),
            None,
            "whole lists only"
        );
    }
}
