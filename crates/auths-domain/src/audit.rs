//! The audit log: one record for every write, kept in the same transaction.

use chrono::{DateTime, Utc};

use crate::ids::{AuthId, EntryId, PrincipalId};
use crate::principal::Channel;

/// An audit record as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Its number, increasing with time.
    pub id: i64,
    /// When the write happened.
    pub at: DateTime<Utc>,
    /// Who wrote.
    pub actor_id: PrincipalId,
    /// Their display name at the time.
    pub actor_name: String,
    /// Through which channel.
    pub channel: Channel,
    /// The MCP client's name ([`crate::Caller::client`]); `None` for other calls.
    pub client: Option<String>,
    /// What was done (`auth.create`, `auth.update`, `key.create`, ...).
    pub operation: String,
    /// The auth concerned, if any.
    pub auth_id: Option<AuthId>,
    /// The state before, as JSON text (secret values masked), if any.
    pub before: Option<String>,
    /// The state after, as JSON text (secret values masked), if any.
    pub after: Option<String>,
}

/// A record to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditRecord {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor_id: PrincipalId,
    /// Their display name.
    pub actor_name: String,
    /// Channel.
    pub channel: Channel,
    /// The MCP client's name, if any.
    pub client: Option<String>,
    /// Operation.
    pub operation: String,
    /// The auth concerned.
    pub auth_id: Option<AuthId>,
    /// The departments of the auth before and after (for department-scoped reading).
    pub department_ids: Vec<EntryId>,
    /// State before (JSON text, secrets masked).
    pub before: Option<String>,
    /// State after (JSON text, secrets masked).
    pub after: Option<String>,
}

/// The operations of key management: their records are for admins (server spec, "One
/// scope rule for every object"), since they show every key's role, scope and MCP
/// setting.
pub const KEY_OPERATIONS: [&str; 2] = ["key.create", "key.revoke"];

/// Which records to list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditFilter {
    /// Only this auth's records.
    pub auth_id: Option<AuthId>,
    /// Only records of auths in one of these departments (`None`: all records).
    pub departments: Option<Vec<EntryId>>,
    /// Whether records of [`KEY_OPERATIONS`] are listed.
    pub key_management: bool,
}
