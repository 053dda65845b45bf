//! Catalog entries: list, create, rename, delete.

use auths_domain::prelude::*;
use auths_domain::{
    Caller, CatalogEntry, CatalogKind, EntryId, EntryText, NewCatalogEntry, Operation, Page,
    PageRequest, RepoError, Store,
};

use crate::error::{Conflict, EntryAction, Missing};
use crate::{AppError, AuthService, clock};

fn not_found(kind: CatalogKind, id: &EntryId) -> AppError {
    Missing::Entry {
        kind,
        id: id.to_string(),
    }
    .into()
}

fn label_conflict(kind: CatalogKind, label: &str) -> impl Fn(RepoError) -> AppError + '_ {
    move |e| match e {
        RepoError::Conflict(_) => Conflict::LabelTaken {
            kind,
            label: label.to_owned(),
        }
        .into(),
        other => other.into(),
    }
}

/// The entry `id` of `kind`, unless it is seeded (the product's vocabulary).
fn unseeded_entry<T: auths_domain::Repositories>(
    tx: &mut T,
    kind: CatalogKind,
    id: &EntryId,
    action: EntryAction,
) -> Result<CatalogEntry, AppError> {
    let entry = tx
        .entries_by_ids(kind, std::slice::from_ref(id))?
        .pop()
        .ok_or_else(|| not_found(kind, id))?;
    if entry.seeded {
        return Err(Conflict::Seeded {
            kind,
            id: id.clone(),
            action,
        }
        .into());
    }
    Ok(entry)
}

fn entry_json(e: &CatalogEntry) -> serde_json::Value {
    // Never the value of a secret item (the store does not return it anyway).
    let mut j = serde_json::json!({
        "id": e.id.as_str(),
        "kind": e.kind.as_str(),
        "label": e.label,
        "item": e.item.as_ref().map(|i| serde_json::json!({"key": i.key, "value": i.value, "secret": i.secret})),
    });
    if let Some(d) = &e.description {
        j["description"] = serde_json::json!(d);
    }
    j
}

/// Adds an entry (with a taxonomy's `description`) inside the caller's transaction,
/// for a caller allowed to: homed in a scoped caller's departments, audited.
pub(crate) fn create_entry_in<T: auths_domain::Repositories>(
    tx: &mut T,
    caller: &Caller,
    kind: CatalogKind,
    input: &EntryText,
    description: Option<&str>,
) -> Result<CatalogEntry, AppError> {
    let (label, item) = kind.parse_entry(input)?;
    let new = NewCatalogEntry {
        id: EntryId::parse(&clock::new_id())?,
        kind,
        label: label.clone(),
        item,
    };
    let mut entry = tx
        .insert_entry(&new, clock::now())
        .map_err(label_conflict(kind, &label))?;
    if description.is_some() {
        entry = tx
            .set_description(kind, &entry.id, description, entry.created_at)?
            .ok_or_else(|| not_found(kind, &entry.id))?;
    }
    super::scope::home_new(tx, caller, &entry)?;
    crate::audit::record_other(tx, caller, "catalog.create", &entry_json(&entry))?;
    Ok(entry)
}

/// Changes the entry `id` of `kind` with `change` inside the caller's transaction:
/// seeded entries stay as they are; a department-scoped editor may change an entry only
/// when every auth that uses it is theirs (one it does not see is not found); audited
/// with the entry before and after.
pub(crate) fn update_entry_in<T: auths_domain::Repositories>(
    tx: &mut T,
    caller: &Caller,
    kind: CatalogKind,
    id: &EntryId,
    change: impl FnOnce(&mut T) -> Result<Option<CatalogEntry>, AppError>,
) -> Result<CatalogEntry, AppError> {
    let before = unseeded_entry(tx, kind, id, EntryAction::Change)?;
    let usage = tx.entry_usage(id, caller.scope().as_deref())?;
    caller
        .may_rename_entry(kind, id, &usage)
        .map_err(|r| super::scope::rename_refusal(kind, id, r))?;
    let after = change(tx)?.ok_or_else(|| not_found(kind, id))?;
    let record = serde_json::json!({"before": entry_json(&before), "after": entry_json(&after)});
    crate::audit::record_for(tx, caller, "catalog.update", usage.departments, &record)?;
    Ok(after)
}

impl<S: Store> AuthService<S> {
    /// Entries of a catalog whose label contains `search`, by label: those the caller
    /// sees, by the one scope rule (a department-scoped key sees its own departments,
    /// and other entries while unused or used by an auth it sees).
    ///
    /// # Errors
    /// `Forbidden` without the view permission.
    pub fn list_catalog(
        &self,
        caller: &Caller,
        kind: CatalogKind,
        search: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<CatalogEntry>, AppError> {
        caller.may(Operation::CatalogRead)?;
        self.store
            .read(|tx| tx.list_entries(kind, search, caller.scope().as_deref(), page))
            .map_err(AppError::from)
    }

    /// Adds an entry.
    ///
    /// # Errors
    /// `Forbidden` (viewers, MCP without writes), `Invalid`, `Conflict` (label taken).
    pub fn create_entry(
        &self,
        caller: &Caller,
        kind: CatalogKind,
        input: &EntryText,
    ) -> Result<CatalogEntry, AppError> {
        caller.may(Operation::CatalogWrite)?;
        self.create_entry_allowed(caller, kind, input)
    }

    /// Adds an entry for a caller whose role allows it (see [`Caller::may`]); a
    /// department is added by a global caller only.
    pub(crate) fn create_entry_allowed(
        &self,
        caller: &Caller,
        kind: CatalogKind,
        input: &EntryText,
    ) -> Result<CatalogEntry, AppError> {
        caller.may_create_entry(kind)?;
        self.store
            .write(|tx| create_entry_in(tx, caller, kind, input, None))
    }

    /// Changes an entry's label (or an item's key, value and secrecy). Seeded entries
    /// (the spec's flags and protocols) are the product's vocabulary and stay as they
    /// are.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`, `Invalid`, `Conflict` (label taken, or seeded).
    pub fn update_entry(
        &self,
        caller: &Caller,
        kind: CatalogKind,
        id: &EntryId,
        input: &EntryText,
    ) -> Result<CatalogEntry, AppError> {
        caller.may(Operation::CatalogWrite)?;
        let (label, item) = kind.parse_entry(input)?;
        self.store.write(|tx| {
            update_entry_in(tx, caller, kind, id, |tx| {
                tx.update_entry(kind, id, &label, item.as_ref(), clock::now())
                    .map_err(label_conflict(kind, &label))
            })
        })
    }

    /// Deletes an entry no auth or key uses. Admins only; seeded entries stay.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`, `Conflict` (in use, or seeded).
    pub fn delete_entry(
        &self,
        caller: &Caller,
        kind: CatalogKind,
        id: &EntryId,
    ) -> Result<(), AppError> {
        caller.may(Operation::CatalogDelete)?;
        self.store.write(|tx| {
            let before = unseeded_entry(tx, kind, id, EntryAction::Delete)?;
            match tx.delete_entry(kind, id) {
                Ok(true) => {}
                Ok(false) => return Err(not_found(kind, id)),
                Err(RepoError::Conflict(_)) => {
                    return Err(Conflict::InUse { id: id.clone() }.into());
                }
                Err(e) => return Err(e.into()),
            }
            crate::audit::record_other(tx, caller, "catalog.delete", &entry_json(&before))?;
            Ok(())
        })
    }
}
