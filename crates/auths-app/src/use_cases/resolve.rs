//! Turning what a client sent (free text or ids) into an auth's content (ids only),
//! creating catalog names and descriptions on the way, and checking that every id
//! names an entry of the right catalog.

use auths_domain::catalog::FLAG_ACTIVE;
use auths_domain::{
    AuthContent, AuthFields, AuthId, CatalogKind, DescriptionChoice, EntryId, EntryRef,
    FieldProblem, Invalid, NameChoice, NewCatalogEntry, Repositories,
};

use crate::{AppError, clock};

/// Finds the catalog entry with this text, or creates it.
fn entry_for_text<T: Repositories>(
    tx: &mut T,
    kind: CatalogKind,
    text: &str,
) -> Result<EntryId, AppError> {
    if let Some(e) = tx.entry_by_label(kind, text)? {
        return Ok(e.id);
    }
    let entry = NewCatalogEntry {
        id: EntryId::parse(&clock::new_id())?,
        kind,
        label: text.to_owned(),
        item: None,
    };
    Ok(tx.insert_entry(&entry, clock::now())?.id)
}

/// Resolves the ids of one section, collecting a problem for each unknown one.
fn known<T: Repositories>(
    tx: &mut T,
    kind: CatalogKind,
    field: &str,
    ids: &[EntryId],
    problems: &mut Vec<FieldProblem>,
) -> Result<Vec<EntryRef>, AppError> {
    let found = tx.entries_by_ids(kind, ids)?;
    let mut refs = Vec::with_capacity(ids.len());
    for id in ids {
        match found.iter().find(|e| &e.id == id) {
            Some(e) => refs.push(e.to_ref()),
            None => problems.push(FieldProblem::new(
                field,
                format!("{id} is not an entry of the {kind} catalog"),
            )),
        }
    }
    Ok(refs)
}

/// The content of a new or changed auth, checked against the store: the name is
/// free (not another auth's: `this` is the auth being changed, if any), every id
/// exists in its catalog, slugs belong to no other auth. Answers the content and the
/// department entries (for the caller's scope check).
pub(crate) fn content<T: Repositories>(
    tx: &mut T,
    fields: &AuthFields,
    this: Option<&AuthId>,
) -> Result<(AuthContent, Vec<EntryRef>), AppError> {
    let mut problems = Vec::new();

    let name_id = match &fields.name {
        Some(NameChoice::Text(name)) => {
            Some(entry_for_text(tx, CatalogKind::Names, name.as_str())?)
        }
        Some(NameChoice::Id(id)) => known(
            tx,
            CatalogKind::Names,
            "name_id",
            std::slice::from_ref(id),
            &mut problems,
        )?
        .pop()
        .map(|e| e.id),
        None => {
            problems.push(FieldProblem::new("name", "a name (or name_id) is required"));
            None
        }
    };
    let description_id = match fields.description.clone().flatten() {
        Some(DescriptionChoice::Text(d)) => {
            Some(entry_for_text(tx, CatalogKind::Descriptions, d.as_str())?)
        }
        Some(DescriptionChoice::Id(id)) => known(
            tx,
            CatalogKind::Descriptions,
            "description_id",
            std::slice::from_ref(&id),
            &mut problems,
        )?
        .pop()
        .map(|e| e.id),
        None => None,
    };
    let flag_id = fields.flag_id.clone().unwrap_or_else(|| {
        EntryId::parse(FLAG_ACTIVE).unwrap_or_else(|_| unreachable!("seed ids are valid"))
    });
    let flag = known(
        tx,
        CatalogKind::Flags,
        "flag_id",
        std::slice::from_ref(&flag_id),
        &mut problems,
    )?;

    let list = |f: &Option<Vec<EntryId>>| f.clone().unwrap_or_default();
    let protocol_ids = list(&fields.protocol_ids);
    let slug_ids = list(&fields.slug_ids);
    let item_ids = list(&fields.item_ids);
    let department_ids = list(&fields.department_ids);
    let location_ids = list(&fields.location_ids);
    known(
        tx,
        CatalogKind::Protocols,
        "protocol_ids",
        &protocol_ids,
        &mut problems,
    )?;
    known(tx, CatalogKind::Slugs, "slug_ids", &slug_ids, &mut problems)?;
    known(tx, CatalogKind::Items, "item_ids", &item_ids, &mut problems)?;
    let departments = known(
        tx,
        CatalogKind::Departments,
        "department_ids",
        &department_ids,
        &mut problems,
    )?;
    known(
        tx,
        CatalogKind::Locations,
        "location_ids",
        &location_ids,
        &mut problems,
    )?;

    let (Some(name_id), Some(_)) = (name_id, flag.first()) else {
        return Err(Invalid { problems }.into());
    };
    let content = AuthContent {
        name_id,
        description_id,
        flag_id,
        protocol_ids,
        slug_ids,
        item_ids,
        department_ids,
        location_ids,
    };
    if let Err(e) = content.check() {
        problems.extend(e.problems);
    }
    Invalid::check(problems)?;

    if let Some(owner) = tx.auth_named(&content.name_id)?
        && Some(&owner) != this
    {
        return Err(AppError::conflict("another auth already has this name"));
    }
    if let Some((slug, _)) = tx
        .slug_owners(&content.slug_ids)?
        .into_iter()
        .find(|(_, owner)| Some(owner) != this)
    {
        return Err(AppError::conflict(format!(
            "slug {slug} belongs to another auth"
        )));
    }
    Ok((content, departments))
}
