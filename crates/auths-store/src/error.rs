//! Mapping diesel's and r2d2's errors onto the domain's [`RepoError`].
//!
//! Constraint violations are named in domain words, recognised by the index or column
//! they concern (PostgreSQL reports the constraint's name, SQLite the columns). Nothing
//! of the SQL reaches the message a client may see: callers log the `Internal` text.

use auths_domain::RepoError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Errors of this crate that are not a port's concern (opening, migrating).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not one we understand.
    #[error("unsupported database URL {0:?}: expected sqlite://PATH or postgres://...")]
    BadUrl(String),
    /// The database could not be opened or prepared.
    #[error("cannot open the database: {0}")]
    Open(String),
    /// Migrations failed.
    #[error("cannot migrate the database: {0}")]
    Migrate(String),
    /// A port-level failure during start-up work (seeding).
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// The domain name of the unique rule a violation message or constraint concerns.
fn constraint_name(text: &str) -> &'static str {
    // Order matters: the slug index is on auth_links.entry_id, the name rule on
    // auths.name_id, labels on catalog_entries.
    if text.contains("auth_links_slug_unique") || text.ends_with(": auth_links.entry_id") {
        "slug_owner"
    } else if text.contains("name_id") {
        "auth_name"
    } else if text.contains("label") {
        "catalog_label"
    } else if text.contains("auth_id") {
        "auth_id"
    } else if text.contains("catalog_entries") && text.contains("id") {
        "catalog_id"
    } else if text.contains("auth_links") {
        "auth_link"
    } else {
        "unique"
    }
}

/// Maps a diesel error.
pub fn repo_error(e: DieselError) -> RepoError {
    match e {
        DieselError::NotFound => RepoError::Internal("row not found".into()),
        DieselError::DatabaseError(kind, info) => {
            let text = info
                .constraint_name()
                .map_or_else(|| info.message().to_owned(), str::to_owned);
            match kind {
                DatabaseErrorKind::UniqueViolation => RepoError::Conflict {
                    constraint: constraint_name(&text).to_owned(),
                },
                DatabaseErrorKind::ForeignKeyViolation => RepoError::Conflict {
                    constraint: "in_use".to_owned(),
                },
                DatabaseErrorKind::SerializationFailure => RepoError::Stale,
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                    RepoError::Unavailable(info.message().to_owned())
                }
                _ if is_busy(info.message()) => RepoError::Unavailable(info.message().to_owned()),
                // PostgreSQL chose this transaction as a deadlock's victim (40P01): a
                // concurrent change, as a serialization failure is; read and try again.
                _ if info.message().contains("deadlock detected") => RepoError::Stale,
                _ => RepoError::Internal(info.message().to_owned()),
            }
        }
        DieselError::BrokenTransactionManager => {
            RepoError::Unavailable("connection left in a broken transaction".into())
        }
        other => RepoError::Internal(other.to_string()),
    }
}

fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
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
        assert_eq!(
            constraint_name("UNIQUE constraint failed: auths.name_id"),
            "auth_name"
        );
        assert_eq!(
            constraint_name("UNIQUE constraint failed: auth_links.entry_id"),
            "slug_owner"
        );
        assert_eq!(
            constraint_name(
                "UNIQUE constraint failed: catalog_entries.kind, catalog_entries.label_key"
            ),
            "catalog_label"
        );
        assert_eq!(
            constraint_name("UNIQUE constraint failed: auths.auth_id"),
            "auth_id"
        );
        assert_eq!(
            constraint_name("UNIQUE constraint failed: catalog_entries.id"),
            "catalog_id"
        );
        assert_eq!(
            constraint_name(
                "UNIQUE constraint failed: auth_links.auth_number, auth_links.kind, auth_links.entry_id"
            ),
            "auth_link"
        );
        // PostgreSQL reports constraint names.
        assert_eq!(constraint_name("auths_name_id_key"), "auth_name");
        assert_eq!(constraint_name("auth_links_slug_unique"), "slug_owner");
        assert_eq!(
            constraint_name("catalog_entries_label_unique"),
            "catalog_label"
        );
    }
}
