//! Errors of the domain.
//!
//! Two kinds only: a value or composition that breaks a rule ([`Invalid`], carrying one
//! [`FieldProblem`] per broken rule, so that a client can be told every problem at
//! once), and a failure reported by a port ([`RepoError`]). Turning them into HTTP
//! answers is the HTTP crate's job; nothing here knows about status codes.

use std::fmt;

/// One broken rule, named by the input field it concerns (`name`, `protocol_ids`, ...).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldProblem {
    /// The input field, as the API spells it.
    pub field: String,
    /// A human sentence saying what is wrong.
    pub message: String,
}

impl FieldProblem {
    /// Builds a problem for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A value or a composition that breaks one or more domain rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", summary(.problems))]
pub struct Invalid {
    /// Every broken rule, in the order the fields were checked. Never empty.
    pub problems: Vec<FieldProblem>,
}

fn summary(problems: &[FieldProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Invalid {
    /// One problem.
    pub fn one(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            problems: vec![FieldProblem::new(field, message)],
        }
    }

    /// `Ok(())` when `problems` is empty, else the error holding them.
    ///
    /// # Errors
    /// When at least one problem was collected.
    pub fn check(problems: Vec<FieldProblem>) -> Result<(), Self> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Self { problems })
        }
    }

    /// The same problems, re-attributed to `field` (used when a value parsed for one
    /// field is reported under another name, e.g. an element of a list).
    #[must_use]
    pub fn for_field(mut self, field: &str) -> Self {
        for p in &mut self.problems {
            p.field = field.to_owned();
        }
        self
    }
}

/// What a repository (port) can fail with. Adapters map their own errors onto these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepoError {
    /// A uniqueness or foreign-key constraint refused the write. `constraint` names the
    /// rule in domain words (`auth_name`, `slug_owner`, `catalog_label`, ...), so that the
    /// app can explain it; it never holds SQL.
    #[error("constraint violated: {constraint}")]
    Conflict {
        /// Which rule was violated.
        constraint: String,
    },
    /// A conditional write found the row changed since it was read (optimistic
    /// concurrency), or the row it expected is gone.
    #[error("the record changed concurrently")]
    Stale,
    /// The database cannot be reached or is overloaded; the call may succeed later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or a corrupt database. The message is for logs only.
    #[error("storage failure: {0}")]
    Internal(String),
}
