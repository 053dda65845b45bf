//! Delete one auth.

use auths_domain::prelude::*;
use auths_domain::{AuthId, Caller, Operation, Store};

use super::get::visible_auth;
use crate::{AppError, AuthService};

impl<S: Store> AuthService<S> {
    /// Deletes the auth; its last state stays in the audit log. Catalog entries it used
    /// stay in their catalogs; its slugs become free.
    ///
    /// # Errors
    /// `Forbidden` (role, MCP, scope), `NotFound`.
    pub fn delete_one(&self, caller: &Caller, auth_id: &AuthId) -> Result<(), AppError> {
        caller.may(Operation::Delete)?;
        self.store.write(|tx| {
            let before = visible_auth(tx, caller, auth_id)?;
            if let Some(reason) = caller.delete_denial(&before.departments) {
                return Err(AppError::Forbidden(reason));
            }
            if !tx.delete_auth(auth_id, before.version)? {
                return Err(AppError::conflict(format!(
                    "auth {auth_id} changed while it was being deleted"
                )));
            }
            crate::audit::record(tx, caller, "auth.delete", Some(&before), None)?;
            Ok(())
        })
    }
}
