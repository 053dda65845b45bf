//! Delete auths.

use auths_domain::{Auth, AuthId, Caller, Operation, Repositories, Store};

use super::bulk::{check_size, each_until_down};
use super::get::visible_auth;
use crate::error::Conflict;
use crate::{AppError, AuthService};

/// Deletes `before`, the auth as this transaction read it (and the caller may see), if
/// the caller may delete it: audited, its entries homed.
pub(crate) fn delete_loaded<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    before: &Auth,
) -> Result<(), AppError> {
    if let Some(denial) = caller.delete_denial(&before.departments) {
        return Err(denial.into());
    }
    if !tx.delete_auth(before.number, before.version)? {
        return Err(Conflict::DeletedWhileChanging {
            auth_id: before.auth_id.clone(),
        }
        .into());
    }
    super::scope::rehome(tx, before, None)?;
    crate::audit::record(tx, caller, "auth.delete", Some(before), None)?;
    Ok(())
}

impl<S: Store> AuthService<S> {
    /// Deletes the auth; its last state stays in the audit log. Catalog entries it used
    /// stay in their catalogs; its slugs become free.
    ///
    /// # Errors
    /// `Forbidden` (role, MCP, scope), `NotFound`.
    pub fn delete_one(&self, caller: &Caller, auth_id: &AuthId) -> Result<(), AppError> {
        caller.may(Operation::Delete)?;
        self.delete_allowed(caller, auth_id)
    }

    /// Deletes for a caller already allowed to delete (see [`Caller::may`]).
    fn delete_allowed(&self, caller: &Caller, auth_id: &AuthId) -> Result<(), AppError> {
        self.store.write(|tx| {
            let before = visible_auth(tx, caller, auth_id)?;
            delete_loaded(tx, caller, &before)
        })
    }

    /// Deletes many auths, by id as the client gave them, one result per id in their
    /// order, each in a transaction of its own. The role and MCP policy refuse the
    /// whole request; everything else is an item's result.
    ///
    /// # Errors
    /// `TooMany` above [`super::bulk::MAX_BULK_ITEMS`] ids, `Forbidden` when the caller
    /// may not delete at all, `Unavailable` when no item reached the database.
    pub fn delete_many(
        &self,
        caller: &Caller,
        auth_ids: &[String],
    ) -> Result<Vec<Result<(), AppError>>, AppError> {
        check_size(auth_ids.len())?;
        caller.may(Operation::Delete)?;
        each_until_down(auth_ids, |raw| {
            let auth_id = AuthId::parse(raw).map_err(|_| AppError::auth_not_found(raw))?;
            self.delete_allowed(caller, &auth_id)
        })
    }
}
