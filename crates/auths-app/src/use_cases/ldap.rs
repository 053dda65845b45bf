//! LDAP auth sources (Foreman's `auth_source_ldaps`, foreman-v2 spec, "The clients
//! people run"): create, update, destroy and the connection test, over the same rules
//! as every write (permissions, department scope, versions, audit). The index and show
//! are the externals' ([`AuthService::external_index`], [`AuthService::external`]) with
//! [`SourceKind::Ldap`].
//!
//! Each parameter is an item of the auth keyed by its name. A parameter whose value
//! does not change keeps its item (a repeated `account_password` is compared with the
//! stored one, in constant time), so that a request that changes nothing writes
//! nothing: no version, no audit record, no catalog entry.

use auths_domain::history::AuthVersion;
use auths_domain::ldap::{
    LdapPatch, LdapSettings, PARAMS, ParamKind, ProbeOutcome, SourceKind, protocols_with_tls,
};
use auths_domain::prelude::*;
use auths_domain::{
    Auth, Caller, CatalogKind, EntryId, FieldProblem, ItemData, NewCatalogEntry, Operation,
    PageRequest, Store,
};
use subtle::ConstantTimeEq;

use super::externals::{
    ExternalChanges, ExternalView, Refused, common_patch, entries_of, locked_source,
    scope_taxonomies, visible_source,
};
use crate::{AppError, AuthService, clock};

/// What a create or update of an LDAP auth source asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LdapChanges {
    /// The name and taxonomies (as for an auth source external).
    pub common: ExternalChanges,
    /// The LDAP parameters (its `name` is not read: `common` holds it).
    pub params: LdapPatch,
}

/// What a connection test answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdapTest {
    /// The source tested.
    pub auth: Auth,
    /// What the test found.
    pub outcome: ProbeOutcome,
}

/// The items of an LDAP source after `patch` (its TLS after it: `tls`): unchanged
/// parameters keep their item; a changed one points at an item holding the new value
/// (one already in the catalog, or a new one; a secret always gets its own); a
/// parameter set to its default, or removed, has no item. A password sent again is a
/// change when `rebind` (the stored one was set for another directory than the one the
/// source now reaches). Answers the item ids and the
/// secret items this source no longer uses (to be deleted when nothing else does).
fn ldap_items<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    before: Option<&Auth>,
    patch: &LdapPatch,
    (tls, rebind): (bool, bool),
) -> Result<(Vec<EntryId>, Vec<EntryId>), AppError> {
    // (key, id, secret, value)
    let mut items: Vec<(String, EntryId, bool, Option<String>)> = before
        .map(|a| {
            a.items
                .iter()
                .map(|i| {
                    (
                        i.key.to_ascii_lowercase(),
                        i.id.clone(),
                        i.secret,
                        i.value.clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut dropped = Vec::new();
    for (key, value) in &patch.items {
        let secret = PARAMS
            .iter()
            .any(|(k, kind)| k == key && *kind == ParamKind::Secret);
        let current = items.iter().position(|(k, ..)| k == key);
        // A default for a parameter not kept, or a default replacing one kept: no item.
        let value = value
            .as_ref()
            .filter(|v| !LdapSettings::is_default(key, v, tls));
        let same = match (current, value) {
            (Some(i), Some(v)) => {
                let (_, id, was_secret, held) = &items[i];
                if *was_secret {
                    // The stored password set for another directory: the one sent is
                    // set anew for this one, even when it is the same.
                    secret
                        && !rebind
                        && tx
                            .open_secret(id)?
                            .is_some_and(|s| bool::from(s.0.as_bytes().ct_eq(v.as_bytes())))
                } else {
                    !secret && held.as_deref() == Some(v.as_str())
                }
            }
            (None, None) => true,
            _ => false,
        };
        if same {
            continue;
        }
        if let Some(i) = current {
            let (_, id, was_secret, _) = items.remove(i);
            if was_secret {
                dropped.push(id);
            }
        }
        let Some(v) = value else { continue };
        let reused = if secret {
            None
        } else {
            tx.item_with_value(key, v)?
        };
        let entry = match reused {
            Some(e) => e,
            None => {
                let item = ItemData::parse(key, v, secret).map_err(|e| {
                    AppError::Invalid(
                        e.problems
                            .into_iter()
                            .map(|p| FieldProblem::new(*key, p.rule))
                            .collect(),
                    )
                })?;
                let entry = tx.insert_entry(
                    &NewCatalogEntry {
                        id: EntryId::parse(&clock::new_id())?,
                        kind: CatalogKind::Items,
                        label: (*key).to_owned(),
                        item: Some(item),
                    },
                    clock::now(),
                )?;
                super::scope::home_new(tx, caller, &entry)?;
                entry
            }
        };
        items.push((
            (*key).to_owned(),
            entry.id,
            secret,
            (!secret).then(|| v.clone()),
        ));
    }
    Ok((items.into_iter().map(|(_, id, ..)| id).collect(), dropped))
}

/// Deletes the secret items `ids` that no auth uses any more (a replaced password is
/// not kept, sealed or not); one still in use stays.
fn forget_secrets<T: Repositories>(tx: &mut T, ids: &[EntryId]) -> Result<(), AppError> {
    for id in ids {
        // Asked first rather than refused by the database: on PostgreSQL a refused
        // statement would end the whole transaction.
        if tx.entry_usage(id, None)?.users == 0 {
            tx.delete_entry(CatalogKind::Items, id)?;
        }
    }
    Ok(())
}

/// What a test answers when the stored password is not sent.
pub const WITHHELD: &str = "The directory (host, port or TLS) changed since account_password was \
set, or when it was set is not known: the stored password is sent to no other directory. \
Send account_password again, then test.";

/// Versions looked at to learn where the stored password was set.
const PASSWORD_HISTORY: u32 = 500;

/// Whether the password item `password` of `auth` was set for the directory `now`
/// reaches (host, port, TLS): no other auth uses the item, and the version in which it
/// appeared in this auth reached the same directory. Unknown (no versions kept, or more than [`PASSWORD_HISTORY`] since) is no: an
/// editor who points a source at another host must send the password again, so that
/// the stored one cannot be sent to a directory of their choosing.
fn set_for<T: Repositories>(
    tx: &mut T,
    auth: &Auth,
    password: &EntryId,
    now: &LdapSettings,
) -> Result<bool, AppError> {
    let versions = tx.versions(
        &auth.auth_id,
        PageRequest {
            limit: PASSWORD_HISTORY,
            offset: 0,
        },
    )?;
    // A secret item is an entry any auth may name: one another auth uses too could have
    // been set for that auth's directory (or taken from it), so it is sent nowhere.
    if tx.entry_usage(password, None)?.users > 1 {
        return Ok(false);
    }
    let holds = |v: &&AuthVersion| v.content.items.iter().any(|i| &i.id == password);
    let run: Vec<&AuthVersion> = versions.rows.iter().take_while(holds).collect();
    let whole = run.len() < versions.rows.len() || versions.total == run.len() as u64;
    Ok(match run.last() {
        Some(set) if whole => LdapSettings::of_version(&set.content).directory() == now.directory(),
        _ => false,
    })
}

/// The settings after `patch`, checked; problems pushed to `problems`.
fn checked_settings(
    before: &LdapSettings,
    patch: &LdapPatch,
    problems: &mut Vec<FieldProblem>,
) -> LdapSettings {
    let after = before.patched(patch);
    if let Err(e) = after.check() {
        problems.extend(e.problems);
    }
    after
}

impl<S: Store> AuthService<S> {
    /// Creates an LDAP auth source: an auth with the `ldap` protocol (`ldaps` with
    /// `tls`) and one item a parameter, published at version 1 and audited. Checks run
    /// in Foreman's order: permission, the request (media type, body), validation.
    ///
    /// # Errors
    /// `Forbidden`; the request's refusal; `Invalid` (name blank, too long or taken,
    /// host missing, unknown taxonomies, attributes missing with `onthefly_register`);
    /// `SecretsUnavailable` (a password without the secrets key).
    pub fn create_ldap<R>(
        &self,
        caller: &Caller,
        changes: Result<LdapChanges, R>,
    ) -> Result<ExternalView, Refused<R>> {
        caller.may(Operation::Create).map_err(AppError::from)?;
        let changes = changes.map_err(Refused::Request)?;
        let mut common = changes.common.clone();
        common.name.get_or_insert_with(String::new);
        Ok(self.store.write(|tx| {
            let mut problems = Vec::new();
            let mut fields = common_patch(tx, caller, None, &common, &mut problems)?;
            let settings =
                checked_settings(&LdapSettings::default(), &changes.params, &mut problems);
            if !problems.is_empty() {
                return Err(AppError::Invalid(problems));
            }
            let (item_ids, _) =
                ldap_items(tx, caller, None, &changes.params, (settings.tls, false))?;
            fields.protocol_ids = Some(protocols_with_tls(&[], settings.tls));
            fields.item_ids = Some(item_ids);
            let created = super::create::create_in(tx, caller, &fields)?;
            let auth = tx
                .auth_by_number(created.number)?
                .ok_or_else(|| AppError::Internal("a new auth is not found".into()))?;
            let entries = entries_of(tx, std::slice::from_ref(&auth))?;
            Ok(ExternalView {
                auth,
                scope: Vec::new(),
                entries,
            })
        })?)
    }

    /// Updates an LDAP auth source: name, taxonomies and parameters, as one new
    /// version (or nothing at all when nothing changes, a repeated password included),
    /// in Foreman's order of checks (as [`AuthService::update_external`]).
    ///
    /// # Errors
    /// As [`AuthService::update_external`], and those of [`AuthService::create_ldap`].
    pub fn update_ldap<R>(
        &self,
        caller: &Caller,
        number: Option<i64>,
        scope: Result<(Option<i64>, Option<i64>), R>,
        changes: Result<LdapChanges, R>,
    ) -> Result<ExternalView, Refused<R>> {
        caller.may(Operation::Update).map_err(AppError::from)?;
        let (location, organization) = scope.map_err(Refused::Request)?;
        let scope = self
            .store
            .read(|tx| scope_taxonomies(tx, caller, location, organization))?;
        let changes = changes.map_err(Refused::Request)?;
        let write = || {
            self.store.write(|tx| {
                let auth = locked_source(tx, caller, SourceKind::Ldap, number, &scope)?;
                let mut problems = Vec::new();
                let mut patch =
                    common_patch(tx, caller, Some(&auth), &changes.common, &mut problems)?;
                let before = LdapSettings::of(&auth);
                let after = checked_settings(&before, &changes.params, &mut problems);
                if !problems.is_empty() {
                    return Err(AppError::Invalid(problems));
                }
                let stored = auth
                    .items
                    .iter()
                    .find(|i| i.secret && i.key.eq_ignore_ascii_case("account_password"))
                    .map(|i| i.id.clone());
                // Only a password sent matters (one not sent stays as it is): the
                // versions are read for it alone.
                let sent = changes
                    .params
                    .items
                    .iter()
                    .any(|(k, v)| *k == "account_password" && v.is_some());
                let rebind = match stored {
                    Some(id) if sent => !set_for(tx, &auth, &id, &after)?,
                    _ => false,
                };
                let (item_ids, dropped) = ldap_items(
                    tx,
                    caller,
                    Some(&auth),
                    &changes.params,
                    (after.tls, rebind),
                )?;
                patch.item_ids = Some(item_ids);
                if after.tls != before.tls {
                    patch.protocol_ids = Some(protocols_with_tls(&auth.protocols, after.tls));
                }
                // Foreman's PUT names no version: it applies to what is there.
                let (_, auth) = super::update::update_loaded(tx, caller, auth, None, &patch)?;
                forget_secrets(tx, &dropped)?;
                let entries = entries_of(tx, std::slice::from_ref(&auth))?;
                Ok(ExternalView {
                    auth,
                    scope: scope.clone(),
                    entries,
                })
            })
        };
        Ok(super::update::retrying(write, super::update::lost)?)
    }

    /// Deletes an LDAP auth source (as [`AuthService::delete_one`]); its password item
    /// is deleted with it unless another auth uses it. Answers the source as it was.
    ///
    /// # Errors
    /// `Forbidden` (role, scope), `NotFound`, `Conflict` (changed meanwhile).
    pub fn delete_ldap(
        &self,
        caller: &Caller,
        number: Option<i64>,
        location: Option<i64>,
        organization: Option<i64>,
    ) -> Result<ExternalView, AppError> {
        caller.may(Operation::Delete)?;
        self.store.write(|tx| {
            let scope = scope_taxonomies(tx, caller, location, organization)?;
            let auth = visible_source(tx, caller, Some(SourceKind::Ldap), number, &scope)?;
            let entries = entries_of(tx, std::slice::from_ref(&auth))?;
            super::delete::delete_loaded(tx, caller, &auth)?;
            let secrets: Vec<EntryId> = auth
                .items
                .iter()
                .filter(|i| i.secret)
                .map(|i| i.id.clone())
                .collect();
            forget_secrets(tx, &secrets)?;
            Ok(ExternalView {
                auth,
                scope,
                entries,
            })
        })
    }

    /// Tests an LDAP auth source's directory for real with the service's probe (see
    /// [`AuthService::with_directory`]; outside any transaction): TCP, TLS when asked, a bind with the account and its password.
    /// Needs the edit permission, as Foreman's `test` does.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`, `SecretsUnavailable` (a password kept without the
    /// secrets key). A directory that fails is an outcome, not an error.
    pub fn test_ldap(&self, caller: &Caller, number: Option<i64>) -> Result<LdapTest, AppError> {
        caller.may(Operation::Update)?;
        let (auth, target, withheld) = self.store.read(|tx| {
            let auth = visible_source(tx, caller, Some(SourceKind::Ldap), number, &[])?;
            let settings = LdapSettings::of(&auth);
            let item = auth
                .items
                .iter()
                .find(|i| i.secret && i.key.eq_ignore_ascii_case("account_password"));
            let (password, withheld) = match item {
                Some(i) if set_for(tx, &auth, &i.id, &settings)? => (tx.open_secret(&i.id)?, false),
                Some(_) => (None, true),
                None => (None, false),
            };
            Ok::<_, AppError>((auth, settings.target(password), withheld))
        })?;
        let outcome = match &self.directory {
            _ if withheld => ProbeOutcome {
                success: false,
                message: WITHHELD.to_owned(),
            },
            Some(probe) => probe.test(&target),
            None => ProbeOutcome {
                success: false,
                message: "This server is not set up to test LDAP connections".to_owned(),
            },
        };
        Ok(LdapTest { auth, outcome })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auths_domain::ldap::RawParam;

    #[test]
    fn settings_fold_a_patch_and_check_it() {
        let patch = LdapPatch::parse([
            ("host", RawParam::Text("ldap.example.com".into())),
            ("port", RawParam::Int(636)),
            ("tls", RawParam::Bool(true)),
            ("onthefly_register", RawParam::Text("true".into())),
        ])
        .unwrap();
        let mut problems = Vec::new();
        let after = checked_settings(&LdapSettings::default(), &patch, &mut problems);
        assert!(after.tls);
        assert_eq!(after.port(), 636);
        let missing: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            missing,
            ["attr_login", "attr_firstname", "attr_lastname", "attr_mail"]
        );
    }
}
