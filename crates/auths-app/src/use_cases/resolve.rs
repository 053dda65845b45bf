//! Turning what a client sent (free text or ids) into an auth's content, with the
//! domain's rules of composition ([`auths_domain::examine`]): a publisher first finds
//! in or adds to their catalogs the name and description given as text, then the
//! whole is examined; a draft's form state lists every problem without writing.

use auths_domain::{
    Auth, AuthFields, AuthId, Caller, CatalogKind, Composition, DescriptionChoice, EntryId,
    FieldProblem, NameChoice, NewCatalogEntry, Refusal, Repositories, Rule, Section, examine,
};

use crate::error::Conflict;
use crate::{AppError, clock};

/// The catalog entry with this text, found or added (concurrent creators of the same
/// text share one entry).
fn entry_for_text<T: Repositories>(
    tx: &mut T,
    kind: CatalogKind,
    text: &str,
) -> Result<EntryId, AppError> {
    let entry = NewCatalogEntry {
        id: EntryId::parse(&clock::new_id())?,
        kind,
        label: text.to_owned(),
        item: None,
    };
    Ok(tx.ensure_entry(&entry, clock::now())?.id)
}

/// The content of a new or changed auth, checked against the store (`this` is the auth
/// being changed, if any). Names and descriptions given as text are found in or added
/// to their catalogs.
///
/// # Errors
/// `Invalid` with every wrong value; then `Conflict` for a taken name or slug.
pub(crate) fn content<T: Repositories>(
    tx: &mut T,
    fields: &AuthFields,
    this: Option<&AuthId>,
) -> Result<Composition, AppError> {
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
    examine(tx, &fields, this)?
        .composition()
        .map_err(|refusal| match refusal {
            Refusal::Invalid(invalid) => invalid.into(),
            Refusal::Taken(p) => match p.rule {
                Rule::SlugTaken { slug } => Conflict::SlugTaken { slug }.into(),
                _ => Conflict::NameTaken.into(),
            },
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
    let examined = examine(tx, fields, this.map(|a| &a.auth_id))?;
    let mut problems = examined.all_problems();
    let departments = match examined.composition() {
        Ok(c) => c.departments(),
        // The departments as far as they resolve, for the scope check.
        Err(_) => {
            let ids = fields.list(Section::Departments).unwrap_or_default();
            tx.entries_by_ids(CatalogKind::Departments, ids)?
                .iter()
                .map(auths_domain::CatalogEntry::to_ref)
                .collect()
        }
    };
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
