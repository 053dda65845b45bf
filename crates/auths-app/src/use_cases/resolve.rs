//! Turning what a client sent (free text or ids) into an auth's content (ids only),
//! creating catalog names and descriptions on the way, and checking that every id
//! names an entry of the right catalog.

use auths_domain::catalog::FLAG_ACTIVE;
use auths_domain::{
    AuthContent, AuthFields, AuthId, CatalogKind, DescriptionChoice, EntryId, EntryRef,
    FieldProblem, Invalid, NameChoice, NewCatalogEntry, Repositories,
};

use crate::{AppError, clock};

/// Finds the catalog entry with this text, or creates it (concurrent creators of the
/// same text share one entry).
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

/// Every problem that would stop `fields` from being published, found without writing
/// anything: unknown ids, a name or slug of another auth, sections that break the
/// cardinality rules, departments out of the caller's scope. (`fields` parsed already.)
pub(crate) fn problems<T: Repositories>(
    tx: &mut T,
    caller: &auths_domain::Caller,
    fields: &AuthFields,
    this: Option<&AuthId>,
) -> Result<Vec<FieldProblem>, AppError> {
    let mut problems = fields
        .require_complete()
        .err()
        .map(|e| e.problems)
        .unwrap_or_default();
    let taken = |owner: Option<AuthId>| owner.is_some_and(|o| Some(&o) != this);
    match &fields.name {
        Some(NameChoice::Text(name)) => {
            if let Some(e) = tx.entry_by_label(CatalogKind::Names, name.as_str())?
                && taken(tx.auth_named(&e.id)?)
            {
                problems.push(FieldProblem::new(
                    "name",
                    "another auth already has this name",
                ));
            }
        }
        Some(NameChoice::Id(id)) => {
            let exists = !known(
                tx,
                CatalogKind::Names,
                "name_id",
                std::slice::from_ref(id),
                &mut problems,
            )?
            .is_empty();
            if exists && taken(tx.auth_named(id)?) {
                problems.push(FieldProblem::new(
                    "name_id",
                    "another auth already has this name",
                ));
            }
        }
        None => {}
    }
    if let Some(Some(DescriptionChoice::Id(id))) = &fields.description {
        known(
            tx,
            CatalogKind::Descriptions,
            "description_id",
            std::slice::from_ref(id),
            &mut problems,
        )?;
    }
    if let Some(flag) = &fields.flag_id {
        known(
            tx,
            CatalogKind::Flags,
            "flag_id",
            std::slice::from_ref(flag),
            &mut problems,
        )?;
    }
    let list = |f: &Option<Vec<EntryId>>| f.clone().unwrap_or_default();
    known(
        tx,
        CatalogKind::Protocols,
        "protocol_ids",
        &list(&fields.protocol_ids),
        &mut problems,
    )?;
    let slugs = list(&fields.slug_ids);
    known(tx, CatalogKind::Slugs, "slug_ids", &slugs, &mut problems)?;
    known(
        tx,
        CatalogKind::Items,
        "item_ids",
        &list(&fields.item_ids),
        &mut problems,
    )?;
    let departments = known(
        tx,
        CatalogKind::Departments,
        "department_ids",
        &list(&fields.department_ids),
        &mut problems,
    )?;
    known(
        tx,
        CatalogKind::Locations,
        "location_ids",
        &list(&fields.location_ids),
        &mut problems,
    )?;
    for (slug, _) in tx
        .slug_owners(&slugs)?
        .into_iter()
        .filter(|(_, owner)| Some(owner) != this)
    {
        problems.push(FieldProblem::new(
            "slug_ids",
            format!("slug {slug} belongs to another auth"),
        ));
    }
    let shape = AuthContent {
        name_id: EntryId::parse("placeholder").map_err(AppError::from)?,
        description_id: None,
        flag_id: EntryId::parse("placeholder").map_err(AppError::from)?,
        protocol_ids: list(&fields.protocol_ids),
        slug_ids: slugs,
        item_ids: list(&fields.item_ids),
        department_ids: list(&fields.department_ids),
        location_ids: list(&fields.location_ids),
    };
    if let Err(e) = shape.check() {
        problems.extend(
            e.problems
                .into_iter()
                .filter(|p| !(p.field == "protocol_ids" && p.message.starts_with("at least"))),
        );
    }
    let before = match this {
        Some(id) => tx
            .auth_by_id(id)?
            .map(|a| a.departments)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let allowed = if this.is_some() {
        caller.may_change_departments(&before, &departments)
    } else {
        caller.may_assign(&departments)
    };
    if let Err(d) = allowed {
        problems.push(FieldProblem::new("department_ids", d.reason));
    }
    Ok(problems)
}
