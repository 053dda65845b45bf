//! The history of an auth (auths-v5 spec, "History, diff, restore, dry runs"): its
//! versions, newest first, each with what changed from the one before; the diff of two
//! versions; one version as it was. Versions are kept by every write that publishes
//! one (see `audit::record`), in its transaction.

use auths_domain::history::{self, AuthVersion, Change, ItemState, VersionContent};
use auths_domain::prelude::*;
use auths_domain::{
    Auth, AuthId, Caller, CatalogKind, DraftId, EntryId, EntryRef, Operation, PageRequest, Role,
    Rule, Store,
};

use super::get::AuthView;
use crate::error::Missing;
use crate::{AppError, AuthService};

/// One version in a history page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The version as kept.
    pub version: AuthVersion,
    /// What changed from the version before (from nothing, for the first); empty for
    /// a version the caller may not see.
    pub changes: Vec<Change>,
    /// Whether the caller may see this version (it was in one of their departments):
    /// one they may not see shows no content and cannot be restored by them.
    pub visible: bool,
}

/// A page of an auth's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    /// Newest first.
    pub entries: Vec<HistoryEntry>,
    /// Versions kept in all.
    pub total: u64,
}

/// The changes between two versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionDiff {
    /// From this version.
    pub from_version: i64,
    /// To this one.
    pub to_version: i64,
    /// What changed.
    pub changes: Vec<Change>,
}

/// The auth whose history the caller asks for: a live one they may see (`Some`), or,
/// for an admin, one deleted that left versions (`None`). Anything else is the one
/// "not found" (`/get`'s visibility).
fn history_of<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    auth_id: &AuthId,
) -> Result<Option<Auth>, AppError> {
    match tx.auth_by_id(auth_id)? {
        Some(a) if caller.can_see(&a.department_ids()) => Ok(Some(a)),
        Some(_) => Err(AppError::auth_not_found(auth_id.as_str())),
        None if caller.principal.role == Role::Admin
            && caller.principal.departments.is_none()
            && tx
                .versions(
                    auth_id,
                    PageRequest {
                        limit: 1,
                        offset: 0,
                    },
                )?
                .total
                > 0 =>
        {
            Ok(None)
        }
        None => Err(AppError::auth_not_found(auth_id.as_str())),
    }
}

/// Whether the caller may see what version `v` held: as the audit log shows a state,
/// only when one of its departments is the caller's (a global caller sees all).
pub(crate) fn sees(caller: &Caller, v: &AuthVersion) -> bool {
    let departments: Vec<EntryId> = v.content.departments.iter().map(|d| d.id.clone()).collect();
    caller.can_see(&departments)
}

fn missing(auth_id: &AuthId, version: i64) -> AppError {
    AppError::NotFound(Missing::Version {
        auth_id: auth_id.to_string(),
        version,
    })
}

/// Versions `numbers` of `auth_id` the caller may see (see [`sees`]), each found or
/// `NotFound`.
fn kept<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    auth_id: &AuthId,
    numbers: &[i64],
) -> Result<Vec<AuthVersion>, AppError> {
    let found = tx.versions_numbered(auth_id, numbers)?;
    numbers
        .iter()
        .map(|n| {
            found
                .iter()
                .find(|v| v.version == *n && sees(caller, v))
                .cloned()
                .ok_or_else(|| missing(auth_id, *n))
        })
        .collect()
}

impl<S: Store> AuthService<S> {
    /// A page of the versions of `auth_id`, newest first, each with its changes from
    /// the version before.
    ///
    /// # Errors
    /// `Forbidden` without the view permission; `NotFound` as `/get` (a deleted auth's
    /// history is an admin's).
    pub fn history(
        &self,
        caller: &Caller,
        auth_id: &AuthId,
        page: PageRequest,
    ) -> Result<HistoryPage, AppError> {
        caller.may(Operation::Get)?;
        self.store.read(|tx| {
            history_of(tx, caller, auth_id)?;
            let versions = tx.versions(auth_id, page)?;
            // The version before the oldest of the page, for its changes.
            let before_oldest = versions
                .rows
                .last()
                .map(|v| v.version - 1)
                .filter(|n| *n >= 1);
            let older = match before_oldest {
                Some(n) => tx.versions_numbered(auth_id, &[n])?,
                None => Vec::new(),
            };
            let rows = &versions.rows;
            let entries = rows
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let previous = rows
                        .get(i + 1)
                        .or_else(|| older.first())
                        .filter(|p| p.version == v.version - 1);
                    // A state the caller may not see shows no content, as in the
                    // audit log; neither does a change from one.
                    let changes = match previous {
                        _ if !sees(caller, v) => Vec::new(),
                        Some(p) if sees(caller, p) => history::diff(&p.content, &v.content),
                        _ => history::created(&v.content),
                    };
                    HistoryEntry {
                        version: v.clone(),
                        changes,
                        visible: sees(caller, v),
                    }
                })
                .collect();
            Ok(HistoryPage {
                entries,
                total: versions.total,
            })
        })
    }

    /// What changed from version `from` of `auth_id` to version `to` (default: the
    /// current one, or a deleted auth's last).
    ///
    /// # Errors
    /// As [`AuthService::history`]; `NotFound` for a version not kept.
    pub fn diff_versions(
        &self,
        caller: &Caller,
        auth_id: &AuthId,
        from: i64,
        to: Option<i64>,
    ) -> Result<VersionDiff, AppError> {
        caller.may(Operation::Get)?;
        self.store.read(|tx| {
            let live = history_of(tx, caller, auth_id)?;
            let to = match (to, live) {
                (Some(t), _) => t,
                (None, Some(a)) => a.version,
                (None, None) => {
                    let newest = PageRequest {
                        limit: 1,
                        offset: 0,
                    };
                    tx.versions(auth_id, newest)?
                        .rows
                        .first()
                        .map_or(0, |v| v.version)
                }
            };
            let both = kept(tx, caller, auth_id, &[from, to])?;
            Ok(VersionDiff {
                from_version: from,
                to_version: to,
                changes: history::diff(&both[0].content, &both[1].content),
            })
        })
    }

    /// Version `version` of the live auth `auth_id`, with its publication and whether it
    /// is the current one: an earlier
    /// one as an auth the caller may not edit (`can_edit` false, no reason: the adapter
    /// says it is an earlier version), the current one as `/get` shows it.
    ///
    /// # Errors
    /// As `/get`; `NotFound` for a version not kept.
    pub fn version_view(
        &self,
        caller: &Caller,
        auth_id: &AuthId,
        version: i64,
    ) -> Result<(AuthView, AuthVersion, bool), AppError> {
        caller.may(Operation::Get)?;
        self.store.read(|tx| {
            let Some(live) = history_of(tx, caller, auth_id)? else {
                return Err(AppError::auth_not_found(auth_id.as_str()));
            };
            let v = kept(tx, caller, auth_id, &[version])?.remove(0);
            if v.version == live.version {
                return Ok((AuthView::new(live, caller), v, true));
            }
            let c = &v.content;
            let auth = Auth {
                name: c.name.clone(),
                description: c.description.clone(),
                flag: c.flag.clone(),
                protocols: c.protocols.clone(),
                slugs: c.slugs.clone(),
                items: c
                    .items
                    .iter()
                    .map(|i| auths_domain::ItemRef {
                        id: i.id.clone(),
                        label: i.key.clone(),
                        key: i.key.clone(),
                        value: i.value.clone(),
                        secret: i.secret,
                        fingerprint: i.fingerprint.clone(),
                    })
                    .collect(),
                departments: c.departments.clone(),
                locations: c.locations.clone(),
                version: v.version,
                updated_at: v.at,
                updated_by: v.actor_name.clone(),
                ..live
            };
            let view = AuthView {
                auth,
                can_edit: false,
                disabled_reason: None,
            };
            Ok((view, v, false))
        })
    }
}

/// The entries a draft names, with their labels (an id that names nothing, or an entry
/// the caller does not see, shows as itself, as in the draft's form).
fn named<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    kind: CatalogKind,
    ids: &[String],
) -> Result<Vec<EntryRef>, AppError> {
    let parsed: Vec<EntryId> = ids.iter().filter_map(|i| EntryId::parse(i).ok()).collect();
    let found = tx.entries_by_ids(kind, &parsed)?;
    let found = super::scope::seen(tx, caller, found)?;
    Ok(parsed
        .into_iter()
        .map(|id| {
            let label = found
                .iter()
                .find(|e| e.id == id)
                .map_or_else(|| id.to_string(), |e| e.label.clone());
            EntryRef { id, label }
        })
        .collect())
}

/// A draft's single value: its entry by id, or its text as the entry of that label
/// (id `new` when the catalog does not hold it yet).
fn one_value<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    kind: CatalogKind,
    id: Option<&String>,
    text: Option<&String>,
) -> Result<Option<EntryRef>, AppError> {
    if let Some(t) = text.filter(|t| !t.trim().is_empty()) {
        return Ok(Some(match tx.entry_by_label(kind, t.trim())? {
            Some(e) => e.to_ref(),
            None => EntryRef {
                id: EntryId::parse("new")?,
                label: t.trim().to_owned(),
            },
        }));
    }
    Ok(named(
        tx,
        caller,
        kind,
        id.map(std::slice::from_ref).unwrap_or_default(),
    )?
    .into_iter()
    .next())
}

impl<S: Store> AuthService<S> {
    /// What the caller's draft `draft_id` changes in the version it started from.
    ///
    /// # Errors
    /// `NotFound` (not the caller's draft, or the auth is gone or out of sight); `Invalid`
    /// for a draft of a new auth (there is no version to compare with).
    pub fn diff_draft(
        &self,
        caller: &Caller,
        draft_id: &DraftId,
    ) -> Result<(AuthId, VersionDiff), AppError> {
        caller.may(Operation::Get)?;
        self.store.read(|tx| {
            let draft = super::drafts::owned_draft(tx, caller, draft_id)?;
            let (Some(auth_id), Some(base)) = (draft.auth_id.clone(), draft.base_version) else {
                return Err(AppError::invalid("draft_id", Rule::DraftOfNewAuth));
            };
            history_of(tx, caller, &auth_id)?;
            let from = kept(tx, caller, &auth_id, &[base])?.remove(0);
            let v = &draft.values;
            let items: Vec<EntryId> = v
                .item_ids
                .iter()
                .filter_map(|i| EntryId::parse(i).ok())
                .collect();
            let items = tx.entries_by_ids(CatalogKind::Items, &items)?;
            let items = super::scope::seen(tx, caller, items)?
                .iter()
                .map(|e| {
                    let i = e.to_item();
                    ItemState {
                        id: i.id,
                        key: i.key,
                        value: i.value,
                        secret: i.secret,
                        fingerprint: i.fingerprint,
                    }
                })
                .collect();
            let flag = one_value(tx, caller, CatalogKind::Flags, v.flag_id.as_ref(), None)?;
            let name = one_value(
                tx,
                caller,
                CatalogKind::Names,
                v.name_id.as_ref(),
                v.name.as_ref(),
            )?;
            let to = VersionContent {
                name: name.unwrap_or_else(|| from.content.name.clone()),
                description: one_value(
                    tx,
                    caller,
                    CatalogKind::Descriptions,
                    v.description_id.as_ref(),
                    v.description.as_ref(),
                )?,
                flag: flag.unwrap_or_else(|| from.content.flag.clone()),
                protocols: named(tx, caller, CatalogKind::Protocols, &v.protocol_ids)?,
                slugs: named(tx, caller, CatalogKind::Slugs, &v.slug_ids)?,
                items,
                departments: named(tx, caller, CatalogKind::Departments, &v.department_ids)?,
                locations: named(tx, caller, CatalogKind::Locations, &v.location_ids)?,
            }
            .normalized();
            Ok((
                auth_id,
                VersionDiff {
                    from_version: base,
                    to_version: base,
                    changes: history::diff(&from.content, &to),
                },
            ))
        })
    }
}

/// The values of a draft that restores `content`: its entries by id, except items
/// edited in the catalog since (an item entry is shared and may be changed in place):
/// such an item is restored as an entry holding the value the version held (one the
/// catalog has, or a new one). A secret item's value is not kept in a version (only its
/// fingerprint): it is restored as the entry, whatever it holds now.
pub(crate) fn restoring<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    content: &VersionContent,
) -> Result<auths_domain::DraftValues, AppError> {
    let mut values = auths_domain::DraftValues::of_content(content);
    let ids: Vec<EntryId> = content.items.iter().map(|i| i.id.clone()).collect();
    let now = tx.entries_by_ids(CatalogKind::Items, &ids)?;
    for then in content.items.iter().filter(|i| !i.secret) {
        let held = now
            .iter()
            .find(|e| e.id == then.id)
            .and_then(|e| e.item.as_ref())
            .is_some_and(|i| i.key == then.key && i.value == then.value && !i.secret);
        let Some(value) = then.value.as_deref().filter(|_| !held) else {
            continue;
        };
        let entry = match tx.item_with_value(&then.key, value)? {
            Some(e) => e,
            None => {
                let entry = tx.insert_entry(
                    &auths_domain::NewCatalogEntry {
                        id: EntryId::parse(&crate::clock::new_id())?,
                        kind: CatalogKind::Items,
                        label: then.key.clone(),
                        item: Some(auths_domain::ItemData::parse(&then.key, value, false)?),
                    },
                    crate::clock::now(),
                )?;
                super::scope::home_new(tx, caller, &entry)?;
                entry
            }
        };
        for id in &mut values.item_ids {
            if *id == then.id.as_str() {
                *id = entry.id.to_string();
            }
        }
    }
    Ok(values)
}
