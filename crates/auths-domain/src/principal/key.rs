//! What is stored of an API key: its principal and the key's hash, never the key.

use crate::error::{Invalid, Rule};
use crate::ids::{EntryId, PrincipalId};

use super::{Principal, Role};

/// Least estimated entropy of a bootstrap key given by an operator, in bits (see
/// [`estimated_bits`]). A generated key has 256.
pub const MIN_BOOTSTRAP_KEY_BITS: u32 = 96;

/// An estimate of the entropy of a key chosen by a person, in bits: its length times
/// the Shannon entropy of the frequencies of its characters. It is 0 for one character
/// repeated and low for a short pattern repeated; it cannot see dictionary words, so
/// it is a floor against the obviously predictable, not a measure of strength.
pub fn estimated_bits(key: &str) -> f64 {
    let mut counts = std::collections::BTreeMap::<char, u32>::new();
    for c in key.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let n: u32 = counts.values().sum();
    let n = f64::from(n);
    let per_char: f64 = counts
        .values()
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum();
    per_char * n
}

/// An API key's stored record: the principal and what is kept of the key (its hash).
/// `Debug` shows neither the hash nor its lookup prefix.
#[derive(Clone, PartialEq, Eq)]
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
    /// When it stops authenticating, if ever (server spec, "Keys over HTTP, and
    /// revocation": a key past `expires_at` is refused like a revoked one).
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl KeyRecord {
    /// Whether the key authenticates at `now`: neither revoked nor expired.
    pub fn is_active(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.revoked_at.is_none() && !expired(self.expires_at, now)
    }
}

/// Whether a key with this `expires_at` is expired at `now` (expiry is exclusive: a
/// key expiring at 12:00:00 is refused from 12:00:00 on).
pub fn expired(
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    expires_at.is_some_and(|e| e <= now)
}

impl std::fmt::Debug for KeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRecord")
            .field("principal", &self.principal)
            .field("key_hash", &"[redacted]")
            .field("created_at", &self.created_at)
            .field("last_used_at", &self.last_used_at)
            .field("revoked_at", &self.revoked_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A new principal and the hash of its key, ready to be stored. `Debug` shows neither
/// the hash nor its lookup prefix.
#[derive(Clone, PartialEq, Eq)]
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
    /// When it stops authenticating, if ever.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl std::fmt::Debug for NewPrincipal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewPrincipal")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("department_ids", &self.department_ids)
            .field("allow_mcp_writes", &self.allow_mcp_writes)
            .field("key_lookup", &"[redacted]")
            .field("key_hash", &"[redacted]")
            .field("at", &self.at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
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
    fn predictable_keys_score_low() {
        use super::{MIN_BOOTSTRAP_KEY_BITS, estimated_bits};
        let min = f64::from(MIN_BOOTSTRAP_KEY_BITS);
        assert!(estimated_bits(&"a".repeat(24)) < 1.0);
        assert!(estimated_bits(&"abc".repeat(8)) < min);
        assert!(estimated_bits(&"ab12".repeat(10)) < min);
        assert!(
            estimated_bits("Zq8vN2kLmR4tW9xYpB3sH6jD") >= min,
            "24 random"
        );
        assert!(
            estimated_bits("0123456789abcdef") < min,
            "16 distinct, once each"
        );
        let hex64 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert!(estimated_bits(hex64) >= min, "openssl rand -hex 32");
    }

    #[test]
    fn key_hashes_stay_out_of_debug() {
        let p = super::NewPrincipal {
            id: crate::ids::PrincipalId::parse("p1").unwrap_or_else(|_| unreachable!()),
            name: "n".into(),
            role: super::Role::Admin,
            department_ids: Vec::new(),
            allow_mcp_writes: false,
            key_lookup: "deadbeefdeadbeef".into(),
            key_hash: "deadbeefdeadbeefcafe".into(),
            at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
            expires_at: None,
        };
        assert!(!format!("{p:?}").contains("deadbeef"));
    }

    #[test]
    fn expiry_is_exclusive() {
        use chrono::{Duration, TimeZone, Utc};
        let noon = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        assert!(!super::expired(None, noon));
        assert!(!super::expired(Some(noon), noon - Duration::seconds(1)));
        assert!(super::expired(Some(noon), noon));
        assert!(super::expired(Some(noon), noon + Duration::seconds(1)));
    }

    #[test]
    fn principal_names_fit_basic_auth() {
        assert_eq!(super::parse_principal_name(" ci-bot ").unwrap(), "ci-bot");
        assert!(super::parse_principal_name("a:b").is_err());
        assert!(super::parse_principal_name("").is_err());
        assert!(super::parse_principal_name(&"x".repeat(101)).is_err());
    }
}
