//! Who is calling, and what they may do. Every permission decision of the product is
//! made here, by pure functions, so that both APIs apply the same rules; a refusal is
//! a [`Denial`], worded by each API.

mod denial;
mod entries;
mod key;
mod operation;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::catalog::{EntryRef, FLAG_DEPRECATED};
use crate::error::{Invalid, Rule};
use crate::ids::{EntryId, PrincipalId};

pub use denial::Denial;
pub use entries::{EntryRefusal, entry_visible};
pub use key::{KeyRecord, NewPrincipal, expired, parse_principal_name};
pub use operation::Operation;

/// A role; each includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
                Rule::UnknownRole { name: s.to_owned() },
            )),
        }
    }
}

/// Through which channel a call came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// A principal calling through a channel: the subject of every permission decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Who.
    pub principal: Principal,
    /// Through which channel.
    pub channel: Channel,
    /// The agent's name for an MCP call: the `clientInfo.name` of its MCP `initialize`
    /// request, or the `X-MCP` header's value for a call through the API, cleaned by
    /// [`client_name`]. `None` for other calls (server spec, "The MCP front door").
    pub client: Option<String>,
}

/// The longest client name kept, in characters; a longer one is cut there.
pub const MAX_CLIENT_CHARS: usize = 100;

/// A client name as it is kept and audited: control, bidirectional and invisible
/// characters (those a key's name may not hold) read as spaces, runs of spaces as one,
/// no space at either end, at most [`MAX_CLIENT_CHARS`] characters. Any text is
/// accepted (an empty name stays empty: the call is still an MCP call).
pub fn client_name(raw: &str) -> String {
    let spaced: String = raw
        .chars()
        .map(|c| {
            if c.is_control() || key::deceptive(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    spaced
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_CLIENT_CHARS)
        .collect()
}

impl Caller {
    /// Whether the caller's role and channel allow `op` at all (department scope is a
    /// separate question, see [`Caller::can_see`] and [`Caller::change_denial`]).
    ///
    /// # Errors
    /// [`Denial::Role`] or [`Denial::McpWrites`].
    pub fn may(&self, op: Operation) -> Result<(), Denial> {
        let need = op.required_role();
        if self.principal.role < need {
            return Err(Denial::Role {
                operation: op,
                need,
                have: self.principal.role,
            });
        }
        if self.channel == Channel::Mcp && op.needs_mcp_writes() && !self.principal.allow_mcp_writes
        {
            return Err(Denial::McpWrites { operation: op });
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

    /// Whether the department `id` is within the caller's scope.
    fn in_scope(&self, id: &EntryId) -> bool {
        self.is_global()
            || self
                .principal
                .departments
                .as_ref()
                .is_some_and(|mine| mine.iter().any(|d| &d.id == id))
    }

    /// Whether an auth owned by `departments` is visible to the caller: global callers
    /// see everything; scoped ones see auths with at least one of their departments
    /// (an auth with no department is visible to global callers only).
    pub fn can_see(&self, departments: &[EntryId]) -> bool {
        self.is_global() || departments.iter().any(|d| self.in_scope(d))
    }

    /// Why the caller may not change an auth owned by `departments`, as far as
    /// department scope goes (a scoped caller needs one of the auth's departments).
    pub fn scope_denial(&self, departments: &[EntryRef]) -> Option<Denial> {
        if self.is_global() || departments.iter().any(|d| self.in_scope(&d.id)) {
            return None;
        }
        Some(if departments.is_empty() {
            Denial::NoDepartment
        } else {
            Denial::OutsideDepartment {
                operation: Operation::Update,
            }
        })
    }

    /// Why the caller may not edit an auth with this flag and these departments, or
    /// `None` when they may: role, department scope and lifecycle, in that order. What
    /// `can_edit` and `disabled_reason` show.
    pub fn edit_denial(&self, flag: &EntryRef, departments: &[EntryRef]) -> Option<Denial> {
        self.may(Operation::Update)
            .err()
            .or_else(|| self.change_denial(flag, departments, None))
    }

    /// Why a caller who may update at all (see [`Caller::may`]) may not apply an update
    /// that sets the flag to `new_flag` (`None`: leaves it) on an auth with this flag
    /// and these departments: department scope, then lifecycle. A deprecated auth is
    /// read-only, except for an update that gives it another flag.
    pub fn change_denial(
        &self,
        flag: &EntryRef,
        departments: &[EntryRef],
        new_flag: Option<&EntryId>,
    ) -> Option<Denial> {
        if let Some(denial) = self.scope_denial(departments) {
            return Some(denial);
        }
        let undeprecates = new_flag.is_some_and(|f| f.as_str() != FLAG_DEPRECATED);
        if flag.id.as_str() == FLAG_DEPRECATED && !undeprecates {
            return Some(Denial::Deprecated);
        }
        None
    }

    /// Whether the caller may change an auth's departments from `before` to `after`: a
    /// scoped caller may add or remove only departments of their own (the others an
    /// auth shares stay as they are), and must leave the auth at least one of theirs.
    ///
    /// # Errors
    /// [`Denial::OutsideDepartment`] when a department out of scope would change;
    /// [`Denial::KeepOneDepartment`].
    pub fn may_change_departments(
        &self,
        before: &[EntryRef],
        after: &[EntryRef],
    ) -> Result<(), Denial> {
        if self.is_global() {
            return Ok(());
        }
        let changed = before
            .iter()
            .filter(|b| !after.iter().any(|a| a.id == b.id))
            .chain(
                after
                    .iter()
                    .filter(|a| !before.iter().any(|b| b.id == a.id)),
            );
        if changed.into_iter().any(|d| !self.in_scope(&d.id)) {
            return Err(Denial::OutsideDepartment {
                operation: Operation::Update,
            });
        }
        if !after.iter().any(|d| self.in_scope(&d.id)) {
            return Err(Denial::KeepOneDepartment);
        }
        Ok(())
    }

    /// Why the caller may not delete an auth owned by `departments`: a scoped caller
    /// needs every one of them (deleting takes it from all its departments).
    pub fn delete_denial(&self, departments: &[EntryRef]) -> Option<Denial> {
        if self.is_global() {
            return None;
        }
        if departments.is_empty() {
            return self.scope_denial(departments);
        }
        departments
            .iter()
            .any(|d| !self.in_scope(&d.id))
            .then_some(Denial::SharedWith)
    }

    /// Whether a scoped caller may give an auth these departments: every one of them
    /// must be in scope, and a scoped caller cannot leave an auth without department
    /// (it would vanish from their own view).
    ///
    /// # Errors
    /// [`Denial::GiveOneDepartment`]; [`Denial::OutsideDepartment`] for a department out
    /// of scope.
    pub fn may_assign(&self, departments: &[EntryRef]) -> Result<(), Denial> {
        if self.is_global() {
            return Ok(());
        }
        if departments.is_empty() {
            return Err(Denial::GiveOneDepartment);
        }
        if departments.iter().any(|d| !self.in_scope(&d.id)) {
            return Err(Denial::OutsideDepartment {
                operation: Operation::Update,
            });
        }
        Ok(())
    }
}
