//! Turning what a client sent (free text or ids) into an auth's content (ids only),
//! checking that every id names an entry of its section's catalog, that the name and
//! slugs are free, and, for a caller who publishes, creating catalog names and
//! descriptions given as text. One examination serves both publishing (every problem
//! stops the write) and a draft's form state (every problem is listed).

use std::collections::BTreeMap;

use auths_domain::auth::list_problems;
use auths_domain::catalog::FLAG_ACTIVE;
use auths_domain::{
    Auth, AuthContent, AuthFields, AuthId, Caller, CatalogEntry, CatalogKind, DescriptionChoice,
    EntryId, EntryKey, EntryRef, FieldProblem, GroupId, Invalid, NameChoice, NewCatalogEntry,
    Repositories, Required, Rule, Section,
};
use chrono::{DateTime, Utc};

use crate::error::Conflict;
use crate::{AppError, clock};

/// What an examination is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Publishing: names and descriptions given as text are found in or added to their
    /// catalogs.
    Publish,
    /// Showing a draft's problems: nothing is written.
    Inspect,
}

/// A checked composition: the content to store and the entries it names, by section.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// The content, as ids.
    pub content: AuthContent,
    entries: BTreeMap<Section, Vec<CatalogEntry>>,
}

/// Who and when, for the auth a write produces.
pub(crate) struct Stamp<'a> {
    pub number: i64,
    pub auth_id: &'a AuthId,
    pub group_id: &'a GroupId,
    pub version: i64,
    pub created: (DateTime<Utc>, &'a str),
    pub updated: (DateTime<Utc>, &'a str),
}

impl Resolved {
    /// The department entries (for the caller's scope check).
    pub fn departments(&self) -> Vec<EntryRef> {
        self.refs(Section::Departments)
    }

    fn refs(&self, section: Section) -> Vec<EntryRef> {
        self.entries
            .get(&section)
            .map(|es| es.iter().map(CatalogEntry::to_ref).collect())
            .unwrap_or_default()
    }

    fn one(&self, section: Section) -> Result<EntryRef, AppError> {
        self.refs(section)
            .pop()
            .ok_or_else(|| AppError::Internal(format!("resolved without a {section}")))
    }

    /// The auth as the store now holds it, built from what was read to check it: a
    /// write reads nothing back.
    pub fn auth(&self, stamp: &Stamp<'_>) -> Result<Auth, AppError> {
        let mut auth = Auth {
            number: stamp.number,
            auth_id: stamp.auth_id.clone(),
            group_id: stamp.group_id.clone(),
            name: self.one(Section::Name)?,
            description: self.refs(Section::Description).pop(),
            flag: self.one(Section::Flag)?,
            protocols: self.refs(Section::Protocols),
            slugs: self.refs(Section::Slugs),
            items: self
                .entries
                .get(&Section::Items)
                .map(|es| es.iter().map(CatalogEntry::to_item).collect())
                .unwrap_or_default(),
            departments: self.refs(Section::Departments),
            locations: self.refs(Section::Locations),
            version: stamp.version,
            created_at: stamp.created.0,
            created_by: stamp.created.1.to_owned(),
            updated_at: stamp.updated.0,
            updated_by: stamp.updated.1.to_owned(),
        };
        auth.order_sections();
        Ok(auth)
    }
}

/// The entries of `section` among `ids`, in their order, with a problem for each id
/// that names no entry of the section's catalog.
fn known<T: Repositories>(
    tx: &mut T,
    section: Section,
    ids: &[EntryId],
    problems: &mut Vec<FieldProblem>,
) -> Result<Vec<CatalogEntry>, AppError> {
    let found = tx.entries_by_ids(section.kind(), ids)?;
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

/// The catalog entry with this text: found, or (publishing) created; concurrent
/// creators of the same text share one entry. Inspecting, an entry not there yet is
/// `None`.
fn entry_for_text<T: Repositories>(
    tx: &mut T,
    kind: CatalogKind,
    text: &str,
    mode: Mode,
) -> Result<Option<CatalogEntry>, AppError> {
    if mode == Mode::Inspect {
        return Ok(tx.entry_by_label(kind, text)?);
    }
    let entry = NewCatalogEntry {
        id: EntryId::parse(&clock::new_id())?,
        kind,
        label: text.to_owned(),
        item: None,
    };
    Ok(Some(tx.ensure_entry(&entry, clock::now())?))
}

/// What an examination found.
struct Examined {
    /// Values that are wrong (422).
    problems: Vec<FieldProblem>,
    /// A name or slugs another auth has (409 when publishing).
    taken: Vec<FieldProblem>,
    entries: BTreeMap<Section, Vec<CatalogEntry>>,
}

fn examine<T: Repositories>(
    tx: &mut T,
    fields: &AuthFields,
    this: Option<&AuthId>,
    mode: Mode,
) -> Result<Examined, AppError> {
    let mut problems = fields
        .require_complete()
        .err()
        .map(|e| e.problems)
        .unwrap_or_default();
    let mut taken = Vec::new();
    let mut entries = BTreeMap::new();
    let is_other = |owner: Option<AuthId>| owner.is_some_and(|o| Some(&o) != this);

    let (name, name_field) = match &fields.name {
        Some(NameChoice::Text(n)) => (
            entry_for_text(tx, CatalogKind::Names, n.as_str(), mode)?,
            "name",
        ),
        Some(NameChoice::Id(id)) => (
            known(tx, Section::Name, std::slice::from_ref(id), &mut problems)?.pop(),
            "name_id",
        ),
        None => (None, "name"),
    };
    if let Some(name) = name {
        if is_other(tx.auth_named(&name.id)?) {
            taken.push(FieldProblem::new(name_field, Rule::NameTaken));
        }
        entries.insert(Section::Name, vec![name]);
    }
    let description = match fields.description.clone().flatten() {
        Some(DescriptionChoice::Text(d)) => {
            entry_for_text(tx, CatalogKind::Descriptions, d.as_str(), mode)?
        }
        Some(DescriptionChoice::Id(id)) => known(
            tx,
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
        None => EntryId::parse(FLAG_ACTIVE)?,
    };
    let flag = known(
        tx,
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
        let found = known(tx, section, ids, &mut problems)?;
        // "At least one protocol" is said once, by `require_complete`.
        problems.extend(
            list_problems(section, ids)
                .into_iter()
                .filter(|p| !(required_protocol && matches!(p.rule, Rule::TooFew { .. }))),
        );
        entries.insert(section, found);
    }
    let slugs = fields.list(Section::Slugs).unwrap_or_default();
    for (slug, _) in tx
        .slug_owners(slugs)?
        .into_iter()
        .filter(|(_, owner)| Some(owner) != this)
    {
        taken.push(FieldProblem::new(
            Section::Slugs.ids_field(),
            Rule::SlugTaken { slug },
        ));
    }
    Ok(Examined {
        problems,
        taken,
        entries,
    })
}

/// The content of a new or changed auth, checked against the store: every id exists
/// in its catalog, the name is free (not another auth's: `this` is the auth being
/// changed, if any), slugs belong to no other auth. Names and descriptions given as
/// text are found in or added to their catalogs.
///
/// # Errors
/// `Invalid` with every wrong value; then `Conflict` for a taken name or slug.
pub(crate) fn content<T: Repositories>(
    tx: &mut T,
    fields: &AuthFields,
    this: Option<&AuthId>,
) -> Result<Resolved, AppError> {
    let examined = examine(tx, fields, this, Mode::Publish)?;
    Invalid::check(examined.problems)?;
    if let Some(first) = examined.taken.into_iter().next() {
        return Err(match first.rule {
            Rule::SlugTaken { slug } => Conflict::SlugTaken { slug },
            _ => Conflict::NameTaken,
        }
        .into());
    }
    let e = &examined.entries;
    let ids = |s: Section| -> Vec<EntryId> {
        e.get(&s)
            .map(|es| es.iter().map(|x| x.id.clone()).collect())
            .unwrap_or_default()
    };
    let one = |s: Section| {
        ids(s)
            .pop()
            .ok_or_else(|| AppError::Internal(format!("checked without a {s}")))
    };
    let content = AuthContent {
        name_id: one(Section::Name)?,
        description_id: ids(Section::Description).pop(),
        flag_id: one(Section::Flag)?,
        protocol_ids: ids(Section::Protocols),
        slug_ids: ids(Section::Slugs),
        item_ids: ids(Section::Items),
        department_ids: ids(Section::Departments),
        location_ids: ids(Section::Locations),
    };
    Ok(Resolved {
        content,
        entries: examined.entries,
    })
}

/// Every problem that would stop `fields` from being published, found without writing
/// anything: unknown ids, a name or slug of another auth, sections that break the
/// cardinality rules, departments out of the caller's scope. (`fields` parsed already;
/// `this` is the auth the draft edits, as it is now.)
pub(crate) fn problems<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    fields: &AuthFields,
    this: Option<&Auth>,
) -> Result<Vec<FieldProblem>, AppError> {
    let examined = examine(tx, fields, this.map(|a| &a.auth_id), Mode::Inspect)?;
    let mut problems = examined.problems;
    problems.extend(examined.taken);
    let departments: Vec<EntryRef> = examined
        .entries
        .get(&Section::Departments)
        .map(|es| es.iter().map(CatalogEntry::to_ref).collect())
        .unwrap_or_default();
    let allowed = match this {
        Some(auth) => caller.may_change_departments(&auth.departments, &departments),
        None => caller.may_assign(&departments),
    };
    if let Err(denial) = allowed {
        problems.push(FieldProblem::new(
            Section::Departments.ids_field(),
            Rule::Denied { denial },
        ));
    }
    Ok(problems)
}
