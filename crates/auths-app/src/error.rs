//! The application's error: what a use case can answer besides success.
//!
//! Policy: every variant maps to exactly one of the API's error codes (the HTTP crate
//! does the mapping). Messages of client-facing variants are written for the client;
//! `Internal` and `Unavailable` carry text for logs only, and the HTTP layer shows a
//! generic sentence instead, so that no SQL or file path reaches a client.

use auths_domain::{Denied, FieldProblem, Invalid, RepoError};

/// What a use case answers when it does not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    /// The request is malformed in a way the domain does not name (paging out of
    /// range, an unknown parameter, ...).
    #[error("{0}")]
    BadRequest(String),
    /// A search query that cannot be run (the Foreman API answers it with class
    /// `ScopedSearch::QueryNotSupported`).
    #[error("{0}")]
    Query(String),
    /// No valid credential.
    #[error("authentication required")]
    Unauthenticated,
    /// A valid credential without the permission; the text says what is missing.
    #[error("{0}")]
    Forbidden(String),
    /// No such record, or not one the caller may see (the two are never told apart).
    #[error("{0}")]
    NotFound(String),
    /// The write would lose an update or break uniqueness.
    #[error("{message}")]
    Conflict {
        /// What collided.
        message: String,
        /// The record's current version, when a version was stale.
        current_version: Option<i64>,
    },
    /// A value the domain rejects, by field.
    #[error("validation failed")]
    Invalid(Vec<FieldProblem>),
    /// Too many items or too large a body.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The database is unreachable or overloaded; try again later.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug or a corrupt database.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A conflict without version information.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
            current_version: None,
        }
    }

    /// A validation failure on one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldProblem::new(field, message)])
    }
}

impl From<Invalid> for AppError {
    fn from(e: Invalid) -> Self {
        Self::Invalid(e.problems)
    }
}

impl From<Denied> for AppError {
    fn from(e: Denied) -> Self {
        Self::Forbidden(e.reason)
    }
}

impl From<RepoError> for AppError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Conflict { constraint } => Self::conflict(match constraint.as_str() {
                "auth_name" => "another auth already has this name".to_owned(),
                "slug_owner" => "a slug belongs to another auth".to_owned(),
                "catalog_label" => "an entry with this label already exists".to_owned(),
                "in_use" => "the entry is in use by an auth".to_owned(),
                other => format!("the write collided with existing data ({other})"),
            }),
            RepoError::Stale => Self::conflict("the record changed concurrently; read it again"),
            RepoError::Unavailable(m) => Self::Unavailable(m),
            RepoError::Internal(m) => Self::Internal(m),
        }
    }
}
