//! The auth: one authentication-source configuration, composed of sections that point
//! at catalog entries.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{EntryRef, ItemRef, order_items, order_refs};
use crate::error::{FieldProblem, Invalid, Required, Rule};
use crate::ids::{AuthId, EntryId, GroupId};
use crate::section::{Cardinality, Section};
use crate::values::{AuthName, Description};

/// Most entries one multi-valued section may hold. Generous for real configurations,
/// small enough that one auth stays one screen and one CSV row.
pub const MAX_SECTION_ENTRIES: usize = 200;

/// A published auth with its sections resolved to catalog entries. Serializes as the
/// JSON object of its fields (timestamps in RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Auth {
    /// The numeric id (what the Foreman-compatible API shows).
    pub number: i64,
    /// The opaque, stable id.
    pub auth_id: AuthId,
    /// Shared by an auth and its duplicates.
    pub group_id: GroupId,
    /// The name (exactly one).
    pub name: EntryRef,
    /// The description (zero or one).
    pub description: Option<EntryRef>,
    /// The lifecycle flag (exactly one).
    pub flag: EntryRef,
    /// Protocols (one or more), by label.
    pub protocols: Vec<EntryRef>,
    /// Slugs, by label.
    pub slugs: Vec<EntryRef>,
    /// Configuration items, by key; secret values are absent.
    pub items: Vec<ItemRef>,
    /// Owning departments, by label.
    pub departments: Vec<EntryRef>,
    /// Locations, by label.
    pub locations: Vec<EntryRef>,
    /// Starts at 1, +1 on every published change.
    pub version: i64,
    /// When it was first published.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Display name of the principal who created it.
    pub created_by: String,
    /// Display name of the principal who last changed it.
    pub updated_by: String,
}

fn ids(refs: &[EntryRef]) -> Vec<EntryId> {
    refs.iter().map(|r| r.id.clone()).collect()
}

impl Auth {
    /// The composition of this auth, as ids.
    pub fn content(&self) -> AuthContent {
        AuthContent {
            name_id: self.name.id.clone(),
            description_id: self.description.as_ref().map(|d| d.id.clone()),
            flag_id: self.flag.id.clone(),
            protocol_ids: ids(&self.protocols),
            slug_ids: ids(&self.slugs),
            item_ids: self.items.iter().map(|i| i.id.clone()).collect(),
            department_ids: ids(&self.departments),
            location_ids: ids(&self.locations),
        }
    }

    /// The fields that would recreate this auth (ids only): the base a patch is laid
    /// over.
    pub fn fields(&self) -> AuthFields {
        let c = self.content();
        AuthFields {
            name: Some(NameChoice::Id(c.name_id)),
            description: Some(c.description_id.map(DescriptionChoice::Id)),
            flag_id: Some(c.flag_id),
            protocol_ids: Some(c.protocol_ids),
            slug_ids: Some(c.slug_ids),
            item_ids: Some(c.item_ids),
            department_ids: Some(c.department_ids),
            location_ids: Some(c.location_ids),
        }
    }

    /// The ids of the owning departments.
    pub fn department_ids(&self) -> Vec<EntryId> {
        ids(&self.departments)
    }

    /// The entries of a section as `{id, label}` (items by their label, their key).
    pub fn section(&self, section: Section) -> Vec<EntryRef> {
        match section {
            Section::Name => vec![self.name.clone()],
            Section::Description => self.description.iter().cloned().collect(),
            Section::Flag => vec![self.flag.clone()],
            Section::Protocols => self.protocols.clone(),
            Section::Slugs => self.slugs.clone(),
            Section::Items => self
                .items
                .iter()
                .map(|i| EntryRef {
                    id: i.id.clone(),
                    label: i.label.clone(),
                })
                .collect(),
            Section::Departments => self.departments.clone(),
            Section::Locations => self.locations.clone(),
        }
    }

    /// Puts every multi-valued section in the order answers show it in (by label,
    /// case-insensitively, then id: [`order_refs`]). Adapters and use cases that build
    /// an auth call it, so that the same auth always reads the same.
    pub fn order_sections(&mut self) {
        for refs in [
            &mut self.protocols,
            &mut self.slugs,
            &mut self.departments,
            &mut self.locations,
        ] {
            order_refs(refs);
        }
        order_items(&mut self.items);
    }
}

/// What an auth is made of, as catalog ids: what a create or update writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthContent {
    /// Exactly one name.
    pub name_id: EntryId,
    /// Zero or one description.
    pub description_id: Option<EntryId>,
    /// Exactly one flag.
    pub flag_id: EntryId,
    /// One or more protocols.
    pub protocol_ids: Vec<EntryId>,
    /// Zero or more slugs.
    pub slug_ids: Vec<EntryId>,
    /// Zero or more items.
    pub item_ids: Vec<EntryId>,
    /// Zero or more departments.
    pub department_ids: Vec<EntryId>,
    /// Zero or more locations.
    pub location_ids: Vec<EntryId>,
}

/// The problems of one multi-valued section's ids: too few, too many, repeated.
pub fn list_problems(section: Section, ids: &[EntryId]) -> Vec<FieldProblem> {
    let field = section.ids_field();
    let mut problems = Vec::new();
    if let Cardinality::Many { min } = section.cardinality()
        && ids.len() < min
    {
        problems.push(FieldProblem::new(field, Rule::TooFew { min }));
    }
    if ids.len() > MAX_SECTION_ENTRIES {
        problems.push(FieldProblem::new(
            field,
            Rule::TooMany {
                len: ids.len(),
                max: MAX_SECTION_ENTRIES,
            },
        ));
    }
    let mut seen = HashSet::new();
    if let Some(dup) = ids.iter().find(|id| !seen.insert(*id)) {
        problems.push(FieldProblem::new(field, Rule::Repeated { id: dup.clone() }));
    }
    problems
}

impl AuthContent {
    /// Checks the cardinality rules of the sections: one or more protocols, no entry
    /// listed twice in a section, no section longer than [`MAX_SECTION_ENTRIES`].
    /// (That the ids exist, and are of the right catalog, is checked against the store.)
    ///
    /// # Errors
    /// Every broken rule, by field.
    pub fn check(&self) -> Result<(), Invalid> {
        Invalid::check(
            Section::MANY
                .into_iter()
                .flat_map(|s| list_problems(s, self.ids(s)))
                .collect(),
        )
    }

    /// The ids of one section (one, none or many).
    pub fn ids(&self, section: Section) -> &[EntryId] {
        match section {
            Section::Name => std::slice::from_ref(&self.name_id),
            Section::Description => self.description_id.as_slice(),
            Section::Flag => std::slice::from_ref(&self.flag_id),
            Section::Protocols => &self.protocol_ids,
            Section::Slugs => &self.slug_ids,
            Section::Items => &self.item_ids,
            Section::Departments => &self.department_ids,
            Section::Locations => &self.location_ids,
        }
    }

    /// Every entry the auth uses, with its section.
    pub fn entries(&self) -> impl Iterator<Item = (Section, &EntryId)> {
        Section::ALL
            .into_iter()
            .flat_map(move |s| self.ids(s).iter().map(move |id| (s, id)))
    }

    /// Whether the auth uses the entry `id` in any section.
    pub fn uses(&self, id: &EntryId) -> bool {
        self.entries().any(|(_, e)| e == id)
    }

    /// The entries of catalogs with homes (see [`CatalogKind::has_home`](crate::CatalogKind::has_home)) that this
    /// content uses and `after` (the same auth changed; `None`: deleted) does not: those
    /// a write leaves to be homed in this content's departments.
    pub fn dropped(&self, after: Option<&Self>) -> Vec<EntryId> {
        let mut ids: Vec<EntryId> = self
            .entries()
            .filter(|(s, id)| s.kind().has_home() && !after.is_some_and(|a| a.uses(id)))
            .map(|(_, id)| id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The same content with each multi-valued section as a sorted set, so that order
    /// does not count as a change.
    #[must_use]
    pub fn normalized(mut self) -> Self {
        for ids in [
            &mut self.protocol_ids,
            &mut self.slug_ids,
            &mut self.item_ids,
            &mut self.department_ids,
            &mut self.location_ids,
        ] {
            ids.sort();
        }
        self
    }
}

/// A name given as free text (creates or reuses a catalog name) or as a catalog id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameChoice {
    /// Free text.
    Text(AuthName),
    /// An existing catalog name.
    Id(EntryId),
}

/// A description given as free text or as a catalog id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DescriptionChoice {
    /// Free text.
    Text(Description),
    /// An existing catalog description.
    Id(EntryId),
}

/// The fields a client may send for an auth: every one optional, so that the same
/// type carries a create (required fields checked by [`AuthFields::require_complete`]),
/// an update (only the present fields change) and a draft (a patch).
///
/// `description: Some(None)` means "clear the description"; `None` means "not given".
/// In JSON a field not given is absent and a cleared description is `null`, so that a
/// round trip keeps the two apart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthFields {
    /// The name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<NameChoice>,
    /// The description; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub description: Option<Option<DescriptionChoice>>,
    /// The flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag_id: Option<EntryId>,
    /// The protocols (the whole set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol_ids: Option<Vec<EntryId>>,
    /// The slugs (the whole set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug_ids: Option<Vec<EntryId>>,
    /// The items (the whole set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_ids: Option<Vec<EntryId>>,
    /// The departments (the whole set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_ids: Option<Vec<EntryId>>,
    /// The locations (the whole set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_ids: Option<Vec<EntryId>>,
}

/// Reads a field that is present: `null` is `Some(None)` (absent stays the default,
/// `None`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl AuthFields {
    /// The fields that would recreate `content`, every section given by id.
    pub fn from_content(c: &AuthContent) -> Self {
        Self {
            name: Some(NameChoice::Id(c.name_id.clone())),
            description: Some(c.description_id.clone().map(DescriptionChoice::Id)),
            flag_id: Some(c.flag_id.clone()),
            protocol_ids: Some(c.protocol_ids.clone()),
            slug_ids: Some(c.slug_ids.clone()),
            item_ids: Some(c.item_ids.clone()),
            department_ids: Some(c.department_ids.clone()),
            location_ids: Some(c.location_ids.clone()),
        }
    }

    /// Checks that a create carries what a new auth needs: a name and at least one
    /// protocol.
    ///
    /// # Errors
    /// One problem per missing field.
    pub fn require_complete(&self) -> Result<(), Invalid> {
        let mut problems = Vec::new();
        if self.name.is_none() {
            problems.push(FieldProblem::new(
                "name",
                Rule::Required {
                    what: Required::Name,
                },
            ));
        }
        if self.protocol_ids.as_ref().is_none_or(Vec::is_empty) {
            problems.push(FieldProblem::new(
                "protocol_ids",
                Rule::Required {
                    what: Required::Protocol,
                },
            ));
        }
        Invalid::check(problems)
    }

    /// The lists longer than [`MAX_SECTION_ENTRIES`], one problem each: checked before
    /// anything is looked up, so that a list of 40,000 ids costs no query and its
    /// answer names the bound once, not every unknown id.
    pub fn oversized_lists(&self) -> Vec<FieldProblem> {
        Section::MANY
            .into_iter()
            .filter_map(|s| {
                let ids = self.list(s)?;
                (ids.len() > MAX_SECTION_ENTRIES).then(|| {
                    FieldProblem::new(
                        s.ids_field(),
                        Rule::TooMany {
                            len: ids.len(),
                            max: MAX_SECTION_ENTRIES,
                        },
                    )
                })
            })
            .collect()
    }

    /// The ids given for a multi-valued section (`None`: not given, or a
    /// single-valued section).
    pub fn list(&self, section: Section) -> Option<&[EntryId]> {
        match section {
            Section::Protocols => self.protocol_ids.as_deref(),
            Section::Slugs => self.slug_ids.as_deref(),
            Section::Items => self.item_ids.as_deref(),
            Section::Departments => self.department_ids.as_deref(),
            Section::Locations => self.location_ids.as_deref(),
            Section::Name | Section::Description | Section::Flag => None,
        }
    }

    /// Whether no field is present.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Lays `patch` over `self`: each field present in `patch` replaces this one's.
    #[must_use]
    pub fn merged(mut self, patch: Self) -> Self {
        macro_rules! take {
            ($($f:ident),*) => { $( if patch.$f.is_some() { self.$f = patch.$f; } )* };
        }
        take!(
            name,
            description,
            flag_id,
            protocol_ids,
            slug_ids,
            item_ids,
            department_ids,
            location_ids
        );
        self
    }
}

/// A new auth, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuth {
    /// Its opaque id.
    pub auth_id: AuthId,
    /// Its group (a fresh one, or the original's for a duplicate).
    pub group_id: GroupId,
    /// What it is made of.
    pub content: AuthContent,
    /// When it is published.
    pub at: DateTime<Utc>,
    /// Who publishes it (display name).
    pub by: String,
}

/// The names a duplicate may take, in order: `"<name> (copy)"`, then "(copy 2)",
/// "(copy 3)", ... A name too long to take the suffix is shortened first, so that each
/// candidate is a valid [`AuthName`].
pub fn copy_names(original: &AuthName) -> impl Iterator<Item = AuthName> + '_ {
    (1u32..).filter_map(move |n| {
        let suffix = if n == 1 {
            " (copy)".to_owned()
        } else {
            format!(" (copy {n})")
        };
        let room = crate::values::MAX_NAME_CHARS - suffix.chars().count();
        let base: String = original.as_str().chars().take(room).collect();
        AuthName::parse(&format!("{}{suffix}", base.trim_end())).ok()
    })
}

/// The first of [`copy_names`] that `taken` says is free (compared case-insensitively
/// by the caller).
pub fn duplicate_name(original: &AuthName, mut taken: impl FnMut(&AuthName) -> bool) -> AuthName {
    copy_names(original)
        .find(|c| !taken(c))
        .unwrap_or_else(|| unreachable!("u32 copies exhausted"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> EntryId {
        EntryId::parse(s).unwrap()
    }

    fn content() -> AuthContent {
        AuthContent {
            name_id: id("n1"),
            description_id: None,
            flag_id: id("flag-active"),
            protocol_ids: vec![id("protocol-ldap")],
            slug_ids: vec![],
            item_ids: vec![],
            department_ids: vec![],
            location_ids: vec![],
        }
    }

    #[test]
    fn content_needs_a_protocol_and_no_repeats() {
        assert!(content().check().is_ok());
        let mut c = content();
        c.protocol_ids.clear();
        assert_eq!(c.check().unwrap_err().problems[0].field, "protocol_ids");
        let mut c = content();
        c.slug_ids = vec![id("s"), id("s")];
        c.department_ids = vec![id("d"); MAX_SECTION_ENTRIES + 1];
        let fields: Vec<_> = c
            .check()
            .unwrap_err()
            .problems
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["slug_ids", "department_ids", "department_ids"]);
    }

    #[test]
    fn create_requires_name_and_protocols() {
        let err = AuthFields::default().require_complete().unwrap_err();
        let fields: Vec<_> = err.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["name", "protocol_ids"]);
        let f = AuthFields {
            name: Some(NameChoice::Text(AuthName::parse("x").unwrap())),
            protocol_ids: Some(vec![]),
            ..AuthFields::default()
        };
        assert_eq!(
            f.require_complete().unwrap_err().problems[0].field,
            "protocol_ids"
        );
    }

    #[test]
    fn merge_replaces_only_present_fields() {
        let base = AuthFields {
            name: Some(NameChoice::Id(id("n1"))),
            description: Some(Some(DescriptionChoice::Id(id("d1")))),
            protocol_ids: Some(vec![id("p1")]),
            ..AuthFields::default()
        };
        let patch = AuthFields {
            description: Some(None),
            slug_ids: Some(vec![id("s1")]),
            ..AuthFields::default()
        };
        let m = base.merged(patch);
        assert_eq!(m.name, Some(NameChoice::Id(id("n1"))));
        assert_eq!(m.description, Some(None));
        assert_eq!(m.protocol_ids, Some(vec![id("p1")]));
        assert_eq!(m.slug_ids, Some(vec![id("s1")]));
        assert!(AuthFields::default().is_empty() && !m.is_empty());
    }

    #[test]
    fn duplicate_names_count_up() {
        let n = AuthName::parse("Corp LDAP").unwrap();
        assert_eq!(duplicate_name(&n, |_| false).as_str(), "Corp LDAP (copy)");
        let taken = ["corp ldap (copy)", "corp ldap (copy 2)"];
        assert_eq!(
            duplicate_name(&n, |c| taken.contains(&c.key().as_str())).as_str(),
            "Corp LDAP (copy 3)"
        );
        let long = AuthName::parse(&"x".repeat(255)).unwrap();
        let d = duplicate_name(&long, |_| false);
        assert_eq!(d.as_str().chars().count(), 255);
        assert!(d.as_str().ends_with(" (copy)"));
    }
}
