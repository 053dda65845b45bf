//! What is stored of an API key: its principal and the key's hash, never the key.

use crate::error::{Invalid, Rule};
use crate::ids::{EntryId, PrincipalId};

use super::{Principal, Role};

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

/// Characters a name may not hold although they are not control characters, so that a
/// name cannot look like another (`bootstrap-admin` and `bootstrap-admin` with a soft
/// hyphen): Unicode's default-ignorable code points (invisible: bidirectional controls,
/// zero-width characters, variation selectors, tags, fillers), the other format
/// characters of its `Cf` category, and every space but the ASCII one. Look-alike
/// letters of other scripts are not refused.
pub(super) fn deceptive(c: char) -> bool {
    (c.is_whitespace() && c != ' ')
        || matches!(
            c,
            '\u{00A0}'
                | '\u{00AD}'
                | '\u{034F}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061C}'
                | '\u{06DD}'
                | '\u{070F}'
                | '\u{08E2}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{2000}'..='\u{200F}'
                | '\u{2028}'..='\u{202F}'
                | '\u{205F}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3000}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFFB}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Checks a principal's display name: 1..=100 characters, no control, bidirectional or
/// invisible characters, no `:` (it would break `Authorization: Basic NAME:KEY`).
///
/// # Errors
/// When the name breaks one of those rules.
pub fn parse_principal_name(raw: &str) -> Result<String, Invalid> {
    let t = raw.trim();
    if t.is_empty()
        || t.chars().count() > 100
        || t.contains(':')
        || t.chars().any(|c| c.is_control() || deceptive(c))
    {
        return Err(Invalid::one("name", Rule::KeyName));
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod key_tests {
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
        assert!(
            super::parse_principal_name("\u{202e}nimda").is_err(),
            "bidi override"
        );
        assert!(
            super::parse_principal_name("ad\u{200b}min").is_err(),
            "zero-width"
        );
        assert!(super::parse_principal_name("Zoë Müller").is_ok());
        for sneaky in [
            '\u{00AD}',
            '\u{034F}',
            '\u{180E}',
            '\u{3164}',
            '\u{FE0F}',
            '\u{E0041}',
            '\u{00A0}',
            '\u{2028}',
            '\u{1D173}',
        ] {
            let name = format!("bootstrap-admin{sneaky}x");
            assert!(
                super::parse_principal_name(&name).is_err(),
                "{:X}",
                u32::from(sneaky)
            );
        }
        assert!(super::parse_principal_name("").is_err());
        assert!(super::parse_principal_name(&"x".repeat(101)).is_err());
    }
}
