//! Get one auth.

use auths_domain::{
    Auth, AuthId, Caller, CatalogKind, Denial, EntryRef, Operation, PageRequest, Repositories,
    Store, Transaction,
};

use crate::answers::Tag;
use crate::{AppError, AuthService};
use std::sync::Arc;

/// One auth as a caller sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthView {
    /// The auth.
    pub auth: Auth,
    /// Whether the caller may edit it.
    pub can_edit: bool,
    /// Why not, when they may not.
    pub disabled_reason: Option<Denial>,
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

/// Loads an auth the caller may see, inside a transaction.
pub(crate) fn visible_auth<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    auth_id: &AuthId,
) -> Result<Auth, AppError> {
    match tx.auth_by_id(auth_id)? {
        Some(auth) if caller.can_see(&auth.department_ids()) => Ok(auth),
        // The one answer for "does not exist" and "exists where you may not look".
        _ => Err(AppError::auth_not_found(auth_id.as_str())),
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

/// The form: one auth's view (or none, for a blank form) and the options of the small
/// catalogs, read in one snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormView {
    /// The auth, when one was asked for.
    pub auth: Option<AuthView>,
    /// For a blank form: whether the caller may create, and why not.
    pub can_create: Result<(), Denial>,
    /// Every flag.
    pub flag_options: Vec<EntryRef>,
    /// Every protocol.
    pub protocol_options: Vec<EntryRef>,
    /// The version of the caller's newest draft of the auth, if they hold one.
    pub draft_version: Option<i64>,
}

/// The flags' and the protocols' options.
type Options = (Vec<EntryRef>, Vec<EntryRef>);

/// The most options a small catalog lists in a form.
const MAX_OPTIONS: u32 = 500;

fn options<T: Repositories>(tx: &mut T, kind: CatalogKind) -> Result<Vec<EntryRef>, AppError> {
    let page = tx.list_entries(
        kind,
        None,
        None,
        PageRequest {
            limit: MAX_OPTIONS,
            offset: 0,
        },
    )?;
    Ok(page
        .rows
        .iter()
        .map(auths_domain::CatalogEntry::to_ref)
        .collect())
}

impl<S: Store> AuthService<S> {
    /// The form for `auth_id`, or a blank form for a new auth.
    ///
    /// # Errors
    /// As [`AuthService::get_one`].
    pub fn form(&self, caller: &Caller, auth_id: Option<&AuthId>) -> Result<FormView, AppError> {
        caller.may(Operation::Get)?;
        // The auth as readers see it (the server's index), the caller's newest draft of
        // it and the generation they reflect: one statement on the server's store.
        let (auth, draft_version, generation) = match auth_id {
            Some(id) => {
                let read = self.store.form_read(id, &caller.principal.id)?;
                let (auth, draft_version) = seen_form(caller, id, &read)?;
                (Some(auth), draft_version, read.generation)
            }
            None => (None, None, self.store.generation()?),
        };
        // The options change only with the catalogs: kept per data generation.
        let options = match self.answers.get::<Options>(generation, Tag::Options, "") {
            Some(hit) => hit,
            None => self.store.read(|tx| {
                let fresh = Arc::new((
                    options(tx, CatalogKind::Flags)?,
                    options(tx, CatalogKind::Protocols)?,
                ));
                let bytes = 128 * (fresh.0.len() + fresh.1.len());
                self.answers.put(
                    tx.generation()?,
                    Tag::Options,
                    String::new(),
                    Arc::clone(&fresh),
                    bytes,
                );
                Ok::<_, AppError>(fresh)
            })?,
        };
        Ok(form_view(caller, auth, draft_version, &options))
    }

    /// [`AuthService::form`] of an auth, when it can be answered at once: the store
    /// answers without waiting ([`Store::form_read_now`]) and the options are kept for
    /// its generation. For a caller on an event loop; `None` means: call
    /// [`AuthService::form`] from a thread that may wait.
    pub fn form_now(
        &self,
        caller: &Caller,
        auth_id: &AuthId,
    ) -> Option<Result<FormView, AppError>> {
        if let Err(denial) = caller.may(Operation::Get) {
            return Some(Err(denial.into()));
        }
        let read = match self.store.form_read_now(auth_id, &caller.principal.id)? {
            Ok(read) => read,
            Err(e) => return Some(Err(e.into())),
        };
        let options = self
            .answers
            .get::<Options>(read.generation, Tag::Options, "")?;
        Some(
            seen_form(caller, auth_id, &read)
                .map(|(auth, draft)| form_view(caller, Some(auth), draft, &options)),
        )
    }
}

/// The auth of a form read, if the caller sees it, and the caller's draft version.
fn seen_form(
    caller: &Caller,
    auth_id: &AuthId,
    read: &auths_domain::FormRead,
) -> Result<(AuthView, Option<i64>), AppError> {
    match &read.auth {
        Some(a) if caller.can_see(&a.department_ids()) => {
            Ok((AuthView::new(Auth::clone(a), caller), read.draft_version))
        }
        _ => Err(AppError::auth_not_found(auth_id.as_str())),
    }
}

fn form_view(
    caller: &Caller,
    auth: Option<AuthView>,
    draft_version: Option<i64>,
    options: &Options,
) -> FormView {
    FormView {
        auth,
        can_create: caller.may(Operation::Create),
        flag_options: options.0.clone(),
        protocol_options: options.1.clone(),
        draft_version,
    }
}
