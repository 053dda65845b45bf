//! Drafts: private, versioned work in progress on a new or an existing auth.
//!
//! A draft keeps the values as the client gave them (text and ids, unchecked), so that
//! work in progress may be incomplete or wrong; its form state says what is wrong,
//! field by field, and whether it can be published.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::auth::{Auth, AuthFields};
use crate::error::Invalid;
use crate::ids::{AuthId, DraftId, EntryId, PrincipalId};
use crate::raw::{Fields, RawFields};
use crate::section::Section;

/// Most drafts one principal keeps. Past it, starting a new draft is refused (a
/// conflict: publish or delete drafts first); editing, publishing and deleting the ones
/// it has stay allowed. A draft is work in progress, not storage.
pub const MAX_DRAFTS_PER_PRINCIPAL: u64 = 500;

/// A draft's values: the auth fields as given, unchecked, every list present. A name is
/// either text or an id (setting one clears the other); likewise a description.
pub type DraftValues = Fields<Option<String>, Vec<String>>;

/// Most bytes a draft's values may take as JSON (64 KiB), texts and ids together, as
/// they are stored and answered (a control character, which a draft may keep, takes
/// six). Each field has its own bound ([`DraftPatch::check_bounds`]), but every list at
/// 200 ids of 128 characters would make a draft no auth can be: a full auth, five lists
/// of 200 UUIDs, a name and a description, takes about 45 KB. With
/// [`MAX_DRAFTS_PER_PRINCIPAL`], this bounds what a key keeps in drafts (32 MiB) and a
/// page of `/drafts` (100 drafts, under 7 MB).
pub const MAX_DRAFT_BYTES: usize = 65_536;

/// The bytes `text` takes as a JSON string, quotes included.
fn json_bytes(text: &str) -> usize {
    2 + text
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            c if u32::from(c) < 0x20 => 6,
            c => c.len_utf8(),
        })
        .sum::<usize>()
}

/// The bytes `values` take as JSON, texts and ids together (the separators and keys
/// of the object not counted).
pub fn draft_bytes(values: &DraftValues) -> usize {
    let one = [
        &values.name,
        &values.name_id,
        &values.description,
        &values.description_id,
        &values.flag_id,
    ]
    .into_iter()
    .flatten()
    .map(|t| json_bytes(t))
    .sum::<usize>();
    let many = [
        &values.protocol_ids,
        &values.slug_ids,
        &values.item_ids,
        &values.department_ids,
        &values.location_ids,
    ]
    .into_iter()
    .flatten()
    .map(|t| json_bytes(t) + 1)
    .sum::<usize>();
    one + many
}

/// Checks [`MAX_DRAFT_BYTES`].
///
/// # Errors
/// [`Rule::TooLarge`](crate::Rule::TooLarge) on the field `draft`.
pub fn check_draft_size(values: &DraftValues) -> Result<(), Invalid> {
    let bytes = draft_bytes(values);
    if bytes > MAX_DRAFT_BYTES {
        return Err(Invalid::one(
            "draft",
            crate::error::Rule::TooLarge {
                what: "a draft's values".to_owned(),
                bytes,
                max: MAX_DRAFT_BYTES,
            },
        ));
    }
    Ok(())
}

#[cfg(test)]
mod size_tests {
    #[test]
    fn a_control_character_counts_as_json_writes_it() {
        assert_eq!(super::json_bytes("ab"), 4);
        assert_eq!(super::json_bytes("\u{1}"), 8);
        assert_eq!(super::json_bytes("é\""), 6);
        let mut v = super::DraftValues {
            name: Some("\u{1}".repeat(255)),
            slug_ids: vec!["\u{1}".repeat(128); 200],
            ..Default::default()
        };
        assert!(
            super::check_draft_size(&v).is_err(),
            "{}",
            super::draft_bytes(&v)
        );
        v.slug_ids = vec!["0".repeat(36); 200];
        assert!(
            super::check_draft_size(&v).is_ok(),
            "{}",
            super::draft_bytes(&v)
        );
    }
}

/// One field of a patch: absent (unchanged), `null` (cleared), or a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Change<T> {
    /// Not in the patch: unchanged.
    #[default]
    Keep,
    /// `null`: cleared.
    Clear,
    /// A new value.
    Set(T),
}

impl<T> Change<T> {
    /// From serde's `Option<Option<T>>` (absent, null, value).
    pub fn from_double(v: Option<Option<T>>) -> Self {
        match v {
            None => Self::Keep,
            Some(None) => Self::Clear,
            Some(Some(t)) => Self::Set(t),
        }
    }

    /// Whether the patch sets a value.
    pub const fn is_set(&self) -> bool {
        matches!(self, Self::Set(_))
    }

    fn apply(self, slot: &mut Option<T>) {
        match self {
            Self::Keep => {}
            Self::Clear => *slot = None,
            Self::Set(t) => *slot = Some(t),
        }
    }
}

/// Reads a present field: `null` is [`Change::Clear`], a value [`Change::Set`]. An absent
/// field is never read, and stays [`Change::Keep`] (the default).
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Change<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(d).map(|v| v.map_or(Self::Clear, Self::Set))
    }
}

/// A patch of draft values: each field kept, cleared or set.
pub type DraftPatch = Fields<Change<String>, Change<Vec<String>>>;

impl DraftPatch {
    /// The bounds a draft shares with publishing, which a draft may not exceed even
    /// though it keeps values that are otherwise wrong: a name of at most
    /// [`MAX_NAME_CHARS`](crate::values::MAX_NAME_CHARS) characters, a description of
    /// at most [`MAX_DESCRIPTION_CHARS`](crate::values::MAX_DESCRIPTION_CHARS), ids of
    /// at most [`MAX_ID_CHARS`](crate::values::MAX_ID_CHARS), lists of at most
    /// [`MAX_SECTION_ENTRIES`](crate::auth::MAX_SECTION_ENTRIES).
    ///
    /// # Errors
    /// Every field past its bound ([`Rule::TooLong`](crate::Rule::TooLong),
    /// [`Rule::TooMany`](crate::Rule::TooMany)).
    pub fn check_bounds(&self) -> Result<(), Invalid> {
        use crate::error::{FieldProblem, Rule};
        use crate::values::{MAX_DESCRIPTION_CHARS, MAX_ID_CHARS, MAX_NAME_CHARS};
        let too_long = |field: &str, what: &str, text: &str, max: usize| {
            let len = text.chars().count();
            (len > max).then(|| {
                FieldProblem::new(
                    field,
                    Rule::TooLong {
                        what: what.to_owned(),
                        len,
                        max,
                    },
                )
            })
        };
        let mut problems = Vec::new();
        for key in crate::raw::ONE_FIELDS {
            if let Some(Ok(Change::Set(text))) = self.field(key) {
                problems.extend(match key {
                    "name" => too_long(key, "name", text, MAX_NAME_CHARS),
                    "description" => too_long(key, "description", text, MAX_DESCRIPTION_CHARS),
                    _ => too_long(key, "id", text, MAX_ID_CHARS),
                });
            }
        }
        for (key, change) in self.lists() {
            let Change::Set(list) = change else { continue };
            let max = crate::auth::MAX_SECTION_ENTRIES;
            if list.len() > max {
                problems.push(FieldProblem::new(
                    key,
                    Rule::TooMany {
                        len: list.len(),
                        max,
                    },
                ));
            } else if let Some(p) = list
                .iter()
                .find_map(|id| too_long(key, "id", id, MAX_ID_CHARS))
            {
                problems.push(p);
            }
        }
        Invalid::check(problems)
    }
}

fn apply_list(change: Change<Vec<String>>, slot: &mut Vec<String>) {
    match change {
        Change::Keep => {}
        Change::Clear => slot.clear(),
        Change::Set(v) => *slot = v,
    }
}

impl DraftValues {
    /// The values of a published auth (ids only): where a draft of it starts.
    pub fn of_auth(auth: &Auth) -> Self {
        let c = auth.content();
        let text = |ids: Vec<EntryId>| ids.into_iter().map(|i| i.to_string()).collect();
        Self {
            name: None,
            name_id: Some(c.name_id.to_string()),
            description: None,
            description_id: c.description_id.map(|d| d.to_string()),
            flag_id: Some(c.flag_id.to_string()),
            protocol_ids: text(c.protocol_ids),
            slug_ids: text(c.slug_ids),
            item_ids: text(c.item_ids),
            department_ids: text(c.department_ids),
            location_ids: text(c.location_ids),
        }
    }

    /// The values a kept version held (ids only): where a restoring draft starts.
    pub fn of_content(c: &crate::history::VersionContent) -> Self {
        let text =
            |refs: &[crate::catalog::EntryRef]| refs.iter().map(|r| r.id.to_string()).collect();
        Self {
            name: None,
            name_id: Some(c.name.id.to_string()),
            description: None,
            description_id: c.description.as_ref().map(|d| d.id.to_string()),
            flag_id: Some(c.flag.id.to_string()),
            protocol_ids: text(&c.protocols),
            slug_ids: text(&c.slugs),
            item_ids: c.items.iter().map(|i| i.id.to_string()).collect(),
            department_ids: text(&c.departments),
            location_ids: text(&c.locations),
        }
    }

    /// Applies a patch: only the fields present change; setting a name as text clears
    /// the name id and the other way round (likewise descriptions); clearing either
    /// form of a name or description clears both (it has one value, in one form or the
    /// other).
    pub fn apply(&mut self, p: DraftPatch) {
        // Any change to one form of a name replaces the other form too.
        if p.name != Change::Keep {
            self.name_id = None;
        }
        if p.name_id != Change::Keep {
            self.name = None;
        }
        if p.description != Change::Keep {
            self.description_id = None;
        }
        if p.description_id != Change::Keep {
            self.description = None;
        }
        p.name.apply(&mut self.name);
        p.name_id.apply(&mut self.name_id);
        p.description.apply(&mut self.description);
        p.description_id.apply(&mut self.description_id);
        p.flag_id.apply(&mut self.flag_id);
        apply_list(p.protocol_ids, &mut self.protocol_ids);
        apply_list(p.slug_ids, &mut self.slug_ids);
        apply_list(p.item_ids, &mut self.item_ids);
        apply_list(p.department_ids, &mut self.department_ids);
        apply_list(p.location_ids, &mut self.location_ids);
    }

    /// The catalog ids the values give for `section` (a name or description given as
    /// text names no entry yet).
    pub fn ids(&self, section: Section) -> Vec<&str> {
        match self.field(section.ids_field()) {
            Some(Ok(one)) => one.as_deref().into_iter().collect(),
            Some(Err(many)) => many.iter().map(String::as_str).collect(),
            None => Vec::new(),
        }
    }

    /// The values as a complete set of raw fields: every list given, and a
    /// description not set is "none".
    pub fn to_raw(&self) -> RawFields {
        let mut raw = self.clone().map(|one| one, Some);
        if raw.description.is_none() && raw.description_id.is_none() {
            raw.description = Some(String::new());
        }
        raw
    }
}

/// A draft as stored. Its `version` starts at 1 and goes up by one on every edit; an
/// edit must name the version it was made against (optimistic concurrency).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Draft {
    /// Its id.
    pub draft_id: DraftId,
    /// Who owns it: only the owner sees or edits it.
    pub owner: PrincipalId,
    /// The auth it edits, or `None` for a new auth.
    pub auth_id: Option<AuthId>,
    /// The auth's version when the draft was started (publishing fails with a conflict
    /// when the auth has moved on since).
    pub base_version: Option<i64>,
    /// The draft's own version counter.
    pub version: i64,
    /// The values so far.
    pub values: DraftValues,
    /// When it was started.
    pub created_at: DateTime<Utc>,
    /// When it was last edited.
    pub updated_at: DateTime<Utc>,
}

/// Why a draft cannot be published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishRefusal {
    /// A draft of an existing auth published as a new one: it is published through
    /// an update of its auth.
    #[error("the draft edits auth {auth_id}: publish it through update")]
    OfExistingAuth {
        /// The auth it edits.
        auth_id: AuthId,
    },
    /// A draft published as an update of an auth it does not edit.
    #[error("the draft is not a draft of auth {auth_id}")]
    NotADraftOf {
        /// The auth named.
        auth_id: AuthId,
    },
    /// The caller named another version than the one the draft started from.
    #[error("the draft was started from version {base}, not {expected}")]
    BaseMismatch {
        /// The version the draft started from.
        base: i64,
        /// The version the caller named.
        expected: i64,
    },
    /// The auth moved on since the draft was started: publishing would lose the
    /// change made since.
    #[error("the auth is at version {current}; the draft was started from {base}")]
    Stale {
        /// The version the draft started from.
        base: i64,
        /// The auth's version now.
        current: i64,
    },
    /// The values break rules.
    #[error("{0}")]
    Invalid(Invalid),
}

impl Draft {
    /// The fields that publishing this draft as a new auth writes (a draft's values
    /// are a complete set: a description not set is none).
    ///
    /// # Errors
    /// [`PublishRefusal::OfExistingAuth`] for a draft of an existing auth;
    /// [`PublishRefusal::Invalid`] for values the domain rejects.
    pub fn publish_new(&self) -> Result<AuthFields, PublishRefusal> {
        if let Some(auth_id) = &self.auth_id {
            return Err(PublishRefusal::OfExistingAuth {
                auth_id: auth_id.clone(),
            });
        }
        self.values
            .to_raw()
            .parse()
            .map_err(PublishRefusal::Invalid)
    }

    /// The fields that publishing this draft as an update of `auth_id`, now at
    /// `current_version`, writes. The update applies only to the version the draft
    /// started from (and to `expected_version`, when the caller names one): no update
    /// made since is ever lost.
    ///
    /// # Errors
    /// [`PublishRefusal::NotADraftOf`], [`PublishRefusal::BaseMismatch`],
    /// [`PublishRefusal::Stale`], [`PublishRefusal::Invalid`], in that order.
    pub fn publish_update(
        &self,
        auth_id: &AuthId,
        current_version: i64,
        expected_version: Option<i64>,
    ) -> Result<AuthFields, PublishRefusal> {
        if self.auth_id.as_ref() != Some(auth_id) {
            return Err(PublishRefusal::NotADraftOf {
                auth_id: auth_id.clone(),
            });
        }
        let base = self.base_version.unwrap_or(0);
        if let Some(expected) = expected_version
            && expected != base
        {
            return Err(PublishRefusal::BaseMismatch { base, expected });
        }
        if current_version != base {
            return Err(PublishRefusal::Stale {
                base,
                current: current_version,
            });
        }
        self.values
            .to_raw()
            .parse()
            .map_err(PublishRefusal::Invalid)
    }
}

/// A draft edit was made against a version that is no longer current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the draft is at version {current}, not {expected}")]
pub struct StaleVersion {
    /// The version the client said it edited.
    pub expected: i64,
    /// The version the draft is at.
    pub current: i64,
}

/// Why [`Draft::apply`] changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EditRefusal {
    /// The edit was made against another version.
    #[error(transparent)]
    Stale(StaleVersion),
    /// The draft is at the last version an `i64` holds: no edit can follow it.
    #[error("the draft is at the last possible version ({0})")]
    LastVersion(i64),
}

impl Draft {
    /// Applies `patch` made against `expected_version`: only the present fields change,
    /// and the version goes up by one.
    ///
    /// # Errors
    /// [`EditRefusal::Stale`] when `expected_version` is not the current version,
    /// [`EditRefusal::LastVersion`] at `i64::MAX`; the draft is then unchanged.
    pub fn apply(
        &mut self,
        expected_version: i64,
        patch: DraftPatch,
        now: DateTime<Utc>,
    ) -> Result<(), EditRefusal> {
        if expected_version != self.version {
            return Err(EditRefusal::Stale(StaleVersion {
                expected: expected_version,
                current: self.version,
            }));
        }
        let next = self
            .version
            .checked_add(1)
            .ok_or(EditRefusal::LastVersion(self.version))?;
        self.values.apply(patch);
        self.version = next;
        self.updated_at = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> Draft {
        let t = DateTime::<Utc>::from_timestamp(0, 0).unwrap();
        Draft {
            draft_id: DraftId::parse("d1").unwrap(),
            owner: PrincipalId::parse("p1").unwrap(),
            auth_id: None,
            base_version: None,
            version: 1,
            values: DraftValues::default(),
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn edits_bump_the_version_and_stale_ones_change_nothing() {
        let mut d = draft();
        let now = DateTime::<Utc>::from_timestamp(10, 0).unwrap();
        let patch = DraftPatch {
            flag_id: Change::Set("flag-disabled".into()),
            ..DraftPatch::default()
        };
        d.apply(1, patch, now).unwrap();
        assert_eq!(d.version, 2);
        assert_eq!(d.updated_at, now);
        assert_eq!(d.values.flag_id.as_deref(), Some("flag-disabled"));

        let before = d.clone();
        let err = d.apply(1, DraftPatch::default(), now).unwrap_err();
        assert_eq!(
            err,
            EditRefusal::Stale(StaleVersion {
                expected: 1,
                current: 2
            })
        );
        assert_eq!(d, before);

        // The last version is refused, not wrapped around (nor a panic).
        d.version = i64::MAX;
        let before = d.clone();
        assert_eq!(
            d.apply(i64::MAX, DraftPatch::default(), now),
            Err(EditRefusal::LastVersion(i64::MAX))
        );
        assert_eq!(d, before);
    }

    #[test]
    fn null_clears_absent_keeps_and_alternatives_exclude_each_other() {
        let mut v = DraftValues {
            name_id: Some("n1".into()),
            description: Some("d".into()),
            protocol_ids: vec!["p".into()],
            ..DraftValues::default()
        };
        v.apply(DraftPatch {
            name: Change::Set("Text name".into()),
            description: Change::Clear,
            protocol_ids: Change::Keep,
            ..DraftPatch::default()
        });
        assert_eq!(
            (v.name.as_deref(), v.name_id.as_deref()),
            (Some("Text name"), None)
        );
        assert_eq!(v.description, None);
        assert_eq!(v.protocol_ids, ["p"]);
        v.apply(DraftPatch {
            protocol_ids: Change::Clear,
            description_id: Change::Set("d1".into()),
            ..DraftPatch::default()
        });
        assert!(v.protocol_ids.is_empty());
        assert_eq!(v.description_id.as_deref(), Some("d1"));
        // Clearing either form of a description clears it, whichever form it has.
        v.apply(DraftPatch {
            description: Change::Clear,
            ..DraftPatch::default()
        });
        assert_eq!(
            (v.description.as_deref(), v.description_id.as_deref()),
            (None, None)
        );
        v.apply(DraftPatch {
            description: Change::Set("text".into()),
            ..DraftPatch::default()
        });
        v.apply(DraftPatch {
            description_id: Change::Clear,
            ..DraftPatch::default()
        });
        assert_eq!(
            (v.description.as_deref(), v.description_id.as_deref()),
            (None, None)
        );
        assert_eq!(Change::from_double(Some(None::<u8>)), Change::Clear);
        assert_eq!(Change::<u8>::from_double(None), Change::Keep);
    }
}
