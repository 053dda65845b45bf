//! What is stored of an API key: its principal and the key's hash, never the key.

use crate::error::{Invalid, Rule};
use crate::ids::{EntryId, PrincipalId};

use super::{Principal, Role};

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
    if t.is_empty() || t.chars().count() > 100 || t.contains(':') || t.chars().any(char::is_control)
    {
        return Err(Invalid::one("name", Rule::KeyName));
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
