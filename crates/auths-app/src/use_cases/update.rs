//! Update one auth (publish changes), with optimistic concurrency.

use auths_domain::{
    AuthContent, AuthFields, AuthId, Caller, Operation, RepoError, Repositories, Store,
};

use super::get::visible_auth;
use crate::{AppError, AuthService, clock};

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

/// The content with each section as a sorted set, so that order does not count as a
/// change.
fn normalized(mut c: AuthContent) -> AuthContent {
    for ids in [
        &mut c.protocol_ids,
        &mut c.slug_ids,
        &mut c.item_ids,
        &mut c.department_ids,
        &mut c.location_ids,
    ] {
        ids.sort();
    }
    c
}

/// A stale version: the conflict that tells the client what the current version is.
pub(crate) fn stale(auth_id: &AuthId, current: i64, expected: i64) -> AppError {
    AppError::Conflict {
        message: format!(
            "auth {auth_id} is at version {current}, not {expected}: read it again and reapply your change"
        ),
        current_version: Some(current),
    }
}

/// Updates one auth inside the caller's transaction (also used to publish a draft).
pub(crate) fn update_in<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    auth_id: &AuthId,
    expected_version: Option<i64>,
    patch: &AuthFields,
) -> Result<UpdateOutcome, AppError> {
    let before = visible_auth(tx, caller, auth_id)?;
    if let Some(expected) = expected_version
        && expected != before.version
    {
        return Err(stale(auth_id, before.version, expected));
    }
    if let Some(reason) =
        caller.update_denial(&before.flag, &before.departments, patch.flag_id.as_ref())
    {
        return Err(AppError::Forbidden(reason));
    }
    let merged = before.fields().merged(patch.clone());
    let (content, departments) = super::resolve::content(tx, &merged, Some(auth_id))?;
    caller.may_change_departments(&before.departments, &departments)?;
    if normalized(content.clone()) == normalized(before.content()) {
        return Ok(UpdateOutcome {
            auth_id: auth_id.clone(),
            version: before.version,
            changed: false,
        });
    }
    let version = tx
        .update_auth(
            auth_id,
            before.version,
            &content,
            clock::now(),
            &caller.principal.name,
        )
        .map_err(|e| match e {
            RepoError::Stale => stale(auth_id, before.version + 1, before.version),
            other => other.into(),
        })?;
    let after = tx
        .auth_by_id(auth_id)?
        .ok_or_else(|| AppError::Internal("the auth just updated is missing".into()))?;
    crate::audit::record(tx, caller, "auth.update", Some(&before), Some(&after))?;
    Ok(UpdateOutcome {
        auth_id: auth_id.clone(),
        version,
        changed: true,
    })
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
        self.store
            .write(|tx| update_in(tx, caller, auth_id, expected_version, patch))
    }
}
