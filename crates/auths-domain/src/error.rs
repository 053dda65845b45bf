//! Errors of the domain, as types: every reason that crosses a layer is a variant, never
//! a sentence to be read back.
//!
//! - [`Invalid`]: a value or composition that breaks rules, one [`FieldProblem`] per
//!   broken rule (the field and a [`Rule`]), so that a client can be told every problem
//!   at once.
//! - [`RepoError`]: a failure reported by a port; a refused write names its
//!   [`Constraint`].
//!
//! `Display` gives the product's own wording (what the v5 API shows); an API with
//! another vocabulary (the Foreman-compatible one) words the same variants its own
//! way. Nothing here knows about status codes.

use std::fmt;

use crate::catalog::CatalogKind;
use crate::ids::EntryId;
use crate::principal::Denial;

/// A catalog entry as a request named it: by id, by number, or by label.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKey {
    /// By opaque id.
    Id(EntryId),
    /// By number (the Foreman-compatible API names taxonomies so).
    Number(i64),
    /// By label.
    Label(String),
}

impl fmt::Display for EntryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
            Self::Number(n) => write!(f, "number {n}"),
            Self::Label(l) => write!(f, "{l:?}"),
        }
    }
}

/// Which rule a value breaks. `Display` words it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Rule {
    /// Required text that is empty after trimming. `what` names the value (`name`).
    Blank {
        /// The value's name in the sentence.
        what: String,
    },
    /// Text with control characters.
    ControlCharacters {
        /// The value's name in the sentence.
        what: String,
    },
    /// Text with a NUL character.
    NulCharacters {
        /// The value's name in the sentence.
        what: String,
    },
    /// Text longer than allowed, in characters.
    TooLong {
        /// The value's name in the sentence.
        what: String,
        /// Its length.
        len: usize,
        /// The most allowed.
        max: usize,
    },
    /// A slug that is not `^[a-z0-9]+(-[a-z0-9]+)*$`.
    NotUrlSafe {
        /// The slug as given (trimmed).
        slug: String,
    },
    /// An id with characters outside `[A-Za-z0-9_.:-]`.
    MalformedId {
        /// The id as given (trimmed).
        id: String,
    },
    /// A required value is missing. `what` says which.
    Required {
        /// What is missing, as the sentence puts it.
        what: Required,
    },
    /// Two alternatives given at once (`name` and `name_id`).
    EitherOr {
        /// One field.
        one: String,
        /// The other.
        other: String,
    },
    /// A section holds fewer entries than it must.
    TooFew {
        /// The fewest allowed.
        min: usize,
    },
    /// A list holds more entries than allowed.
    TooMany {
        /// How many were given.
        len: usize,
        /// The most allowed.
        max: usize,
    },
    /// An entry listed twice in one section.
    Repeated {
        /// The entry.
        id: EntryId,
    },
    /// Two items of one auth with the same key (case-insensitively).
    RepeatedKey {
        /// The key, case-folded.
        key: String,
    },
    /// A key that names no entry of the catalog the field needs.
    UnknownEntry {
        /// The catalog.
        kind: CatalogKind,
        /// The key as given.
        key: EntryKey,
    },
    /// The name is another auth's.
    NameTaken,
    /// A slug belongs to another auth.
    SlugTaken {
        /// The slug.
        slug: EntryId,
    },
    /// The caller may not make this change.
    Denied {
        /// Why.
        denial: Denial,
    },
    /// A catalog name that is not one of the eight.
    UnknownCatalog {
        /// The name given.
        name: String,
    },
    /// A role that is not viewer, editor or admin.
    UnknownRole {
        /// The name given.
        name: String,
    },
    /// A key's name that breaks the rules of names (1 to 100 characters, no `:` or
    /// control characters: it is the user of `Authorization: Basic NAME:KEY`).
    KeyName,
    /// A configured bootstrap key that is too short to be a secret.
    BootstrapKeyTooShort {
        /// The fewest characters allowed.
        min: usize,
    },
    /// A configured bootstrap key too predictable to be a secret (24 times one letter,
    /// a short pattern repeated).
    BootstrapKeyWeak {
        /// The least estimated entropy allowed, in bits.
        min_bits: u32,
    },
    /// A key's `expires_at` that is not in the future (it would never authenticate).
    ExpiryPast,
    /// A value larger than allowed once written as JSON (a draft's values).
    TooLarge {
        /// The value's name in the sentence.
        what: String,
        /// Its size, in bytes of JSON.
        bytes: usize,
        /// The most allowed.
        max: usize,
    },
    /// A draft published as an update of an auth it does not edit.
    NotADraftOf {
        /// The draft.
        draft_id: String,
        /// The auth.
        auth_id: String,
    },
    /// `draft_id` given together with fields.
    DraftIdAlone,
    /// `auth_id` given while editing an existing draft (it only starts one).
    AuthIdStartsDraft,
    /// A catalog entry of the wrong shape: an item given a label, or another entry
    /// given key, value and secret.
    EntryShape {
        /// The catalog.
        kind: CatalogKind,
    },
    /// `from_version` given but to edit a draft, or without `auth_id`.
    RestoreStartsDraft,
    /// A diff asked of a draft of a new auth, which has no version to compare with.
    DraftOfNewAuth,
    /// A value of the wrong JSON type (an object where text goes).
    WrongType {
        /// The value's name in the sentence.
        what: String,
        /// The type expected (`String`, `Integer`, `Boolean`).
        expected: String,
    },
    /// A value that is not one of those allowed (an LDAP `server_type`).
    NotInList {
        /// The value's name in the sentence.
        what: String,
        /// The values allowed.
        allowed: Vec<String>,
    },
    /// A number outside its range, or not a whole number (an LDAP `port`).
    OutOfRange {
        /// The value's name in the sentence.
        what: String,
        /// The least allowed.
        min: i64,
        /// The most allowed.
        max: i64,
    },
}

/// Which required value is missing, for [`Rule::Required`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Required {
    /// A name or a name id.
    Name,
    /// At least one protocol.
    Protocol,
    /// The field itself.
    Field,
}

impl Rule {
    /// A stable code for the rule (`blank`, `too_long`, ...), for clients to switch on.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Blank { .. } => "blank",
            Self::ControlCharacters { .. } => "control_characters",
            Self::NulCharacters { .. } => "nul_characters",
            Self::TooLong { .. } => "too_long",
            Self::NotUrlSafe { .. } => "not_url_safe",
            Self::MalformedId { .. } => "malformed_id",
            Self::Required { .. } => "required",
            Self::EitherOr { .. } => "either_or",
            Self::TooFew { .. } => "too_few",
            Self::TooMany { .. } => "too_many",
            Self::Repeated { .. } => "repeated",
            Self::RepeatedKey { .. } => "repeated_key",
            Self::UnknownEntry { .. } => "unknown_entry",
            Self::NameTaken => "name_taken",
            Self::SlugTaken { .. } => "slug_taken",
            Self::Denied { .. } => "denied",
            Self::UnknownCatalog { .. } => "unknown_catalog",
            Self::UnknownRole { .. } => "unknown_role",
            Self::KeyName => "key_name",
            Self::BootstrapKeyTooShort { .. } => "bootstrap_key_too_short",
            Self::BootstrapKeyWeak { .. } => "bootstrap_key_weak",
            Self::ExpiryPast => "expiry_past",
            Self::TooLarge { .. } => "too_large",
            Self::NotADraftOf { .. } => "not_a_draft_of",
            Self::DraftIdAlone => "draft_id_alone",
            Self::AuthIdStartsDraft => "auth_id_starts_draft",
            Self::EntryShape { .. } => "entry_shape",
            Self::RestoreStartsDraft => "restore_starts_draft",
            Self::DraftOfNewAuth => "draft_of_new_auth",
            Self::WrongType { .. } => "wrong_type",
            Self::NotInList { .. } => "not_in_list",
            Self::OutOfRange { .. } => "out_of_range",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Blank { what } => write!(f, "{what} must not be blank"),
            Self::ControlCharacters { what } => {
                write!(f, "{what} must not contain control characters")
            }
            Self::NulCharacters { what } => write!(f, "{what} must not contain NUL characters"),
            Self::TooLong { what, len, max } => write!(
                f,
                "{what} is {len} characters long; at most {max} are allowed"
            ),
            Self::NotUrlSafe { slug } => write!(
                f,
                "slug {slug:?} is not URL-safe: use lower-case letters and digits, separated by single hyphens"
            ),
            Self::MalformedId { id } => write!(f, "{id:?} is not a valid id"),
            Self::Required { what } => f.write_str(match what {
                Required::Name => "a name (or name_id) is required",
                Required::Protocol => "at least one protocol is required",
                Required::Field => "required",
            }),
            Self::EitherOr { one, other } => write!(f, "give either {one} or {other}, not both"),
            Self::TooFew { min } => write!(f, "at least {min} entry is required"),
            Self::TooMany { len, max } => {
                write!(f, "{len} entries given; at most {max} are allowed")
            }
            Self::Repeated { id } => write!(f, "{id} is listed more than once"),
            Self::RepeatedKey { key } => {
                write!(
                    f,
                    "two items have the key {key:?}; an auth lists a key once"
                )
            }
            Self::UnknownEntry { kind, key } => {
                write!(f, "{key} is not an entry of the {kind} catalog")
            }
            Self::NameTaken => f.write_str("another auth already has this name"),
            Self::SlugTaken { slug } => write!(f, "slug {slug} belongs to another auth"),
            Self::Denied { denial } => write!(f, "{denial}"),
            Self::UnknownCatalog { name } => write!(
                f,
                "unknown catalog {name:?}; expected one of names, descriptions, flags, protocols, slugs, items, departments, locations"
            ),
            Self::UnknownRole { name } => {
                write!(f, "unknown role {name:?}; expected viewer, editor or admin")
            }
            Self::KeyName => f.write_str(
                "a key's name must have 1 to 100 characters (spaces around it do not count), \
                 without ':', control, bidirectional or invisible characters",
            ),
            Self::BootstrapKeyTooShort { min } => {
                write!(f, "the bootstrap key must have at least {min} characters")
            }
            Self::BootstrapKeyWeak { min_bits } => write!(
                f,
                "the bootstrap key is too predictable (under {min_bits} bits by zxcvbn's \
                 estimate: a sequence, a keyboard walk, a repeat or common words): use a \
                 random one, such as the output of `openssl rand -hex 32`"
            ),
            Self::ExpiryPast => f.write_str("expires_at must be in the future"),
            Self::TooLarge { what, bytes, max } => write!(
                f,
                "{what} take {bytes} bytes as JSON; at most {max} are allowed"
            ),
            Self::NotADraftOf { draft_id, auth_id } => {
                write!(f, "draft {draft_id} is not a draft of auth {auth_id}")
            }
            Self::DraftIdAlone => f.write_str("give draft_id alone, or the fields, not both"),
            Self::AuthIdStartsDraft => {
                f.write_str("auth_id starts a draft; leave it out when editing one")
            }
            Self::EntryShape { kind } => match kind {
                CatalogKind::Items => {
                    f.write_str("an item's label is its key: send key, value and secret")
                }
                other => write!(f, "a {other} entry has only a label"),
            },
            Self::RestoreStartsDraft => f.write_str(
                "from_version starts a draft of auth_id from that version: give it with auth_id, \
                 not when editing a draft",
            ),
            Self::WrongType { what, expected } => write!(f, "{what} must be a {expected}"),
            Self::DraftOfNewAuth => {
                f.write_str("this draft is of a new auth: there is no version to compare it with")
            }
            Self::NotInList { what, allowed } => {
                write!(f, "{what} must be one of {}", allowed.join(", "))
            }
            Self::OutOfRange { what, min, max } => {
                write!(f, "{what} must be a whole number from {min} to {max}")
            }
        }
    }
}

/// One broken rule, named by the input field it concerns (`name`, `protocol_ids`, ...).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldProblem {
    /// The input field, as the API spells it.
    pub field: String,
    /// The rule it breaks.
    pub rule: Rule,
}

impl FieldProblem {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, rule: Rule) -> Self {
        Self {
            field: field.into(),
            rule,
        }
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
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
    pub fn one(field: impl Into<String>, rule: Rule) -> Self {
        Self {
            problems: vec![FieldProblem::new(field, rule)],
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
            field.clone_into(&mut p.field);
        }
        self
    }
}

/// The uniqueness and reference rules the database enforces, in domain words. A store
/// reports which one refused a write; the app explains it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Constraint {
    /// An auth with this opaque id exists.
    AuthId,
    /// The name is another auth's.
    AuthName,
    /// A slug belongs to another auth.
    SlugOwner,
    /// A catalog entry with this id exists.
    CatalogId,
    /// A catalog with unique labels has one with this label (case-insensitively).
    CatalogLabel,
    /// The auth already lists this entry in this section.
    AuthLink,
    /// The entry is in use (an auth or a key refers to it), or a referenced entry is
    /// gone.
    InUse,
    /// A principal with this id exists.
    PrincipalId,
    /// An active key has this name.
    PrincipalName,
    /// A key with this hash exists.
    KeyHash,
}

impl Constraint {
    /// The rule's name, for logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AuthId => "auth_id",
            Self::AuthName => "auth_name",
            Self::SlugOwner => "slug_owner",
            Self::CatalogId => "catalog_id",
            Self::CatalogLabel => "catalog_label",
            Self::AuthLink => "auth_link",
            Self::InUse => "in_use",
            Self::PrincipalId => "principal_id",
            Self::PrincipalName => "principal_name",
            Self::KeyHash => "key_hash",
        }
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a repository (port) can fail with. Adapters map their own errors onto these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepoError {
    /// A uniqueness or reference rule refused the write.
    #[error("constraint violated: {0}")]
    Conflict(Constraint),
    /// A conditional write found the row changed since it was read (optimistic
    /// concurrency), or the row it expected is gone.
    #[error("the record changed concurrently")]
    Stale,
    /// The database cannot be reached or is overloaded; the call may succeed later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Secret values cannot be sealed or opened: the secrets key is missing (server
    /// spec, "Secrets at rest": everything else is served). The message says which key,
    /// for the client.
    #[error("secret values are unavailable: {0}")]
    SecretsUnavailable(String),
    /// Anything else: a bug or a corrupt database. The message is for logs only.
    #[error("storage failure: {0}")]
    Internal(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_have_codes_and_sentences() {
        let r = Rule::TooLong {
            what: "name".into(),
            len: 256,
            max: 255,
        };
        assert_eq!(r.code(), "too_long");
        assert_eq!(
            r.to_string(),
            "name is 256 characters long; at most 255 are allowed"
        );
        let p = FieldProblem::new("name", Rule::NameTaken);
        assert_eq!(p.to_string(), "name: another auth already has this name");
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["rule"]["code"], "name_taken");
        let back: FieldProblem = serde_json::from_value(json).unwrap();
        assert_eq!(back, p);
    }
}
