//! Turning what a client sent (free text or ids) into an auth's content, with the
//! domain's rules of composition ([`auths_domain::examine`]): a publisher first finds
//! in or adds to their catalogs the name and description given as text, then the
//! whole is examined; a draft's form state lists every problem without writing.

use auths_domain::{
    Auth, AuthFields, AuthId, Caller, CatalogEntry, CatalogKind, Composition, DescriptionChoice,
    EntryId, FieldProblem, Lookup, NameChoice, NewCatalogEntry, Refusal, RepoError, Repositories,
    Rule, Section, examine,
};

use crate::error::Conflict;
use crate::{AppError, clock};

/// The store as a scoped caller reads it while composing: the entries it does not see
/// (`unseen`) are absent, as unknown ids are, so that no rule of the composition (a
/// taken slug, a repeated item key) tells anything about them.
///
/// Every entry the fields name is read at once, before the composition asks section by
/// section (`known`: what was asked, `found`: what exists), so that checking an auth
/// costs one lookup, not one a section.
struct AsSeen<'a, T> {
    tx: &'a mut T,
    unseen: &'a [EntryId],
    known: Vec<EntryId>,
    found: Vec<CatalogEntry>,
}

impl<'a, T: Repositories> AsSeen<'a, T> {
    fn new(tx: &'a mut T, unseen: &'a [EntryId], fields: &AuthFields) -> Result<Self, RepoError> {
        let mut known = named_ids(fields);
        known.sort_unstable();
        known.dedup();
        let found = tx.entries_by_any_ids(&known)?;
        Ok(Self {
            tx,
            unseen,
            known,
            found,
        })
    }
}

/// Every catalog id `fields` names, in any section.
pub(crate) fn named_ids(fields: &AuthFields) -> Vec<EntryId> {
    let mut ids = Vec::new();
    if let Some(NameChoice::Id(i)) = &fields.name {
        ids.push(i.clone());
    }
    if let Some(Some(DescriptionChoice::Id(i))) = &fields.description {
        ids.push(i.clone());
    }
    match &fields.flag_id {
        Some(flag) => ids.push(flag.clone()),
        // The flag a new auth gets when none is given, which the composition reads.
        None => ids.extend(EntryId::parse(auths_domain::catalog::FLAG_ACTIVE).ok()),
    }
    for list in [
        &fields.protocol_ids,
        &fields.slug_ids,
        &fields.item_ids,
        &fields.department_ids,
        &fields.location_ids,
    ] {
        ids.extend(list.iter().flatten().cloned());
    }
    ids
}

impl<T: Repositories> Lookup for AsSeen<'_, T> {
    type Error = RepoError;

    fn entries_by_ids(
        &mut self,
        kind: CatalogKind,
        ids: &[EntryId],
    ) -> Result<Vec<CatalogEntry>, RepoError> {
        let mut found = if ids.iter().all(|i| self.known.binary_search(i).is_ok()) {
            self.found
                .iter()
                .filter(|e| e.kind == kind && ids.contains(&e.id))
                .cloned()
                .collect()
        } else {
            self.tx.entries_by_ids(kind, ids)?
        };
        found.retain(|e| !self.unseen.contains(&e.id));
        Ok(found)
    }

    fn entry_by_label(
        &mut self,
        kind: CatalogKind,
        label: &str,
    ) -> Result<Option<CatalogEntry>, RepoError> {
        self.tx.entry_by_label(kind, label)
    }

    fn auth_named(&mut self, name_id: &EntryId) -> Result<Option<AuthId>, RepoError> {
        self.tx.auth_named(name_id)
    }

    fn slug_owners(&mut self, slug_ids: &[EntryId]) -> Result<Vec<(EntryId, AuthId)>, RepoError> {
        let mut owners = self.tx.slug_owners(slug_ids)?;
        owners.retain(|(slug, _)| !self.unseen.contains(slug));
        Ok(owners)
    }
}

/// The catalog entry with this text, found or added (concurrent creators of the same
/// text share one entry).
fn entry_for_text<T: Repositories>(
    tx: &mut T,
    kind: CatalogKind,
    text: &str,
) -> Result<EntryId, AppError> {
    Ok(tx.ensure_entry(&text_entry(kind, text)?, clock::now())?.id)
}

/// A new entry of `kind` (names or descriptions) with this text, under a new id.
pub(crate) fn text_entry(kind: CatalogKind, text: &str) -> Result<NewCatalogEntry, AppError> {
    Ok(NewCatalogEntry {
        id: EntryId::parse(&clock::new_id())?,
        kind,
        label: text.to_owned(),
        item: None,
    })
}

/// The content of a new or changed auth, checked against the store and the caller's
/// scope (`this` is the auth being changed, if any). Names and descriptions given as
/// text are found in or added to their catalogs.
///
/// # Errors
/// `Invalid` with every wrong value (entries the caller does not see are unknown);
/// `Forbidden` for an entry the caller sees but may not link; `Conflict` for a taken
/// name or slug.
pub(crate) fn content<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    fields: &AuthFields,
    this: Option<&Auth>,
) -> Result<Composition, AppError> {
    let oversized = fields.oversized_lists();
    if !oversized.is_empty() {
        return Err(AppError::Invalid(oversized));
    }
    let (unseen, denied) = super::scope::link_problems(tx, caller, fields, this)?;
    let mut fields = fields.clone();
    if let Some(NameChoice::Text(n)) = &fields.name {
        fields.name = Some(NameChoice::Id(entry_for_text(
            tx,
            CatalogKind::Names,
            n.as_str(),
        )?));
    }
    if let Some(Some(DescriptionChoice::Text(d))) = &fields.description {
        let id = entry_for_text(tx, CatalogKind::Descriptions, d.as_str())?;
        fields.description = Some(Some(DescriptionChoice::Id(id)));
    }
    let seen = &mut AsSeen::new(tx, &unseen, &fields)?;
    let examined = examine(seen, &fields, this.map(|a| &a.auth_id))?;
    if !examined.problems.is_empty() {
        return Err(AppError::Invalid(examined.problems));
    }
    if let Some(FieldProblem {
        rule: Rule::Denied { denial },
        ..
    }) = denied
    {
        return Err(denial.into());
    }
    examined.composition().map_err(|refusal| match refusal {
        Refusal::Invalid(invalid) => invalid.into(),
        Refusal::Taken(p) => match p.rule {
            Rule::SlugTaken { slug } => Conflict::SlugTaken { slug }.into(),
            _ => Conflict::NameTaken.into(),
        },
        // The texts were added above: a composition refusing one is our bug.
        other => AppError::Internal(other.to_string()),
    })
}

/// Every problem that would stop `fields` from being published, found without writing
/// anything: the domain's rules of composition, and departments out of the caller's
/// scope. (`fields` parsed already; `this` is the auth the draft edits, as it is now.)
pub(crate) fn problems<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    fields: &AuthFields,
    this: Option<&Auth>,
) -> Result<Vec<FieldProblem>, AppError> {
    let oversized = fields.oversized_lists();
    if !oversized.is_empty() {
        return Ok(oversized);
    }
    let (unseen, denied) = super::scope::link_problems(tx, caller, fields, this)?;
    let seen = &mut AsSeen::new(tx, &unseen, fields)?;
    let examined = examine(seen, fields, this.map(|a| &a.auth_id))?;
    let mut problems = examined.all_problems();
    // The departments as far as they resolve and the caller sees them (an unseen one
    // is an unknown entry already), for the scope check.
    let ids: Vec<_> = fields
        .list(Section::Departments)
        .unwrap_or_default()
        .iter()
        .filter(|id| !unseen.contains(id))
        .cloned()
        .collect();
    let departments: Vec<_> = tx
        .entries_by_ids(CatalogKind::Departments, &ids)?
        .iter()
        .map(auths_domain::CatalogEntry::to_ref)
        .collect();
    problems.extend(denied);
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
