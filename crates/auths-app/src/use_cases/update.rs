//! Update auths (publish changes), with optimistic concurrency.

use auths_domain::{
    Auth, AuthFields, AuthId, Caller, Operation, RawFields, RepoError, Repositories, Store,
};

use super::bulk::{check_size, each_until_down};
use super::get::visible_auth;
use crate::error::Conflict;
use crate::{AppError, AuthService, NewAuthSource, clock};

/// What a successful update answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateOutcome {
    /// The auth.
    pub auth_id: AuthId,
    /// Its version after the update (unchanged when nothing changed).
    pub version: i64,
    /// Whether anything changed.
    pub changed: bool,
}

/// One item of a bulk update, as the client sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateItem {
    /// The auth, by id.
    pub auth_id: String,
    /// The version the change was made against (`None`: whatever is current).
    pub expected_version: Option<i64>,
    /// A draft of the auth to publish, alone.
    pub draft_id: Option<String>,
    /// Or the fields to change.
    pub fields: RawFields,
}

/// A stale version: the conflict that tells the client what the current version is,
/// and which fields changed since the one it named (from the kept versions).
pub(crate) fn stale<T: Repositories>(
    tx: &mut T,
    auth_id: &AuthId,
    current: i64,
    expected: i64,
) -> AppError {
    let mut changed = Vec::new();
    if let Ok(kept) = tx.versions_numbered(auth_id, &[expected, current])
        && let (Some(from), Some(to)) = (
            kept.iter().find(|v| v.version == expected),
            kept.iter().find(|v| v.version == current),
        )
    {
        changed = auths_domain::history::diff(&from.content, &to.content)
            .iter()
            .map(|c| c.field_name().to_owned())
            .collect();
    }
    Conflict::AuthVersion {
        auth_id: auth_id.clone(),
        current,
        expected,
        changed,
    }
    .into()
}

/// Updates `before`, the auth as this transaction read it, for a caller already allowed
/// to update (see [`Caller::may`]); answers the outcome and the auth as it now is.
/// Nothing is read again: the auth after the change is built from what was checked.
pub(crate) fn update_loaded<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    before: Auth,
    expected_version: Option<i64>,
    patch: &AuthFields,
) -> Result<(UpdateOutcome, Auth), AppError> {
    let auth_id = before.auth_id.clone();
    if let Some(expected) = expected_version
        && expected != before.version
    {
        return Err(stale(tx, &auth_id, before.version, expected));
    }
    if let Some(denial) =
        caller.change_denial(&before.flag, &before.departments, patch.flag_id.as_ref())
    {
        return Err(denial.into());
    }
    let merged = before.fields().merged(patch.clone());
    let resolved = super::resolve::content(tx, caller, &merged, Some(&before))?;
    caller.may_change_departments(&before.departments, &resolved.departments())?;
    if resolved.content().clone().normalized() == before.content().normalized() {
        let outcome = UpdateOutcome {
            auth_id,
            version: before.version,
            changed: false,
        };
        return Ok((outcome, before));
    }
    let at = clock::now();
    let by = &caller.principal.name;
    let version = tx
        .update_auth(before.number, before.version, resolved.content(), at, by)
        .map_err(|e| match (e, expected_version) {
            // A concurrent writer won the conditional write: a stale version for a
            // caller who named one; for one who did not, a write to try again.
            (RepoError::Stale, None) => AppError::from(Conflict::Concurrent),
            (RepoError::Stale, Some(expected)) => AppError::from(Conflict::AuthVersion {
                auth_id: auth_id.clone(),
                current: expected + 1,
                expected,
                changed: Vec::new(),
            }),
            (other, _) => other.into(),
        })?;
    let after = resolved.auth(&auths_domain::Stamp {
        number: before.number,
        auth_id: &auth_id,
        group_id: &before.group_id,
        version,
        created: (before.created_at, &before.created_by),
        updated: (at, by),
    });
    super::scope::rehome(tx, &before, Some(resolved.content()))?;
    crate::audit::record(tx, caller, "auth.update", Some(&before), Some(&after))?;
    let outcome = UpdateOutcome {
        auth_id,
        version,
        changed: true,
    };
    Ok((outcome, after))
}

/// Runs `write` (a write transaction of an update that names no version: it applies to
/// whatever is there) again when a concurrent writer won it, at most [`RETRIES`] times,
/// a few milliseconds apart:
/// on PostgreSQL two such updates can race, and the loser must not see a conflict it
/// did not ask for (SQLite serialises writers, so it never loses).
pub(crate) fn retrying<T, E>(
    mut write: impl FnMut() -> Result<T, E>,
    lost: impl Fn(&E) -> bool,
) -> Result<T, E> {
    for attempt in 1..RETRIES {
        match write() {
            // A little later, and a little differently for each loser, so that racing
            // writers stop meeting.
            Err(e) if lost(&e) => {
                let jitter = u64::from(rand::random::<u8>() % 8);
                std::thread::sleep(std::time::Duration::from_millis(attempt * 2 + jitter));
            }
            other => return other,
        }
    }
    write()
}

/// Attempts of a write that names no version before a lost race is answered as a
/// conflict (a few tens of writers on one auth at once still all apply).
const RETRIES: u64 = 30;

/// Whether a write lost a race it may run again.
pub(crate) fn lost(e: &AppError) -> bool {
    matches!(e, AppError::Conflict(Conflict::Concurrent))
}

/// Updates one auth the caller may see, inside the caller's transaction.
fn update_in<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    auth_id: &AuthId,
    expected_version: Option<i64>,
    patch: &AuthFields,
) -> Result<UpdateOutcome, AppError> {
    let mut before = visible_auth(tx, caller, auth_id)?;
    // Without a version, the update applies to what is there when it writes: lock the
    // row, and read it again if another writer may have changed it meanwhile.
    if expected_version.is_none() && tx.lock_auth(before.number)? {
        before = visible_auth(tx, caller, auth_id)?;
    }
    update_loaded(tx, caller, before, expected_version, patch).map(|(outcome, _)| outcome)
}

impl<S: Store> AuthService<S> {
    /// Lays `patch` over the auth and publishes the result as its next version, in one
    /// transaction. With `expected_version`, the update applies only to that version;
    /// without it, to the version read in this transaction. Either way the write itself
    /// is conditional on the version, so of two concurrent writers one wins and the
    /// other gets a conflict: no update is ever lost.
    ///
    /// # Errors
    /// `Forbidden` (role, MCP, scope, deprecated), `NotFound`, `Conflict` (stale version,
    /// name or slug taken), `Invalid`.
    pub fn update_one(
        &self,
        caller: &Caller,
        auth_id: &AuthId,
        expected_version: Option<i64>,
        patch: &AuthFields,
    ) -> Result<UpdateOutcome, AppError> {
        caller.may(Operation::Update)?;
        retrying(
            || {
                self.store
                    .write(|tx| update_in(tx, caller, auth_id, expected_version, patch))
            },
            lost,
        )
    }

    /// Updates many auths, one result per item in their order, each item in a
    /// transaction of its own: the fields given change, or the caller's draft of the
    /// auth is published (consumed). The role and MCP policy refuse the whole request;
    /// everything else is an item's result. Once the database turns out to be
    /// unavailable, the items after are not tried.
    ///
    /// # Errors
    /// `TooMany` above [`super::bulk::MAX_BULK_ITEMS`] items, `Forbidden` when the
    /// caller may not update at all, `Unavailable` when no item reached the database.
    pub fn update_many(
        &self,
        caller: &Caller,
        items: &[UpdateItem],
    ) -> Result<Vec<Result<UpdateOutcome, AppError>>, AppError> {
        check_size(items.len())?;
        caller.may(Operation::Update)?;
        each_until_down(items, |item| {
            let auth_id = AuthId::parse(&item.auth_id)
                .map_err(|_| AppError::auth_not_found(&item.auth_id))?;
            match NewAuthSource::of(item.draft_id.as_deref(), &item.fields)? {
                NewAuthSource::Draft(draft_id) => self.store.write(|tx| {
                    super::drafts::publish_update_in(
                        tx,
                        caller,
                        &auth_id,
                        &draft_id,
                        item.expected_version,
                    )
                }),
                NewAuthSource::Fields(patch) => retrying(
                    || {
                        self.store.write(|tx| {
                            update_in(tx, caller, &auth_id, item.expected_version, &patch)
                        })
                    },
                    lost,
                ),
            }
        })
    }
}
