//! Who is calling, and what they may do. Every permission decision of the product is
//! made here, by pure functions, so that both APIs apply the same rules.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::catalog::{EntryRef, FLAG_DEPRECATED};
use crate::error::Invalid;
use crate::ids::{EntryId, PrincipalId};

/// A role; each includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read, search, docs.
    Viewer,
    /// Viewer, plus drafts, create, update, duplicate, delete, export.
    Editor,
    /// Editor, plus refresh, key management, catalog deletes, every department.
    Admin,
}

impl Role {
    /// The role's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Self::Viewer),
            "editor" => Ok(Self::Editor),
            "admin" => Ok(Self::Admin),
            _ => Err(Invalid::one(
                "role",
                format!("unknown role {s:?}; expected viewer, editor or admin"),
            )),
        }
    }
}

/// Through which channel a call came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A plain API call.
    Api,
    /// A call made by an AI agent through the Model Context Protocol (`X-MCP`).
    Mcp,
}

impl Channel {
    /// The channel's name, as recorded in the audit log.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Mcp => "mcp",
        }
    }
}

/// An authenticated principal: an API key's record (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The record's id.
    pub id: PrincipalId,
    /// The display name (`actor_name` in answers).
    pub name: String,
    /// The role.
    pub role: Role,
    /// `None`: every department (a global principal). `Some(ids)`: only auths in one of
    /// these departments. Admins are always global.
    pub departments: Option<Vec<EntryRef>>,
    /// Whether MCP calls with this key may publish, delete and export.
    pub allow_mcp_writes: bool,
}

/// The operations of the product, each with the role it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Read one auth's form view.
    Get,
    /// Search and list auths.
    Search,
    /// Read the composed documentation.
    Docs,
    /// Publish new auths.
    Create,
    /// Publish changes to auths.
    Update,
    /// Copy an auth.
    Duplicate,
    /// Delete auths.
    Delete,
    /// Create and edit one's own drafts.
    EditDraft,
    /// List one's own drafts.
    ListDrafts,
    /// Export auths as CSV.
    Export,
    /// Rebuild derived views and drop caches.
    Refresh,
    /// Read catalogs.
    CatalogRead,
    /// Create and rename catalog entries.
    CatalogWrite,
    /// Delete catalog entries.
    CatalogDelete,
    /// Read the audit log.
    AuditRead,
    /// Create, list and revoke API keys.
    ManageKeys,
}

impl Operation {
    /// The least role that may call it.
    pub const fn required_role(self) -> Role {
        match self {
            Self::Get | Self::Search | Self::Docs | Self::CatalogRead => Role::Viewer,
            Self::Create
            | Self::Update
            | Self::Duplicate
            | Self::Delete
            | Self::EditDraft
            | Self::ListDrafts
            | Self::Export
            | Self::CatalogWrite
            | Self::AuditRead => Role::Editor,
            Self::Refresh | Self::CatalogDelete | Self::ManageKeys => Role::Admin,
        }
    }

    /// The permission's name, as the docs endpoint shows it.
    pub const fn permission(self) -> &'static str {
        match self {
            Self::Get | Self::Search | Self::Docs => "auths.view",
            Self::Create => "auths.create",
            Self::Update => "auths.edit",
            Self::Duplicate => "auths.duplicate",
            Self::Delete => "auths.delete",
            Self::EditDraft | Self::ListDrafts => "auths.draft",
            Self::Export => "auths.export",
            Self::Refresh => "auths.refresh",
            Self::CatalogRead => "catalog.view",
            Self::CatalogWrite => "catalog.edit",
            Self::CatalogDelete => "catalog.delete",
            Self::AuditRead => "audit.view",
            Self::ManageKeys => "keys.manage",
        }
    }

    /// Whether an MCP caller needs a key that allows MCP writes for this operation
    /// (publishing, deleting, exporting, refreshing; drafts stay open to agents).
    pub const fn needs_mcp_writes(self) -> bool {
        matches!(
            self,
            Self::Create
                | Self::Update
                | Self::Delete
                | Self::Duplicate
                | Self::Export
                | Self::Refresh
                | Self::CatalogWrite
                | Self::CatalogDelete
                | Self::ManageKeys
        )
    }
}

/// Why a call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Denied {
    /// A human sentence.
    pub reason: String,
}

/// A principal calling through a channel: the subject of every permission decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Who.
    pub principal: Principal,
    /// Through which channel.
    pub channel: Channel,
}

impl Caller {
    /// Whether the caller's role and channel allow `op` at all (department scope is a
    /// separate question, see [`Caller::can_see`] and [`Caller::edit_denial`]).
    ///
    /// # Errors
    /// [`Denied`] with a sentence saying which role or key setting is missing.
    pub fn may(&self, op: Operation) -> Result<(), Denied> {
        let need = op.required_role();
        if self.principal.role < need {
            return Err(Denied {
                reason: format!(
                    "you lack {}: the {} role is needed, and your key has the {} role",
                    op.permission(),
                    need,
                    self.principal.role
                ),
            });
        }
        if self.channel == Channel::Mcp && op.needs_mcp_writes() && !self.principal.allow_mcp_writes
        {
            return Err(Denied {
                reason: format!(
                    "{} is not allowed to MCP clients: the key does not allow MCP writes",
                    op.permission()
                ),
            });
        }
        Ok(())
    }

    /// Whether the caller is global (sees every department).
    pub fn is_global(&self) -> bool {
        self.principal.role == Role::Admin || self.principal.departments.is_none()
    }

    /// The departments the caller is limited to, or `None` for a global caller.
    pub fn scope(&self) -> Option<Vec<EntryId>> {
        if self.is_global() {
            return None;
        }
        self.principal
            .departments
            .as_ref()
            .map(|ds| ds.iter().map(|d| d.id.clone()).collect())
    }

    /// Whether an auth owned by `departments` is visible to the caller: global callers
    /// see everything; scoped ones see auths with at least one of their departments
    /// (an auth with no department is visible to global callers only).
    pub fn can_see(&self, departments: &[EntryId]) -> bool {
        match self.scope() {
            None => true,
            Some(mine) => departments.iter().any(|d| mine.contains(d)),
        }
    }

    /// Why the caller may not change an auth owned by `departments`, as far as
    /// department scope goes (a scoped caller needs one of the auth's departments).
    pub fn scope_denial(&self, departments: &[EntryRef]) -> Option<String> {
        let mine = self.scope()?;
        if departments.iter().any(|d| mine.contains(&d.id)) {
            return None;
        }
        Some(match departments.first() {
            Some(d) => format!("you lack auths.edit in department {}", d.label),
            None => "you lack auths.edit: the auth has no department and your key is limited to departments".to_owned(),
        })
    }

    /// Why the caller may not edit an auth with this flag and these departments, or
    /// `None` when they may. The sentence is shown to users as `disabled_reason`.
    pub fn edit_denial(&self, flag: &EntryRef, departments: &[EntryRef]) -> Option<String> {
        self.update_denial(flag, departments, None)
    }

    /// Why the caller may not apply an update that sets the flag to `new_flag` (`None`:
    /// leaves it) on an auth with this flag and these departments. A deprecated auth
    /// is read-only, except for an update that gives it another flag.
    pub fn update_denial(
        &self,
        flag: &EntryRef,
        departments: &[EntryRef],
        new_flag: Option<&EntryId>,
    ) -> Option<String> {
        if let Err(d) = self.may(Operation::Update) {
            return Some(d.reason);
        }
        if let Some(reason) = self.scope_denial(departments) {
            return Some(reason);
        }
        let undeprecates = new_flag.is_some_and(|f| f.as_str() != FLAG_DEPRECATED);
        if flag.id.as_str() == FLAG_DEPRECATED && !undeprecates {
            return Some("auth is deprecated".to_owned());
        }
        None
    }

    /// Whether the caller may change an auth's departments from `before` to `after`: a
    /// scoped caller may add or remove only departments of their own (the others an
    /// auth shares stay as they are), and must leave the auth at least one of theirs.
    ///
    /// # Errors
    /// [`Denied`] naming the first department out of scope that would change.
    pub fn may_change_departments(
        &self,
        before: &[EntryRef],
        after: &[EntryRef],
    ) -> Result<(), Denied> {
        let Some(mine) = self.scope() else {
            return Ok(());
        };
        let changed = before
            .iter()
            .filter(|b| !after.iter().any(|a| a.id == b.id))
            .chain(
                after
                    .iter()
                    .filter(|a| !before.iter().any(|b| b.id == a.id)),
            );
        for d in changed {
            if !mine.contains(&d.id) {
                return Err(Denied {
                    reason: format!("you lack auths.edit in department {}", d.label),
                });
            }
        }
        if !after.iter().any(|d| mine.contains(&d.id)) {
            return Err(Denied {
                reason: "your key is limited to departments: leave the auth at least one of them"
                    .to_owned(),
            });
        }
        Ok(())
    }

    /// Why the caller may not delete an auth owned by `departments`: a scoped caller
    /// needs every one of them (deleting takes it from all its departments).
    pub fn delete_denial(&self, departments: &[EntryRef]) -> Option<String> {
        let mine = self.scope()?;
        if departments.is_empty() {
            return self.scope_denial(departments);
        }
        departments.iter().find(|d| !mine.contains(&d.id)).map(|d| {
            format!(
                "you lack auths.delete in department {}: the auth is shared with it",
                d.label
            )
        })
    }

    /// Whether a scoped caller may give an auth these departments: every one of them
    /// must be in scope, and a scoped caller cannot leave an auth without department
    /// (it would vanish from their own view).
    ///
    /// # Errors
    /// [`Denied`] naming the first department out of scope.
    pub fn may_assign(&self, departments: &[EntryRef]) -> Result<(), Denied> {
        let Some(mine) = self.scope() else {
            return Ok(());
        };
        if departments.is_empty() {
            return Err(Denied {
                reason: "your key is limited to departments: give the auth at least one of them"
                    .to_owned(),
            });
        }
        match departments.iter().find(|d| !mine.contains(&d.id)) {
            Some(d) => Err(Denied {
                reason: format!("you lack auths.edit in department {}", d.label),
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(id: &str, label: &str) -> EntryRef {
        EntryRef {
            id: EntryId::parse(id).unwrap(),
            label: label.to_owned(),
        }
    }

    fn caller(
        role: Role,
        departments: Option<Vec<EntryRef>>,
        channel: Channel,
        mcp: bool,
    ) -> Caller {
        Caller {
            principal: Principal {
                id: PrincipalId::parse("p").unwrap(),
                name: "alice".into(),
                role,
                departments,
                allow_mcp_writes: mcp,
            },
            channel,
        }
    }

    fn active() -> EntryRef {
        r("flag-active", "active")
    }

    #[test]
    fn roles_are_ordered_and_parse() {
        assert!(Role::Viewer < Role::Editor && Role::Editor < Role::Admin);
        assert_eq!("editor".parse::<Role>(), Ok(Role::Editor));
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn operations_need_their_role() {
        let viewer = caller(Role::Viewer, None, Channel::Api, false);
        assert!(viewer.may(Operation::Search).is_ok());
        let err = viewer.may(Operation::Create).unwrap_err();
        assert!(err.reason.contains("auths.create"), "{}", err.reason);
        assert!(err.reason.contains("editor"), "{}", err.reason);
        let editor = caller(Role::Editor, None, Channel::Api, false);
        assert!(editor.may(Operation::Export).is_ok());
        assert!(editor.may(Operation::Refresh).is_err());
        assert!(editor.may(Operation::CatalogDelete).is_err());
        let admin = caller(Role::Admin, None, Channel::Api, false);
        assert!(admin.may(Operation::ManageKeys).is_ok());
    }

    #[test]
    fn mcp_callers_edit_drafts_but_need_the_key_setting_to_publish() {
        let agent = caller(Role::Editor, None, Channel::Mcp, false);
        assert!(agent.may(Operation::EditDraft).is_ok());
        assert!(agent.may(Operation::Get).is_ok());
        for op in [
            Operation::Create,
            Operation::Update,
            Operation::Delete,
            Operation::Duplicate,
            Operation::Export,
        ] {
            assert!(agent.may(op).is_err(), "{op:?}");
        }
        let trusted = caller(Role::Editor, None, Channel::Mcp, true);
        assert!(trusted.may(Operation::Create).is_ok());
        let admin_agent = caller(Role::Admin, None, Channel::Mcp, false);
        assert!(admin_agent.may(Operation::Refresh).is_err());
    }

    #[test]
    fn scope_limits_what_is_seen() {
        let fin = r("d-fin", "Finance");
        let hr = r("d-hr", "HR");
        let scoped = caller(Role::Editor, Some(vec![fin.clone()]), Channel::Api, false);
        assert!(scoped.can_see(&[fin.id.clone(), hr.id.clone()]));
        assert!(!scoped.can_see(std::slice::from_ref(&hr.id)));
        assert!(!scoped.can_see(&[]));
        let global = caller(Role::Viewer, None, Channel::Api, false);
        assert!(global.can_see(&[]));
        // Admins are global whatever their key says.
        let admin = caller(Role::Admin, Some(vec![fin.clone()]), Channel::Api, false);
        assert!(admin.can_see(&[hr.id]));
        assert_eq!(admin.scope(), None);
    }

    #[test]
    fn edit_denial_says_why() {
        let fin = r("d-fin", "Finance");
        let hr = r("d-hr", "HR");
        let scoped = caller(Role::Editor, Some(vec![fin.clone()]), Channel::Api, false);
        assert_eq!(
            scoped.edit_denial(&active(), std::slice::from_ref(&fin)),
            None
        );
        assert_eq!(
            scoped
                .edit_denial(&active(), std::slice::from_ref(&hr))
                .as_deref(),
            Some("you lack auths.edit in department HR")
        );
        assert!(scoped.edit_denial(&active(), &[]).is_some());
        assert_eq!(
            scoped
                .edit_denial(
                    &r(FLAG_DEPRECATED, "deprecated"),
                    std::slice::from_ref(&fin)
                )
                .as_deref(),
            Some("auth is deprecated")
        );
        let viewer = caller(Role::Viewer, None, Channel::Api, false);
        assert!(
            viewer
                .edit_denial(&active(), &[])
                .unwrap()
                .contains("auths.edit")
        );
    }

    #[test]
    fn deprecated_auths_change_only_their_flag() {
        let editor = caller(Role::Editor, None, Channel::Api, false);
        let deprecated = r(FLAG_DEPRECATED, "deprecated");
        let active_id = EntryId::parse("flag-active").unwrap();
        assert!(editor.update_denial(&deprecated, &[], None).is_some());
        assert!(
            editor
                .update_denial(&deprecated, &[], Some(&deprecated.id))
                .is_some()
        );
        assert_eq!(
            editor.update_denial(&deprecated, &[], Some(&active_id)),
            None
        );
        let fin = r("d-fin", "Finance");
        let scoped = caller(Role::Editor, Some(vec![fin]), Channel::Api, false);
        assert!(
            scoped
                .update_denial(&deprecated, &[], Some(&active_id))
                .is_some(),
            "scope still applies"
        );
        assert!(scoped.scope_denial(&[]).is_some());
        assert_eq!(editor.scope_denial(&[]), None);
    }

    #[test]
    fn shared_auths_change_only_in_the_callers_departments() {
        let fin = r("d-fin", "Finance");
        let hr = r("d-hr", "HR");
        let it = r("d-it", "IT");
        let scoped = caller(
            Role::Editor,
            Some(vec![fin.clone(), it.clone()]),
            Channel::Api,
            false,
        );
        let shared = [fin.clone(), hr.clone()];
        assert!(
            scoped.may_change_departments(&shared, &shared).is_ok(),
            "keeping HR is fine"
        );
        assert!(
            scoped
                .may_change_departments(&shared, &[fin.clone(), hr.clone(), it.clone()])
                .is_ok()
        );
        let err = scoped
            .may_change_departments(&shared, std::slice::from_ref(&fin))
            .unwrap_err();
        assert!(
            err.reason.contains("HR"),
            "removing HR is not theirs to do: {}",
            err.reason
        );
        assert!(
            scoped
                .may_change_departments(&shared, std::slice::from_ref(&hr))
                .is_err(),
            "must keep one of theirs"
        );
        assert!(scoped.delete_denial(&shared).unwrap().contains("HR"));
        assert_eq!(scoped.delete_denial(&[fin.clone(), it.clone()]), None);
        let global = caller(Role::Editor, None, Channel::Api, false);
        assert!(global.may_change_departments(&shared, &[]).is_ok());
        assert_eq!(global.delete_denial(&shared), None);
    }

    #[test]
    fn scoped_callers_assign_only_their_departments() {
        let fin = r("d-fin", "Finance");
        let hr = r("d-hr", "HR");
        let scoped = caller(Role::Editor, Some(vec![fin.clone()]), Channel::Api, false);
        assert!(scoped.may_assign(std::slice::from_ref(&fin)).is_ok());
        assert!(
            scoped
                .may_assign(&[fin.clone(), hr.clone()])
                .unwrap_err()
                .reason
                .contains("HR")
        );
        assert!(scoped.may_assign(&[]).is_err());
        let global = caller(Role::Editor, None, Channel::Api, false);
        assert!(global.may_assign(&[]).is_ok());
    }
}

/// An API key's stored record: the principal and what is kept of the key (its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// The principal the key authenticates.
    pub principal: Principal,
    /// SHA-256 of the key, hex. The key itself is never stored.
    pub key_hash: String,
    /// When the key was created.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it was last used (recorded in batches, so it may lag a little).
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When it was revoked; a revoked key authenticates nobody.
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A new principal and the hash of its key, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPrincipal {
    /// Its id.
    pub id: PrincipalId,
    /// Display name; unique among keys that are not revoked.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Department scope; empty means global.
    pub department_ids: Vec<EntryId>,
    /// Whether MCP calls may publish, delete and export.
    pub allow_mcp_writes: bool,
    /// A short prefix of `key_hash`, indexed, to find the candidate rows.
    pub key_lookup: String,
    /// SHA-256 of the key, hex.
    pub key_hash: String,
    /// When it is created.
    pub at: chrono::DateTime<chrono::Utc>,
}

/// Checks a principal's display name: 1..=100 characters, no control characters, no
/// `:` (it would break `Authorization: Basic NAME:KEY`).
///
/// # Errors
/// When the name breaks one of those rules.
pub fn parse_principal_name(raw: &str) -> Result<String, Invalid> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > 100 {
        return Err(Invalid::one(
            "name",
            "a key's name must have 1 to 100 characters",
        ));
    }
    if t.contains(':') || t.chars().any(char::is_control) {
        return Err(Invalid::one(
            "name",
            "a key's name must not contain ':' or control characters",
        ));
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod key_tests {
    #[test]
    fn principal_names_fit_basic_auth() {
        assert_eq!(super::parse_principal_name(" ci-bot ").unwrap(), "ci-bot");
        assert!(super::parse_principal_name("a:b").is_err());
        assert!(super::parse_principal_name("").is_err());
        assert!(super::parse_principal_name(&"x".repeat(101)).is_err());
    }
}
