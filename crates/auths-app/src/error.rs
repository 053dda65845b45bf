//! The application's error: what a use case can answer besides success.
//!
//! Policy: every reason is a type. A refusal is a [`Denial`], a missing record a
//! [`Missing`], a collision a [`Conflict`], a bad value a list of [`FieldProblem`]s
//! with their [`auths_domain::Rule`]. `Display` gives the product's own wording (what
//! the v5 API shows); the Foreman-compatible API words the same variants its own way.
//! No layer reads another's sentences. `Internal` and `Unavailable` carry text for
//! logs only, and the HTTP layer shows a generic sentence instead, so that no SQL or
//! file path reaches a client.

use std::fmt;

use auths_domain::scoped_search::QueryError;
use auths_domain::{
    AuthId, CatalogKind, Constraint, Denial, DraftId, EntryId, FieldProblem, Invalid, RepoError,
};

/// What a use case answers when it does not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    /// A search query that cannot be run (the Foreman API answers it with class
    /// `ScopedSearch::QueryNotSupported`).
    #[error("{0}")]
    Query(QueryError),
    /// No valid credential.
    #[error("authentication required")]
    Unauthenticated,
    /// A valid credential without the permission.
    #[error("{0}")]
    Forbidden(Denial),
    /// No such record, or not one the caller may see (the two are never told apart).
    #[error("{0}")]
    NotFound(Missing),
    /// The write would lose an update or break uniqueness.
    #[error("{0}")]
    Conflict(Conflict),
    /// Values the domain rejects, by field. `Display` names every problem with its
    /// field (what the command line prints).
    #[error("validation failed: {}", problems_text(.0))]
    Invalid(Vec<FieldProblem>),
    /// A bulk request with more items than allowed.
    #[error("{given} items given; at most {max} are allowed in one request")]
    TooMany {
        /// How many items were given.
        given: usize,
        /// The most allowed.
        max: usize,
    },
    /// The database is unreachable or overloaded; try again later.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// An operation needs a secret value's key, which this server lacks; the message
    /// names the key and may be shown.
    #[error("secret values are unavailable: {0}")]
    SecretsUnavailable(String),
    /// A bug or a corrupt database.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Which record was not found (or is not one the caller may see). Ids are kept as the
/// client gave them: a malformed id names nothing, and is answered like a missing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// An auth, by id.
    Auth(String),
    /// An auth source external of the Foreman-compatible API (the adapter holds the
    /// id as the client wrote it).
    External,
    /// A draft, by id.
    Draft(String),
    /// A catalog entry, by id.
    Entry {
        /// Its catalog.
        kind: CatalogKind,
        /// The id as given.
        id: String,
    },
    /// A taxonomy (a location or a department), by number.
    Taxon {
        /// Its catalog.
        kind: CatalogKind,
        /// The number as given.
        number: i64,
    },
    /// A catalog, by name.
    Catalog(String),
    /// An export file.
    Upload(String),
    /// An active API key, by name.
    Key(String),
    /// A version of an auth.
    Version {
        /// The auth.
        auth_id: String,
        /// The version asked for.
        version: i64,
    },
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auth(id) => write!(f, "auth {id} not found"),
            Self::External => f.write_str("auth source external not found"),
            Self::Draft(id) => write!(f, "draft {id} not found"),
            Self::Entry { kind, id } => write!(f, "no {kind} entry {id}"),
            Self::Taxon { kind, number } => write!(f, "no {kind} entry numbered {number}"),
            Self::Catalog(name) => write!(f, "no catalog named {name:?}"),
            Self::Upload(id) => write!(f, "upload {id} not found"),
            Self::Key(name) => write!(f, "no active key named {name:?}"),
            Self::Version { auth_id, version } => {
                write!(f, "auth {auth_id} has no version {version}")
            }
        }
    }
}

/// Which seeded entry action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryAction {
    /// A rename.
    Change,
    /// A delete.
    Delete,
}

/// Why a write collided.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Conflict {
    /// The auth is at another version than the one the write was made against.
    AuthVersion {
        /// The auth.
        auth_id: AuthId,
        /// Its version.
        current: i64,
        /// The version the caller named.
        expected: i64,
        /// The fields changed since that version (`name`, `items`, ...), when both
        /// versions are kept.
        changed: Vec<String>,
    },
    /// The draft is at another version than the one the edit was made against.
    DraftVersion {
        /// The draft.
        draft_id: DraftId,
        /// Its version.
        current: i64,
        /// The version the caller named.
        expected: i64,
    },
    /// The draft changed between its read and its write.
    DraftChanged {
        /// The draft.
        draft_id: DraftId,
    },
    /// A new draft of a new auth names a version other than 0.
    NewDraftVersion {
        /// The version given.
        expected: i64,
    },
    /// The caller keeps as many drafts as a principal may: a new one is refused until
    /// some are published or deleted.
    DraftLimit {
        /// The most drafts a principal keeps.
        limit: u64,
    },
    /// A draft published with an `expected_version` other than its base.
    DraftBase {
        /// The draft.
        draft_id: DraftId,
        /// The auth.
        auth_id: AuthId,
        /// The version the draft started from.
        base: i64,
        /// The version the caller named.
        expected: i64,
    },
    /// A draft of an existing auth published through create.
    DraftOfExisting {
        /// The draft.
        draft_id: DraftId,
        /// The auth it edits.
        auth_id: AuthId,
    },
    /// The name is another auth's.
    NameTaken,
    /// A slug belongs to another auth.
    SlugTaken {
        /// The slug.
        slug: EntryId,
    },
    /// A catalog with unique labels has an entry with this label.
    LabelTaken {
        /// The catalog.
        kind: CatalogKind,
        /// The label.
        label: String,
    },
    /// The entry is in use by an auth or a key.
    InUse {
        /// The entry.
        id: EntryId,
    },
    /// A seeded entry (the product's vocabulary) cannot be renamed or deleted.
    Seeded {
        /// The catalog.
        kind: CatalogKind,
        /// The entry.
        id: EntryId,
        /// What was refused.
        action: EntryAction,
    },
    /// An active key has this name.
    KeyName {
        /// The name.
        name: String,
    },
    /// The auth changed between its read and its delete.
    DeletedWhileChanging {
        /// The auth.
        auth_id: AuthId,
    },
    /// A concurrent write won (a serialization failure or a deadlock victim).
    Concurrent,
    /// A rule of the database refused the write (a taken name is [`Conflict::NameTaken`]).
    Constraint(Constraint),
}

impl Conflict {
    /// The record's current version, when a version was stale.
    pub const fn current_version(&self) -> Option<i64> {
        match self {
            Self::AuthVersion { current, .. } | Self::DraftVersion { current, .. } => {
                Some(*current)
            }
            Self::NewDraftVersion { .. } => Some(0),
            Self::DraftBase { base, .. } => Some(*base),
            _ => None,
        }
    }
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AuthVersion {
                auth_id,
                current,
                expected,
                ..
            } => write!(
                f,
                "auth {auth_id} is at version {current}, not {expected}: read it again and reapply your change"
            ),
            Self::DraftVersion {
                draft_id,
                current,
                expected,
            } => write!(
                f,
                "draft {draft_id} is at version {current}, not {expected}"
            ),
            Self::DraftChanged { draft_id } => {
                write!(f, "draft {draft_id} changed concurrently: read it again")
            }
            Self::NewDraftVersion { expected } => {
                write!(f, "a new draft starts from version 0, not {expected}")
            }
            Self::DraftLimit { limit } => write!(
                f,
                "you already keep {limit} drafts, the most a key may: publish or delete drafts before starting a new one"
            ),
            Self::DraftBase {
                draft_id,
                auth_id,
                base,
                expected,
            } => write!(
                f,
                "draft {draft_id} was started from version {base} of auth {auth_id}, not {expected}"
            ),
            Self::DraftOfExisting { draft_id, auth_id } => write!(
                f,
                "draft {draft_id} edits auth {auth_id}: publish it through update"
            ),
            Self::NameTaken => f.write_str("another auth already has this name"),
            Self::SlugTaken { slug } => write!(f, "slug {slug} belongs to another auth"),
            Self::LabelTaken { kind, label } => write!(
                f,
                "the {kind} catalog already has an entry labelled {label:?}"
            ),
            Self::InUse { id } => write!(
                f,
                "{id} is in use: remove it from every auth (and key) first"
            ),
            Self::Seeded { kind, id, action } => write!(
                f,
                "{id} is a seeded {kind} entry and cannot be {}",
                match action {
                    EntryAction::Change => "changed",
                    EntryAction::Delete => "deleted",
                }
            ),
            Self::KeyName { name } => write!(f, "an active key is already named {name:?}"),
            Self::DeletedWhileChanging { auth_id } => {
                write!(f, "auth {auth_id} changed while it was being deleted")
            }
            Self::Concurrent => f.write_str("the record changed concurrently; read it again"),
            Self::Constraint(c) => f.write_str(match c {
                Constraint::SlugOwner => "a slug belongs to another auth",
                Constraint::CatalogLabel => "an entry with this label already exists",
                Constraint::InUse => "the entry is in use by an auth",
                _ => "the write collided with existing data",
            }),
        }
    }
}

impl AppError {
    /// A validation failure on one field.
    pub fn invalid(field: impl Into<String>, rule: auths_domain::Rule) -> Self {
        Self::Invalid(vec![FieldProblem::new(field, rule)])
    }

    /// The "not found" of an auth id as the client gave it.
    pub fn auth_not_found(raw: &str) -> Self {
        Self::NotFound(Missing::Auth(raw.to_owned()))
    }

    /// The "not found" of a draft id as the client gave it.
    pub fn draft_not_found(raw: &str) -> Self {
        Self::NotFound(Missing::Draft(raw.to_owned()))
    }
}

fn problems_text(problems: &[FieldProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<Invalid> for AppError {
    fn from(e: Invalid) -> Self {
        Self::Invalid(e.problems)
    }
}

impl From<Denial> for AppError {
    fn from(d: Denial) -> Self {
        Self::Forbidden(d)
    }
}

impl From<Conflict> for AppError {
    fn from(c: Conflict) -> Self {
        Self::Conflict(c)
    }
}

impl From<Missing> for AppError {
    fn from(m: Missing) -> Self {
        Self::NotFound(m)
    }
}

impl From<QueryError> for AppError {
    fn from(e: QueryError) -> Self {
        Self::Query(e)
    }
}

impl From<RepoError> for AppError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Conflict(Constraint::AuthName) => Self::Conflict(Conflict::NameTaken),
            RepoError::Conflict(c) => Self::Conflict(Conflict::Constraint(c)),
            RepoError::Stale => Self::Conflict(Conflict::Concurrent),
            RepoError::Unavailable(m) => Self::Unavailable(m),
            RepoError::SecretsUnavailable(m) => Self::SecretsUnavailable(m),
            RepoError::Internal(m) => Self::Internal(m),
        }
    }
}
