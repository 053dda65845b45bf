//! Duplicate one auth.

use auths_domain::auth::copy_names;
use auths_domain::prelude::*;
use auths_domain::{
    AuthFields, AuthId, AuthName, Caller, CatalogKind, EntryId, EntryRef, FieldProblem, NewAuth,
    NewCatalogEntry, Operation, Rule, Store,
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
    /// `Forbidden` (role, MCP, departments out of scope, an entry of the original that
    /// auths outside the caller's scope use), `NotFound`.
    pub fn duplicate(
        &self,
        caller: &Caller,
        auth_id: &AuthId,
    ) -> Result<DuplicateOutcome, AppError> {
        caller.may(Operation::Duplicate)?;
        self.store.write(|tx| {
            let original = visible_auth(tx, caller, auth_id)?;
            caller.may_assign(&original.departments)?;
            // The copy links the original's entries anew: the scope rule of linking
            // holds as for any new auth (its name is new, its description is its text).
            let mut links = AuthFields::from_content(&original.content());
            links.name = None;
            links.description = None;
            links.slug_ids = None;
            let (unseen, denied) = super::scope::link_problems(tx, caller, &links, None)?;
            if let Some(FieldProblem {
                rule: Rule::Denied { denial },
                ..
            }) = denied
            {
                return Err(denial.into());
            }
            if !unseen.is_empty() {
                // The original is visible, so are its entries; a race at most.
                return Err(AppError::auth_not_found(auth_id.as_str()));
            }
            let base = AuthName::parse(&original.name.label)?;
            let mut chosen = None;
            for candidate in copy_names(&base) {
                match tx.entry_by_label(CatalogKind::Names, candidate.as_str())? {
                    Some(entry) if tx.auth_named(&entry.id)?.is_some() => continue,
                    Some(entry) => chosen = Some(entry.to_ref()),
                    None => {
                        let entry = NewCatalogEntry {
                            id: EntryId::parse(&clock::new_id())?,
                            kind: CatalogKind::Names,
                            label: candidate.as_str().to_owned(),
                            item: None,
                        };
                        chosen = Some(tx.insert_entry(&entry, clock::now())?.to_ref());
                    }
                }
                break;
            }
            let name: EntryRef =
                chosen.ok_or_else(|| AppError::Internal("no free copy name".into()))?;
            let mut content = original.content();
            content.name_id = name.id.clone();
            content.slug_ids.clear();
            let new = NewAuth {
                auth_id: AuthId::parse(&clock::new_id())?,
                group_id: original.group_id.clone(),
                content,
                at: clock::now(),
                by: caller.principal.name.clone(),
            };
            let number = tx.insert_auth(&new)?;
            // The copy, from what was read: nothing is read back.
            let mut after = original;
            after.number = number;
            after.auth_id = new.auth_id.clone();
            after.name = name;
            after.slugs.clear();
            after.version = 1;
            (after.created_at, after.updated_at) = (new.at, new.at);
            (after.created_by, after.updated_by) = (new.by.clone(), new.by.clone());
            crate::audit::record(tx, caller, "auth.duplicate", None, Some(&after))?;
            Ok(DuplicateOutcome {
                auth_id: new.auth_id,
                name: after.name.label,
            })
        })
    }
}
