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
    /// A department-scoped key and an auth in a department outside its scope.
    OutsideDepartment {
        /// What was attempted.
        operation: Operation,
        /// The department, by label.
        department: String,
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
    SharedWith {
        /// The department, by label.
        department: String,
    },
    /// A department-scoped key changing a catalog entry that auths outside its scope
    /// use.
    EntryUsedOutside {
        /// The entry.
        entry: EntryId,
        /// How many auths outside the scope use it.
        auths: u64,
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
            Self::SharedWith { .. } => "shared_with",
            Self::EntryUsedOutside { .. } => "entry_used_outside",
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
            Self::OutsideDepartment {
                operation,
                department,
            } => write!(
                f,
                "you lack {} in department {department}",
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
            Self::SharedWith { department } => write!(
                f,
                "you lack auths.delete in department {department}: the auth is shared with it"
            ),
            Self::EntryUsedOutside { entry, auths } => write!(
                f,
                "{entry} is used by {auths} auth(s) outside your departments; ask an editor of theirs or an admin"
            ),
        }
    }
}
