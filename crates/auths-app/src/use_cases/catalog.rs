//! Catalog entries: list, create, rename, delete.

use auths_domain::prelude::*;
use auths_domain::{
    Caller, CatalogEntry, CatalogKind, EntryId, ItemData, NewCatalogEntry, Operation, Page,
    PageRequest, RepoError, Store,
};

use crate::{AppError, AuthService, clock};

/// What a client sends to create or change an entry: a label, or for items a key,
/// a value and whether it is secret (the key is the label).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryInput {
    /// Any catalog but items.
    Label(String),
    /// Items.
    Item {
        /// Key (the label).
        key: String,
        /// Value.
        value: String,
        /// Whether the value is secret.
        secret: bool,
    },
}

fn not_found(kind: CatalogKind, id: &EntryId) -> AppError {
    AppError::NotFound(format!("no {kind} entry {id}"))
}

/// Checks an input for `kind`: its label by the kind's rule, and items as items.
fn checked(kind: CatalogKind, input: &EntryInput) -> Result<(String, Option<ItemData>), AppError> {
    match (kind, input) {
        (CatalogKind::Items, EntryInput::Item { key, value, secret }) => {
            let item = ItemData::parse(key, value, *secret)?;
            Ok((item.key.as_str().to_owned(), Some(item)))
        }
        (CatalogKind::Items, EntryInput::Label(_)) => Err(AppError::invalid(
            "key",
            "an item needs key, value and secret",
        )),
        (_, EntryInput::Label(label)) => Ok((kind.parse_label(label)?, None)),
        (_, EntryInput::Item { .. }) => Err(AppError::invalid(
            "label",
            format!("a {kind} entry has a label, not key, value and secret"),
        )),
    }
}

fn label_conflict(kind: CatalogKind, label: &str) -> impl Fn(RepoError) -> AppError + '_ {
    move |e| match e {
        RepoError::Conflict { .. } => AppError::conflict(format!(
            "the {kind} catalog already has an entry labelled {label:?}"
        )),
        other => other.into(),
    }
}

/// The entry `id` of `kind`, unless it is seeded (the product's vocabulary).
fn unseeded_entry<T: auths_domain::Repositories>(
    tx: &mut T,
    kind: CatalogKind,
    id: &EntryId,
    verb: &str,
) -> Result<CatalogEntry, AppError> {
    let entry = tx
        .entries_by_ids(kind, std::slice::from_ref(id))?
        .pop()
        .ok_or_else(|| not_found(kind, id))?;
    if entry.seeded {
        return Err(AppError::conflict(format!(
            "{id} is a seeded {kind} entry and cannot be {verb}"
        )));
    }
    Ok(entry)
}

fn entry_json(e: &CatalogEntry) -> serde_json::Value {
    // Never the value of a secret item (the store does not return it anyway).
    serde_json::json!({
        "id": e.id.as_str(),
        "kind": e.kind.as_str(),
        "label": e.label,
        "item": e.item.as_ref().map(|i| serde_json::json!({"key": i.key, "value": i.value, "secret": i.secret})),
    })
}

impl<S: Store> AuthService<S> {
    /// Entries of a catalog whose label contains `search`, by label.
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
            .read(|tx| tx.list_entries(kind, search, page))
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
        input: &EntryInput,
    ) -> Result<CatalogEntry, AppError> {
        caller.may(Operation::CatalogWrite)?;
        let (label, item) = checked(kind, input)?;
        self.store.write(|tx| {
            let new = NewCatalogEntry {
                id: EntryId::parse(&clock::new_id())?,
                kind,
                label: label.clone(),
                item,
            };
            let entry = tx
                .insert_entry(&new, clock::now())
                .map_err(label_conflict(kind, &label))?;
            crate::audit::record_other(tx, caller, "catalog.create", &entry_json(&entry))?;
            Ok(entry)
        })
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
        input: &EntryInput,
    ) -> Result<CatalogEntry, AppError> {
        caller.may(Operation::CatalogWrite)?;
        let (label, item) = checked(kind, input)?;
        self.store.write(|tx| {
            let before = unseeded_entry(tx, kind, id, "changed")?;
            // An entry is shared by every auth that uses it: a department-scoped editor
            // may change it only when all of those auths are theirs.
            let usage = tx.entry_usage(id, caller.scope().as_deref())?;
            if usage.outside_scope > 0 {
                return Err(AppError::Forbidden(format!(
                    "{id} is used by {} auth(s) outside your departments; ask an editor of theirs or an admin",
                    usage.outside_scope
                )));
            }
            let after = tx
                .update_entry(kind, id, &label, item.as_ref(), clock::now())
                .map_err(label_conflict(kind, &label))?
                .ok_or_else(|| not_found(kind, id))?;
            let record =
                serde_json::json!({"before": entry_json(&before), "after": entry_json(&after)});
            crate::audit::record_for(tx, caller, "catalog.update", usage.departments, &record)?;
            Ok(after)
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
            let before = unseeded_entry(tx, kind, id, "deleted")?;
            match tx.delete_entry(kind, id) {
                Ok(true) => {}
                Ok(false) => return Err(not_found(kind, id)),
                Err(RepoError::Conflict { .. }) => {
                    return Err(AppError::conflict(format!(
                        "{id} is in use: remove it from every auth (and key) first"
                    )));
                }
                Err(e) => return Err(e.into()),
            }
            crate::audit::record_other(tx, caller, "catalog.delete", &entry_json(&before))?;
            Ok(())
        })
    }
}
