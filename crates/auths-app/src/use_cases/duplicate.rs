//! Duplicate one auth.

use auths_domain::auth::copy_names;
use auths_domain::prelude::*;
use auths_domain::{
    AuthId, AuthName, Caller, CatalogKind, EntryId, GroupId, NewAuth, NewCatalogEntry, Operation,
    Store,
};

use super::get::visible_auth;
use crate::{AppError, AuthService, clock};

/// What a successful duplicate answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateOutcome {
    /// The copy's id.
    pub auth_id: AuthId,
    /// The copy's name.
    pub name: String,
}

impl<S: Store> AuthService<S> {
    /// Copies an auth: the same sections except slugs (a slug belongs to one auth), the
    /// same group, and the first free name of `"<name> (copy)"`, `"<name> (copy 2)"`, ...
    ///
    /// # Errors
    /// `Forbidden` (role, MCP, departments out of scope), `NotFound`.
    pub fn duplicate(
        &self,
        caller: &Caller,
        auth_id: &AuthId,
    ) -> Result<DuplicateOutcome, AppError> {
        caller.may(Operation::Duplicate)?;
        self.store.write(|tx| {
            let original = visible_auth(tx, caller, auth_id)?;
            caller.may_assign(&original.departments)?;
            let base = AuthName::parse(&original.name.label)?;
            let mut chosen = None;
            for candidate in copy_names(&base) {
                match tx.entry_by_label(CatalogKind::Names, candidate.as_str())? {
                    Some(entry) if tx.auth_named(&entry.id)?.is_some() => continue,
                    Some(entry) => chosen = Some((entry.id, candidate)),
                    None => {
                        let entry = NewCatalogEntry {
                            id: EntryId::parse(&clock::new_id())?,
                            kind: CatalogKind::Names,
                            label: candidate.as_str().to_owned(),
                            item: None,
                        };
                        chosen = Some((tx.insert_entry(&entry, clock::now())?.id, candidate));
                    }
                }
                break;
            }
            let (name_id, name) =
                chosen.ok_or_else(|| AppError::Internal("no free copy name".into()))?;
            let mut content = original.content();
            content.name_id = name_id;
            content.slug_ids.clear();
            let new = NewAuth {
                auth_id: AuthId::parse(&clock::new_id())?,
                group_id: GroupId::parse(original.group_id.as_str())?,
                content,
                at: clock::now(),
                by: caller.principal.name.clone(),
            };
            tx.insert_auth(&new)?;
            let after = tx
                .auth_by_id(&new.auth_id)?
                .ok_or_else(|| AppError::Internal("the copy just inserted is missing".into()))?;
            crate::audit::record(tx, caller, "auth.duplicate", None, Some(&after))?;
            Ok(DuplicateOutcome {
                auth_id: new.auth_id,
                name: name.into_inner(),
            })
        })
    }
}
