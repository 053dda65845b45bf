//! Get one auth.

use auths_domain::{Auth, AuthId, Caller, Operation, Repositories, Store};

use crate::{AppError, AuthService};

/// One auth as a caller sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthView {
    /// The auth.
    pub auth: Auth,
    /// Whether the caller may edit it.
    pub can_edit: bool,
    /// Why not, when they may not.
    pub disabled_reason: Option<String>,
}

impl AuthView {
    /// The view of `auth` for `caller`.
    pub fn new(auth: Auth, caller: &Caller) -> Self {
        let disabled_reason = caller.edit_denial(&auth.flag, &auth.departments);
        Self {
            auth,
            can_edit: disabled_reason.is_none(),
            disabled_reason,
        }
    }
}

/// The one answer for "does not exist" and "exists where you may not look".
pub(crate) fn not_found(auth_id: &AuthId) -> AppError {
    AppError::NotFound(format!("auth {auth_id} not found"))
}

/// Loads an auth the caller may see, inside a transaction.
pub(crate) fn visible_auth<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    auth_id: &AuthId,
) -> Result<Auth, AppError> {
    match tx.auth_by_id(auth_id)? {
        Some(auth) if caller.can_see(&auth.department_ids()) => Ok(auth),
        _ => Err(not_found(auth_id)),
    }
}

impl<S: Store> AuthService<S> {
    /// The auth `auth_id`, if the caller may see it.
    ///
    /// # Errors
    /// `Forbidden` without the view permission; `NotFound` when the auth does not exist
    /// or is outside the caller's departments (the same answer for both).
    pub fn get_one(&self, caller: &Caller, auth_id: &AuthId) -> Result<AuthView, AppError> {
        caller.may(Operation::Get)?;
        let auth = self.store.read(|tx| visible_auth(tx, caller, auth_id))?;
        Ok(AuthView::new(auth, caller))
    }
}
