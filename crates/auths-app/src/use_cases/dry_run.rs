//! Dry runs of create, update and delete (auths-v5 spec, "History, diff, restore, dry
//! runs"): the same use case, in a write transaction that is always rolled back, so
//! that the per-item results are exactly those of the real write (every check, every
//! conflict, names added to their catalog) and nothing is written: no version, no audit
//! record, no catalog entry. The items of a request run one after the other in that one
//! transaction, each in a savepoint (kept when it succeeds), so that an item sees what
//! the items before it would have done, as in the real write. Each result carries what
//! the write would change.

use auths_domain::history::{self, Change, VersionContent};
use auths_domain::prelude::*;
use auths_domain::{AuthId, Caller, Operation, RepoError, Store};

use super::bulk::check_size;
use super::get::visible_auth;
use crate::{AppError, AuthService, CreateItem, NewAuthSource, UpdateItem};

/// What a dry run of one item would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DryOutcome {
    /// The auth (for a create, the id it would get).
    pub auth_id: AuthId,
    /// Its version after the write.
    pub version: i64,
    /// Whether anything would change.
    pub changed: bool,
    /// What would change.
    pub changes: Vec<Change>,
}

/// `f`'s answer from a write transaction that is rolled back whatever `f` answers.
fn rolled_back<S: Store, T>(
    store: &S,
    f: impl FnOnce(&mut S::Tx) -> Result<T, AppError>,
) -> Result<T, AppError> {
    enum Rolled<T> {
        Done(Result<T, AppError>),
        Repo(RepoError),
    }
    impl<T> From<RepoError> for Rolled<T> {
        fn from(e: RepoError) -> Self {
            Self::Repo(e)
        }
    }
    match store.write(|tx| Err::<(), _>(Rolled::Done(f(tx)))) {
        Err(Rolled::Done(r)) => r,
        Err(Rolled::Repo(e)) => Err(e.into()),
        Ok(()) => Err(AppError::Internal("a dry run committed".into())),
    }
}

/// Each of `items` through `one`, in order, in savepoints of one transaction that is
/// rolled back at the end.
fn batch<S: Store, I>(
    store: &S,
    items: &[I],
    one: impl Fn(&mut S::Tx, &I) -> Result<DryOutcome, AppError>,
) -> Result<Vec<Result<DryOutcome, AppError>>, AppError> {
    rolled_back(store, |tx| {
        Ok(items
            .iter()
            .map(|item| tx.savepoint(|tx| one(tx, item)))
            .collect())
    })
}

fn content_of<T: Repositories>(tx: &mut T, auth_id: &AuthId) -> Result<VersionContent, AppError> {
    let auth = tx
        .auth_by_id(auth_id)?
        .ok_or_else(|| AppError::auth_not_found(auth_id.as_str()))?;
    Ok(VersionContent::of(&auth, |id| {
        auth.items
            .iter()
            .find(|i| &i.id == id)
            .and_then(|i| i.fingerprint.clone())
    }))
}

impl<S: Store> AuthService<S> {
    /// A dry run of [`AuthService::create_many`]: each item as it would be created.
    ///
    /// # Errors
    /// As [`AuthService::create_many`].
    pub fn create_dry_run(
        &self,
        caller: &Caller,
        items: &[CreateItem],
    ) -> Result<Vec<Result<DryOutcome, AppError>>, AppError> {
        check_size(items.len())?;
        caller.may(Operation::Create)?;
        batch(&self.store, items, |tx, item| {
            let source = NewAuthSource::of(item.draft_id.as_deref(), &item.fields)?;
            {
                let out = match &source {
                    NewAuthSource::Fields(fields) => super::create::create_in(tx, caller, fields)?,
                    NewAuthSource::Draft(id) => super::drafts::publish_new_in(tx, caller, id)?,
                };
                let after = content_of(tx, &out.auth_id)?;
                Ok(DryOutcome {
                    auth_id: out.auth_id,
                    version: out.version,
                    changed: true,
                    changes: history::created(&after),
                })
            }
        })
    }

    /// A dry run of [`AuthService::update_many`]: each item as it would be updated
    /// (`changed: false` and no changes for one that changes nothing).
    ///
    /// # Errors
    /// As [`AuthService::update_many`].
    pub fn update_dry_run(
        &self,
        caller: &Caller,
        items: &[UpdateItem],
    ) -> Result<Vec<Result<DryOutcome, AppError>>, AppError> {
        check_size(items.len())?;
        caller.may(Operation::Update)?;
        batch(&self.store, items, |tx, item| {
            let auth_id = AuthId::parse(&item.auth_id)
                .map_err(|_| AppError::auth_not_found(&item.auth_id))?;
            let source = NewAuthSource::of(item.draft_id.as_deref(), &item.fields)?;
            {
                let before = content_of(tx, &auth_id)?;
                let out = match &source {
                    NewAuthSource::Draft(draft_id) => super::drafts::publish_update_in(
                        tx,
                        caller,
                        &auth_id,
                        draft_id,
                        item.expected_version,
                    )?,
                    NewAuthSource::Fields(patch) => {
                        let loaded = visible_auth(tx, caller, &auth_id)?;
                        super::update::update_loaded(
                            tx,
                            caller,
                            loaded,
                            item.expected_version,
                            patch,
                        )?
                        .0
                    }
                };
                let after = content_of(tx, &auth_id)?;
                Ok(DryOutcome {
                    auth_id: out.auth_id,
                    version: out.version,
                    changed: out.changed,
                    changes: history::diff(&before, &after),
                })
            }
        })
    }

    /// A dry run of [`AuthService::delete_many`]: each auth as it would be deleted.
    ///
    /// # Errors
    /// As [`AuthService::delete_many`].
    pub fn delete_dry_run(
        &self,
        caller: &Caller,
        auth_ids: &[String],
    ) -> Result<Vec<Result<DryOutcome, AppError>>, AppError> {
        check_size(auth_ids.len())?;
        caller.may(Operation::Delete)?;
        batch(&self.store, auth_ids, |tx, raw| {
            let auth_id = AuthId::parse(raw).map_err(|_| AppError::auth_not_found(raw))?;
            {
                let before = visible_auth(tx, caller, &auth_id)?;
                let content = content_of(tx, &auth_id)?;
                super::delete::delete_loaded(tx, caller, &before)?;
                Ok(DryOutcome {
                    auth_id: before.auth_id.clone(),
                    version: before.version,
                    changed: true,
                    changes: history::deleted(&content),
                })
            }
        })
    }
}
