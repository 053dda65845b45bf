//! Why a call was refused, as a type: each API words it (the v5 API with `Display`, the
//! Foreman-compatible API with its own "Access denied" body), and nothing reads the
//! sentence back.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Operation, Role};
use crate::ids::EntryId;

/// Why the caller may not do something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Denial {
    /// The key's role is below the one the operation needs.
    Role {
        /// The operation.
        operation: Operation,
        /// The role it needs.
        need: Role,
        /// The key's role.
        have: Role,
    },
    /// An MCP call of an operation that needs a key allowing MCP writes.
    McpWrites {
        /// The operation.
        operation: Operation,
    },
    /// A department-scoped key, and a change to a department of the auth outside its
    /// scope (a refusal names no department of another scope).
    OutsideDepartment {
        /// What was attempted.
        operation: Operation,
    },
    /// A department-scoped key and an auth with no department.
    NoDepartment,
    /// A deprecated auth is read-only, but for its flag.
    Deprecated,
    /// A department-scoped key must leave an auth one of its departments.
    KeepOneDepartment,
    /// A department-scoped key must give an auth one of its departments.
    GiveOneDepartment,
    /// A department-scoped key deleting an auth shared with a department outside its
    /// scope.
    SharedWith,
    /// A department-scoped key linking or changing a catalog entry that auths outside
    /// its scope use (how many, or whose, is not said).
    EntryUsedOutside {
        /// The entry.
        entry: EntryId,
    },
    /// An operation for keys not limited to departments (creating a department).
    GlobalOnly {
        /// The operation.
        operation: Operation,
    },
}

impl Denial {
    /// A stable code for the reason (`role`, `mcp_writes`, ...).
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Role { .. } => "role",
            Self::McpWrites { .. } => "mcp_writes",
            Self::OutsideDepartment { .. } => "outside_department",
            Self::NoDepartment => "no_department",
            Self::Deprecated => "deprecated",
            Self::KeepOneDepartment => "keep_one_department",
            Self::GiveOneDepartment => "give_one_department",
            Self::SharedWith => "shared_with",
            Self::EntryUsedOutside { .. } => "entry_used_outside",
            Self::GlobalOnly { .. } => "global_only",
        }
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Role {
                operation,
                need,
                have,
            } => write!(
                f,
                "you lack {}: the {need} role is needed, and your key has the {have} role",
                operation.permission()
            ),
            Self::McpWrites { operation } => write!(
                f,
                "{} is not allowed to MCP clients: the key does not allow MCP writes",
                operation.permission()
            ),
            Self::OutsideDepartment { operation } => write!(
                f,
                "you lack {} in a department of this auth that your key is not limited to",
                operation.permission()
            ),
            Self::NoDepartment => f.write_str(
                "you lack auths.edit: the auth has no department and your key is limited to departments",
            ),
            Self::Deprecated => f.write_str("auth is deprecated"),
            Self::KeepOneDepartment => f.write_str(
                "your key is limited to departments: leave the auth at least one of them",
            ),
            Self::GiveOneDepartment => f.write_str(
                "your key is limited to departments: give the auth at least one of them",
            ),
            Self::SharedWith => f.write_str(
                "you lack auths.delete: the auth is shared with a department your key is not limited to",
            ),
            Self::EntryUsedOutside { entry } => write!(
                f,
                "{entry} is used by auths outside your departments; ask an admin"
            ),
            Self::GlobalOnly { operation } => write!(
                f,
                "{} of a department needs a key that is not limited to departments",
                operation.permission()
            ),
        }
    }
}
