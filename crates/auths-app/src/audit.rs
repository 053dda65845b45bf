//! Writing and reading the audit log.
//!
//! Every write use case calls `record` inside its own transaction, so that a write and
//! its record commit or roll back together. Snapshots are JSON with secret item values
//! replaced by [`MASK`] (the store never returns them anyway; the mask makes the
//! record say "there was a secret here").

use auths_domain::AuditRepository;
use auths_domain::history::{AuthVersion, VersionContent};
use auths_domain::{
    AuditFilter, AuditRecord, Auth, AuthId, Caller, Channel, EntryRef, NewAuditRecord, Operation,
    Page, PageRequest, Principal, PrincipalId, Repositories, Role, Store,
};
use serde::Serialize;

use crate::{AppError, AuthService, clock};

/// What a secret value looks like in the audit log.
pub const MASK: &str = "********";

#[derive(Serialize)]
struct ItemSnapshot<'a> {
    id: &'a str,
    key: &'a str,
    value: Option<&'a str>,
    secret: bool,
}

#[derive(Serialize)]
struct AuthSnapshot<'a> {
    auth_id: &'a str,
    id: i64,
    group_id: &'a str,
    version: i64,
    name: &'a EntryRef,
    description: Option<&'a EntryRef>,
    flag: &'a EntryRef,
    protocols: &'a [EntryRef],
    slugs: &'a [EntryRef],
    items: Vec<ItemSnapshot<'a>>,
    departments: &'a [EntryRef],
    locations: &'a [EntryRef],
    updated_at: String,
    updated_by: &'a str,
}

/// An auth as JSON text, secrets masked.
pub(crate) fn snapshot(auth: &Auth) -> Result<String, AppError> {
    let s = AuthSnapshot {
        auth_id: auth.auth_id.as_str(),
        id: auth.number,
        group_id: auth.group_id.as_str(),
        version: auth.version,
        name: &auth.name,
        description: auth.description.as_ref(),
        flag: &auth.flag,
        protocols: &auth.protocols,
        slugs: &auth.slugs,
        items: auth
            .items
            .iter()
            .map(|i| ItemSnapshot {
                id: i.id.as_str(),
                key: &i.key,
                value: if i.secret {
                    Some(MASK)
                } else {
                    i.value.as_deref()
                },
                secret: i.secret,
            })
            .collect(),
        departments: &auth.departments,
        locations: &auth.locations,
        updated_at: auth.updated_at.to_rfc3339(),
        updated_by: &auth.updated_by,
    };
    serde_json::to_string(&s).map_err(|e| AppError::Internal(format!("audit snapshot: {e}")))
}

/// Appends the record of a write on an auth, in the caller's transaction.
pub(crate) fn record<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    operation: &str,
    before: Option<&Auth>,
    after: Option<&Auth>,
) -> Result<(), AppError> {
    let auth_id = after.or(before).map(|a| a.auth_id.clone());
    let mut department_ids: Vec<_> = before
        .iter()
        .chain(after.iter())
        .flat_map(|a| a.department_ids())
        .collect();
    department_ids.sort();
    department_ids.dedup();
    // A write that publishes a version keeps it, in the same transaction.
    if let Some(a) = after {
        tx.append_version(&AuthVersion {
            auth_id: a.auth_id.clone(),
            version: a.version,
            at: a.updated_at,
            actor_name: caller.principal.name.clone(),
            channel: caller.channel,
            operation: operation.to_owned(),
            content: VersionContent::of(a, |id| {
                a.items
                    .iter()
                    .find(|i| &i.id == id)
                    .and_then(|i| i.fingerprint.clone())
            }),
        })?;
    }
    tx.append_audit(&NewAuditRecord {
        at: clock::now(),
        actor_id: caller.principal.id.clone(),
        actor_name: caller.principal.name.clone(),
        channel: caller.channel,
        client: caller.client.clone(),
        operation: operation.to_owned(),
        auth_id,
        department_ids,
        before: before.map(snapshot).transpose()?,
        after: after.map(snapshot).transpose()?,
    })?;
    Ok(())
}

/// The actor of writes made by the server itself or its CLI (key management).
pub(crate) fn system_caller() -> Caller {
    Caller {
        principal: Principal {
            id: PrincipalId::parse("system:authsd").unwrap_or_else(|_| unreachable!("a valid id")),
            name: "authsd".to_owned(),
            role: Role::Admin,
            departments: None,
            allow_mcp_writes: false,
        },
        channel: Channel::Api,
        client: None,
    }
}

/// The caller of the command line (`authsd export`): an admin named `authsd-cli`.
pub fn cli_caller() -> Caller {
    let mut c = system_caller();
    c.principal.id =
        PrincipalId::parse("system:authsd-cli").unwrap_or_else(|_| unreachable!("a valid id"));
    c.principal.name = "authsd-cli".to_owned();
    c
}

/// Appends a record that concerns no auth (key management), with a JSON `after`.
pub(crate) fn record_other<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    operation: &str,
    after: &serde_json::Value,
) -> Result<(), AppError> {
    record_for(tx, caller, operation, Vec::new(), after)
}

/// Appends a record that concerns no single auth but the auths of `department_ids`
/// (a change to a catalog entry they use), so that their departments' editors see it.
pub(crate) fn record_for<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    operation: &str,
    department_ids: Vec<auths_domain::EntryId>,
    after: &serde_json::Value,
) -> Result<(), AppError> {
    tx.append_audit(&NewAuditRecord {
        at: clock::now(),
        actor_id: caller.principal.id.clone(),
        actor_name: caller.principal.name.clone(),
        channel: caller.channel,
        client: caller.client.clone(),
        operation: operation.to_owned(),
        auth_id: None,
        department_ids,
        before: None,
        after: Some(after.to_string()),
    })?;
    Ok(())
}

impl<S: Store> AuthService<S> {
    /// The audit log, newest first: admins read everything; editors read the records of
    /// auths in their departments (all of them when global), never those of key
    /// management; viewers may not read it.
    /// Records of an auth outside the caller's departments are left out exactly as if
    /// there were none.
    ///
    /// # Errors
    /// `Forbidden` for viewers; storage errors.
    pub fn list_audit(
        &self,
        caller: &Caller,
        auth_id: Option<AuthId>,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, AppError> {
        caller.may(Operation::AuditRead)?;
        let filter = AuditFilter {
            auth_id,
            departments: caller.scope(),
            key_management: caller.principal.role == Role::Admin,
        };
        let mut page = self.store.read(|tx| tx.list_audit(&filter, page))?;
        if !caller.is_global() {
            for record in &mut page.rows {
                hide_unseen_states(caller, record);
            }
        }
        Ok(page)
    }
}

/// The departments of an auth snapshot.
#[derive(serde::Deserialize)]
struct SnapshotDepartments {
    departments: Vec<EntryRef>,
}

/// A scoped caller sees the record of a write that moved an auth into or out of its
/// departments, but not the state it could not see: that snapshot is left out (`null`),
/// as is one that cannot be read.
fn hide_unseen_states(caller: &Caller, record: &mut AuditRecord) {
    if !record.operation.starts_with("auth.") {
        return;
    }
    for state in [&mut record.before, &mut record.after] {
        let seen = state.as_deref().is_some_and(|json| {
            serde_json::from_str::<SnapshotDepartments>(json).is_ok_and(|s| {
                let ids: Vec<_> = s.departments.into_iter().map(|d| d.id).collect();
                caller.can_see(&ids)
            })
        });
        if !seen {
            *state = None;
        }
    }
}
