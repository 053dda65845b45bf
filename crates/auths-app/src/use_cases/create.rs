//! Create one auth.

use auths_domain::{AuthFields, AuthId, Caller, GroupId, NewAuth, Operation, Repositories, Store};

use crate::{AppError, AuthService, clock};

/// What a successful create answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOutcome {
    /// The new auth's id.
    pub auth_id: AuthId,
    /// Its numeric id.
    pub number: i64,
    /// Its version (1).
    pub version: i64,
}

/// Creates one auth inside the caller's transaction (also used to publish a draft).
pub(crate) fn create_in<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    fields: &AuthFields,
) -> Result<CreateOutcome, AppError> {
    fields.require_complete()?;
    let (content, departments) = super::resolve::content(tx, fields, None)?;
    caller.may_assign(&departments)?;
    let new = NewAuth {
        auth_id: AuthId::parse(&clock::new_id())?,
        group_id: GroupId::parse(&clock::new_id())?,
        content,
        at: clock::now(),
        by: caller.principal.name.clone(),
    };
    let number = tx.insert_auth(&new)?;
    let after = tx
        .auth_by_id(&new.auth_id)?
        .ok_or_else(|| AppError::Internal("the auth just inserted is missing".into()))?;
    crate::audit::record(tx, caller, "auth.create", None, Some(&after))?;
    Ok(CreateOutcome {
        auth_id: new.auth_id,
        number,
        version: 1,
    })
}

impl<S: Store> AuthService<S> {
    /// Publishes one new auth from `fields`, in one transaction: the name and
    /// description given as text are found in or added to their catalogs, every id is
    /// checked against its catalog, the name and slugs must be free, and a scoped
    /// caller may only give the auth departments of their own.
    ///
    /// # Errors
    /// `Forbidden` (role, MCP policy, departments out of scope), `Invalid` (missing or
    /// unknown values, by field), `Conflict` (name or slug taken), storage errors.
    pub fn create_one(
        &self,
        caller: &Caller,
        fields: &AuthFields,
    ) -> Result<CreateOutcome, AppError> {
        caller.may(Operation::Create)?;
        fields.require_complete()?;
        self.store.write(|tx| create_in(tx, caller, fields))
    }
}
