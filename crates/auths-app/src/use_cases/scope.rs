//! The one scope rule of the domain (`auths_domain::principal::entries`) applied by the
//! use cases: what an entry's users are, measured against the caller's scope, and what
//! a department-scoped caller may link into an auth. A global caller pays no query.

use auths_domain::catalog::EntryUsage;
use auths_domain::principal::EntryRefusal;
use auths_domain::{
    Auth, AuthFields, Caller, CatalogEntry, CatalogKind, DescriptionChoice, EntryId, FieldProblem,
    NameChoice, Repositories, Rule, Section,
};

use crate::AppError;

/// How the auths that use `id` stand to the caller's scope (nothing is read for a
/// global caller, to whom the rule never applies).
pub(crate) fn usage<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    id: &EntryId,
) -> Result<EntryUsage, AppError> {
    match caller.scope() {
        None => Ok(EntryUsage::default()),
        Some(scope) => Ok(tx.entry_usage(id, Some(&scope))?),
    }
}

/// Whether the caller sees `entry`.
pub(crate) fn sees<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    entry: &CatalogEntry,
) -> Result<bool, AppError> {
    if caller.is_global() {
        return Ok(true);
    }
    let usage = usage(tx, caller, &entry.id)?;
    Ok(caller.sees_entry(entry.kind, &entry.id, &usage))
}

/// The entries of `entries` the caller sees.
pub(crate) fn seen<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    entries: Vec<CatalogEntry>,
) -> Result<Vec<CatalogEntry>, AppError> {
    if caller.is_global() {
        return Ok(entries);
    }
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        if sees(tx, caller, &e)? {
            out.push(e);
        }
    }
    Ok(out)
}

/// What the scope rule says of the entries `fields` names by id that `this` (the auth
/// being changed, if any) does not list yet: the ids of those the caller does not see
/// (to be treated as unknown ids), and the first one it sees but may not link, as a
/// refusal. Names and descriptions given as text are the auth's own text, found in or
/// added to their catalogs by label, and borrow nothing.
pub(crate) fn link_problems<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    fields: &AuthFields,
    this: Option<&Auth>,
) -> Result<(Vec<EntryId>, Option<FieldProblem>), AppError> {
    let (mut unseen, mut denied) = (Vec::new(), None);
    if caller.is_global() {
        return Ok((unseen, denied));
    }
    let held = this.map(Auth::content);
    let name_id = match &fields.name {
        Some(NameChoice::Id(id)) => Some(id.clone()),
        _ => None,
    };
    let description_id = match &fields.description {
        Some(Some(DescriptionChoice::Id(id))) => Some(id.clone()),
        _ => None,
    };
    let given = [
        (Section::Name, name_id.into_iter().collect::<Vec<_>>()),
        (Section::Description, description_id.into_iter().collect()),
    ]
    .into_iter()
    .chain(
        [
            Section::Slugs,
            Section::Items,
            Section::Departments,
            Section::Locations,
        ]
        .map(|s| (s, fields.list(s).unwrap_or_default().to_vec())),
    );
    for (section, ids) in given {
        for id in ids {
            if held.as_ref().is_some_and(|c| c.ids(section).contains(&id)) {
                continue;
            }
            let usage = usage(tx, caller, &id)?;
            match caller.may_link_entry(section.kind(), &id, &usage) {
                Ok(()) => {}
                Err(EntryRefusal::Unseen) => unseen.push(id),
                Err(EntryRefusal::Denied(denial)) => {
                    denied.get_or_insert(FieldProblem::new(
                        section.ids_field(),
                        Rule::Denied { denial },
                    ));
                }
            }
        }
    }
    Ok((unseen, denied))
}

/// After a write that changed (`after`) or deleted (`None`) the auth `before`: the
/// entries it no longer uses and no other auth uses either are homed in its
/// departments, so that a rotated-out secret or an old name stays theirs.
pub(crate) fn rehome<T: Repositories>(
    tx: &mut T,
    before: &Auth,
    after: Option<&auths_domain::AuthContent>,
) -> Result<(), AppError> {
    let dropped = before.content().dropped(after);
    if !dropped.is_empty() {
        tx.home_unused(&dropped, &before.department_ids())?;
    }
    Ok(())
}

/// A new entry made by a scoped caller is homed in its departments (a global
/// caller's is everyone's until used).
pub(crate) fn home_new<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    entry: &CatalogEntry,
) -> Result<(), AppError> {
    if let Some(scope) = caller.scope()
        && entry.kind.has_home()
    {
        tx.home_unused(std::slice::from_ref(&entry.id), &scope)?;
    }
    Ok(())
}

/// An entry the caller may not rename, as the app answers it: one it does not see is
/// not found, as one that does not exist.
pub(crate) fn rename_refusal(kind: CatalogKind, id: &EntryId, r: EntryRefusal) -> AppError {
    match r {
        EntryRefusal::Unseen => crate::Missing::Entry {
            kind,
            id: id.to_string(),
        }
        .into(),
        EntryRefusal::Denied(d) => d.into(),
    }
}
