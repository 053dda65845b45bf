//! Composing an auth: checking fields that name catalog entries against the catalogs
//! and the other auths, and building the auth they make. The rules of the auths-v5
//! spec, "What an auth is": every id names an entry of its section's catalog, the
//! sections have their cardinality, a name is one auth's, a slug belongs to one auth,
//! an auth lists an item key once.
//!
//! What composing reads is a [`Lookup`]: a transaction of any store (every
//! [`crate::ports::Repositories`] is one), or [`crate::Catalogs`] in memory.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::auth::{Auth, AuthContent, AuthFields, DescriptionChoice, NameChoice, list_problems};
use crate::catalog::{CatalogEntry, CatalogKind, EntryRef, FLAG_ACTIVE};
use crate::error::{EntryKey, FieldProblem, Invalid, RepoError, Required, Rule};
use crate::ids::{AuthId, EntryId, GroupId};
use crate::ports::{AuthRepository, CatalogRepository};
use crate::section::Section;

/// What composing an auth reads: catalog entries, and which auths hold a name or a
/// slug.
pub trait Lookup {
    /// What reading can fail with.
    type Error;

    /// The entries of `kind` among `ids` (unknown ids are absent).
    ///
    /// # Errors
    /// The source's own failures.
    fn entries_by_ids(
        &mut self,
        kind: CatalogKind,
        ids: &[EntryId],
    ) -> Result<Vec<CatalogEntry>, Self::Error>;

    /// The entry of `kind` labelled `label`, case-insensitively.
    ///
    /// # Errors
    /// The source's own failures.
    fn entry_by_label(
        &mut self,
        kind: CatalogKind,
        label: &str,
    ) -> Result<Option<CatalogEntry>, Self::Error>;

    /// The auth whose name is the entry `name_id`, if any.
    ///
    /// # Errors
    /// The source's own failures.
    fn auth_named(&mut self, name_id: &EntryId) -> Result<Option<AuthId>, Self::Error>;

    /// For each of `slug_ids` that belongs to an auth: the slug and its auth.
    ///
    /// # Errors
    /// The source's own failures.
    fn slug_owners(&mut self, slug_ids: &[EntryId]) -> Result<Vec<(EntryId, AuthId)>, Self::Error>;
}

impl<T: CatalogRepository + AuthRepository> Lookup for T {
    type Error = RepoError;

    fn entries_by_ids(
        &mut self,
        kind: CatalogKind,
        ids: &[EntryId],
    ) -> Result<Vec<CatalogEntry>, RepoError> {
        CatalogRepository::entries_by_ids(self, kind, ids)
    }

    fn entry_by_label(
        &mut self,
        kind: CatalogKind,
        label: &str,
    ) -> Result<Option<CatalogEntry>, RepoError> {
        CatalogRepository::entry_by_label(self, kind, label)
    }

    fn auth_named(&mut self, name_id: &EntryId) -> Result<Option<AuthId>, RepoError> {
        AuthRepository::auth_named(self, name_id)
    }

    fn slug_owners(&mut self, slug_ids: &[EntryId]) -> Result<Vec<(EntryId, AuthId)>, RepoError> {
        AuthRepository::slug_owners(self, slug_ids)
    }
}

/// What an examination found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Examination {
    /// Values that break a rule, by field (a client's mistake to fix).
    pub problems: Vec<FieldProblem>,
    /// A name or slugs another auth holds ([`Rule::NameTaken`], [`Rule::SlugTaken`]).
    pub taken: Vec<FieldProblem>,
    entries: BTreeMap<Section, Vec<CatalogEntry>>,
    /// The sections ([`Section::Name`], [`Section::Description`]) given as text that
    /// names no entry yet.
    new_texts: Vec<Section>,
}

/// Who and when, for the auth a composition makes.
#[derive(Debug, Clone, Copy)]
pub struct Stamp<'a> {
    /// Its number.
    pub number: i64,
    /// Its id.
    pub auth_id: &'a AuthId,
    /// Its group.
    pub group_id: &'a GroupId,
    /// Its version.
    pub version: i64,
    /// When it was created, and by whom.
    pub created: (DateTime<Utc>, &'a str),
    /// When it last changed, and by whom.
    pub updated: (DateTime<Utc>, &'a str),
}

/// A checked composition: the content to store and the entries it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composition {
    content: AuthContent,
    entries: BTreeMap<Section, Vec<CatalogEntry>>,
}

impl Composition {
    /// The content, as ids.
    pub fn content(&self) -> &AuthContent {
        &self.content
    }

    /// The entries of a section, in the order they were given.
    pub fn entries(&self, section: Section) -> &[CatalogEntry] {
        self.entries.get(&section).map_or(&[], Vec::as_slice)
    }

    /// The departments, as `{id, label}` (for a caller's scope check).
    pub fn departments(&self) -> Vec<EntryRef> {
        self.refs(Section::Departments)
    }

    fn refs(&self, section: Section) -> Vec<EntryRef> {
        self.entries(section)
            .iter()
            .map(CatalogEntry::to_ref)
            .collect()
    }

    /// The auth this composition makes, stamped: its sections in the order every answer
    /// shows, secret values absent. What a store reads back after storing the content.
    pub fn auth(&self, stamp: &Stamp<'_>) -> Auth {
        let first = |s: Section| {
            self.refs(s)
                .into_iter()
                .next()
                .unwrap_or_else(|| unreachable!("a composition holds its {s}"))
        };
        let mut auth = Auth {
            number: stamp.number,
            auth_id: stamp.auth_id.clone(),
            group_id: stamp.group_id.clone(),
            name: first(Section::Name),
            description: self.refs(Section::Description).into_iter().next(),
            flag: first(Section::Flag),
            protocols: self.refs(Section::Protocols),
            slugs: self.refs(Section::Slugs),
            items: self
                .entries(Section::Items)
                .iter()
                .map(CatalogEntry::to_item)
                .collect(),
            departments: self.refs(Section::Departments),
            locations: self.refs(Section::Locations),
            version: stamp.version,
            created_at: stamp.created.0,
            created_by: stamp.created.1.to_owned(),
            updated_at: stamp.updated.0,
            updated_by: stamp.updated.1.to_owned(),
        };
        auth.order_sections();
        auth
    }
}

/// Why a composition could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// Values that break a rule.
    #[error("{0}")]
    Invalid(Invalid),
    /// A name or a slug another auth holds.
    #[error("{}", .0.rule)]
    Taken(FieldProblem),
    /// The name or the description was given as text that no catalog entry has yet:
    /// the caller adds it to its catalog first, as
    /// [`Catalogs::compose`](crate::Catalogs::compose) and a store's publisher do.
    #[error("the {section} given as text is in no catalog yet; add it first")]
    NewText {
        /// [`Section::Name`] or [`Section::Description`].
        section: Section,
    },
}

impl Examination {
    /// Every problem: wrong values, then taken names and slugs.
    pub fn all_problems(&self) -> Vec<FieldProblem> {
        self.problems.iter().chain(&self.taken).cloned().collect()
    }

    /// The composition, when nothing is wrong.
    ///
    /// # Errors
    /// [`Refusal::Invalid`] with every wrong value, else [`Refusal::NewText`] for a
    /// name or description given as text that is in no catalog yet, else
    /// [`Refusal::Taken`] with the first taken name or slug.
    pub fn composition(self) -> Result<Composition, Refusal> {
        Invalid::check(self.problems).map_err(Refusal::Invalid)?;
        if let Some(&section) = self.new_texts.first() {
            return Err(Refusal::NewText { section });
        }
        if let Some(first) = self.taken.into_iter().next() {
            return Err(Refusal::Taken(first));
        }
        let ids = |s: Section| -> Vec<EntryId> {
            self.entries
                .get(&s)
                .map(|es| es.iter().map(|e| e.id.clone()).collect())
                .unwrap_or_default()
        };
        let (Some(name_id), Some(flag_id)) = (ids(Section::Name).pop(), ids(Section::Flag).pop())
        else {
            // Only a missing name gets here (the flag defaults to `active`).
            return Err(Refusal::Invalid(Invalid::one(
                "name",
                Rule::Required {
                    what: Required::Name,
                },
            )));
        };
        let content = AuthContent {
            name_id,
            description_id: ids(Section::Description).pop(),
            flag_id,
            protocol_ids: ids(Section::Protocols),
            slug_ids: ids(Section::Slugs),
            item_ids: ids(Section::Items),
            department_ids: ids(Section::Departments),
            location_ids: ids(Section::Locations),
        };
        Ok(Composition {
            content,
            entries: self.entries,
        })
    }

    /// Whether a name or description was given as text that is in no catalog yet (a
    /// publisher adds it before composing; a form shows it as new).
    pub fn has_new_text(&self) -> bool {
        !self.new_texts.is_empty()
    }

    /// The sections ([`Section::Name`], [`Section::Description`]) given as text that
    /// is in no catalog yet, in that order.
    pub fn new_texts(&self) -> &[Section] {
        &self.new_texts
    }
}

/// The entries of `section` among `ids`, in their order, with a problem for each id
/// that names no entry of the section's catalog.
fn known<L: Lookup>(
    lookup: &mut L,
    section: Section,
    ids: &[EntryId],
    problems: &mut Vec<FieldProblem>,
) -> Result<Vec<CatalogEntry>, L::Error> {
    let found = lookup.entries_by_ids(section.kind(), ids)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match found.iter().find(|e| &e.id == id) {
            Some(e) => out.push(e.clone()),
            None => problems.push(FieldProblem::new(
                section.ids_field(),
                Rule::UnknownEntry {
                    kind: section.kind(),
                    key: EntryKey::Id(id.clone()),
                },
            )),
        }
    }
    Ok(out)
}

/// The problem of items listing one key twice (a configuration has one `host`).
fn repeated_keys(items: &[CatalogEntry]) -> Option<FieldProblem> {
    let mut keys: Vec<String> = items
        .iter()
        .map(|e| crate::values::fold_case(&e.to_item().key))
        .collect();
    keys.sort();
    keys.windows(2).find(|w| w[0] == w[1]).map(|w| {
        FieldProblem::new(
            Section::Items.ids_field(),
            Rule::RepeatedKey { key: w[0].clone() },
        )
    })
}

/// Examines the fields of a new auth, or of `this` changed: every value against its
/// catalog and its section's rules, and the name and slugs against the other auths.
/// Reads only; reports every problem at once. A name or description given as text is
/// looked up by label (and is new when no entry has it).
///
/// # Errors
/// Only the lookup's own failures.
pub fn examine<L: Lookup>(
    lookup: &mut L,
    fields: &AuthFields,
    this: Option<&AuthId>,
) -> Result<Examination, L::Error> {
    let mut problems = fields
        .require_complete()
        .err()
        .map(|e| e.problems)
        .unwrap_or_default();
    let mut taken = Vec::new();
    let mut entries = BTreeMap::new();
    let mut new_texts = Vec::new();

    let (name, name_field) = match &fields.name {
        Some(NameChoice::Text(n)) => (
            lookup.entry_by_label(CatalogKind::Names, n.as_str())?,
            "name",
        ),
        Some(NameChoice::Id(id)) => (
            known(
                lookup,
                Section::Name,
                std::slice::from_ref(id),
                &mut problems,
            )?
            .pop(),
            "name_id",
        ),
        None => (None, "name"),
    };
    if matches!(fields.name, Some(NameChoice::Text(_))) && name.is_none() {
        new_texts.push(Section::Name);
    }
    if let Some(name) = name {
        if lookup
            .auth_named(&name.id)?
            .is_some_and(|owner| Some(&owner) != this)
        {
            taken.push(FieldProblem::new(name_field, Rule::NameTaken));
        }
        entries.insert(Section::Name, vec![name]);
    }
    let description = match fields.description.clone().flatten() {
        Some(DescriptionChoice::Text(d)) => {
            let found = lookup.entry_by_label(CatalogKind::Descriptions, d.as_str())?;
            if found.is_none() {
                new_texts.push(Section::Description);
            }
            found
        }
        Some(DescriptionChoice::Id(id)) => known(
            lookup,
            Section::Description,
            std::slice::from_ref(&id),
            &mut problems,
        )?
        .pop(),
        None => None,
    };
    entries.insert(Section::Description, description.into_iter().collect());
    let flag_id = match &fields.flag_id {
        Some(f) => f.clone(),
        None => EntryId::parse(FLAG_ACTIVE).unwrap_or_else(|_| unreachable!("a seed's id")),
    };
    let flag = known(
        lookup,
        Section::Flag,
        std::slice::from_ref(&flag_id),
        &mut problems,
    )?;
    entries.insert(Section::Flag, flag);

    let required_protocol = problems.iter().any(|p| {
        p.rule
            == Rule::Required {
                what: Required::Protocol,
            }
    });
    for section in Section::MANY {
        let ids = fields.list(section).unwrap_or_default();
        let found = known(lookup, section, ids, &mut problems)?;
        // "At least one protocol" is said once, by `require_complete`.
        problems.extend(
            list_problems(section, ids)
                .into_iter()
                .filter(|p| !(required_protocol && matches!(p.rule, Rule::TooFew { .. }))),
        );
        if section == Section::Items {
            problems.extend(repeated_keys(&found));
        }
        entries.insert(section, found);
    }
    let slugs = fields.list(Section::Slugs).unwrap_or_default();
    for (slug, _) in lookup
        .slug_owners(slugs)?
        .into_iter()
        .filter(|(_, owner)| Some(owner) != this)
    {
        taken.push(FieldProblem::new(
            Section::Slugs.ids_field(),
            Rule::SlugTaken { slug },
        ));
    }
    Ok(Examination {
        problems,
        taken,
        entries,
        new_texts,
    })
}
