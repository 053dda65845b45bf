//! The history of an auth (auths-v5 spec, "History, diff, restore, dry runs"): its
//! versions, newest first, each with what changed from the one before; the diff of two
//! versions; one version as it was. Versions are kept by every write that publishes
//! one (see `audit::record`), in its transaction.

use auths_domain::history::{self, AuthVersion, Change};
use auths_domain::prelude::*;
use auths_domain::{Auth, AuthId, Caller, Operation, PageRequest, Role, Store};

use super::get::AuthView;
use crate::error::Missing;
use crate::{AppError, AuthService};

/// One version in a history page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The version as kept.
    pub version: AuthVersion,
    /// What changed from the version before (from nothing, for the first).
    pub changes: Vec<Change>,
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

fn missing(auth_id: &AuthId, version: i64) -> AppError {
    AppError::NotFound(Missing::Version {
        auth_id: auth_id.to_string(),
        version,
    })
}

/// Versions `numbers` of `auth_id`, each found or `NotFound`.
fn kept<T: Repositories>(
    tx: &mut T,
    auth_id: &AuthId,
    numbers: &[i64],
) -> Result<Vec<AuthVersion>, AppError> {
    let found = tx.versions_numbered(auth_id, numbers)?;
    numbers
        .iter()
        .map(|n| {
            found
                .iter()
                .find(|v| v.version == *n)
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
                    let changes = match previous {
                        Some(p) => history::diff(&p.content, &v.content),
                        None => history::created(&v.content),
                    };
                    HistoryEntry {
                        version: v.clone(),
                        changes,
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
            let both = kept(tx, auth_id, &[from, to])?;
            Ok(VersionDiff {
                from_version: from,
                to_version: to,
                changes: history::diff(&both[0].content, &both[1].content),
            })
        })
    }

    /// Version `version` of the live auth `auth_id`, as an auth the caller may not
    /// edit (`disabled_reason`: an earlier version), with its publication.
    ///
    /// # Errors
    /// As `/get`; `NotFound` for a version not kept.
    pub fn version_view(
        &self,
        caller: &Caller,
        auth_id: &AuthId,
        version: i64,
    ) -> Result<(AuthView, AuthVersion), AppError> {
        caller.may(Operation::Get)?;
        self.store.read(|tx| {
            let Some(live) = history_of(tx, caller, auth_id)? else {
                return Err(AppError::auth_not_found(auth_id.as_str()));
            };
            let v = kept(tx, auth_id, &[version])?.remove(0);
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
            Ok((view, v))
        })
    }
}
