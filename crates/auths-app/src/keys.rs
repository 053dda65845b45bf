//! API keys: issuing, authenticating, listing, revoking, and the bootstrap key.
//!
//! A key is 256 random bits, shown once as `auths_<64 hex digits>`. The database keeps
//! only its SHA-256 (a fast hash is right for a random key of this size: there is
//! nothing to brute-force; a slow password hash would only make every request slow).
//! A short prefix of the hash finds the candidate rows; the full hash is then compared
//! in constant time. Verified keys are cached for [`CACHE_TTL`] so that a request costs
//! no database read; revoking through this process empties the cache at once, and a
//! revocation made by another process (the CLI, another instance on the same database)
//! empties it within [`REVOCATION_CHECK`]: at most that often, one request reads how
//! many keys were ever revoked (`count_revoked_keys`) and forgets every verification
//! when the number moved (server spec, "Keys over HTTP, and revocation": within one
//! second).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use auths_domain::audit::KEY_OPERATIONS;
use auths_domain::prelude::*;
use auths_domain::principal::parse_principal_name;
use auths_domain::{
    Caller, CatalogKind, Constraint, EntryId, EntryKey, FieldProblem, KeyRecord, NewPrincipal,
    Operation, Page, PageRequest, Principal, PrincipalId, Role, Rule, Store,
};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{Conflict, Missing};
use crate::{AppError, AuthService, clock};

/// How long a verified key stays trusted without a database read.
pub const CACHE_TTL: Duration = Duration::from_secs(30);
/// How often the cache asks the database whether a key was revoked elsewhere.
pub const REVOCATION_CHECK: Duration = Duration::from_millis(500);
/// Most keys the cache holds; past that it starts over (keys are few in practice).
const CACHE_MAX: usize = 10_000;
/// Shortest bootstrap key accepted from the environment.
pub const MIN_BOOTSTRAP_KEY_CHARS: usize = 24;
/// Longest key that can authenticate (a longer credential is refused unread).
pub const MAX_KEY_CHARS: usize = 512;
/// Least strength of a bootstrap key chosen by an operator, in bits, as
/// [`strength_bits`] estimates it. zxcvbn counts guesses up to 2^64, so a random or
/// long, varied key scores 60 to 64; sequences, keyboard walks, repeats and common
/// words score far lower (`abcdefghijklmnopqrstuvwx` 7, `qwertyuiopasdfghjklzxcvb` 28,
/// `Password1234567890123456` 27).
pub const MIN_BOOTSTRAP_KEY_BITS: u32 = 60;

/// How many guesses a key chosen by a person would take, as log2, by zxcvbn (Dropbox's
/// estimator: dictionaries, sequences, keyboard patterns, repeats, dates).
pub fn strength_bits(key: &str) -> f64 {
    zxcvbn::zxcvbn(key, &[]).guesses_log10() / std::f64::consts::LOG10_2
}

fn check_bootstrap_key(k: &str) -> Result<(), AppError> {
    let field = "AUTHS_BOOTSTRAP_API_KEY";
    let len = k.chars().count();
    if len < MIN_BOOTSTRAP_KEY_CHARS {
        return Err(AppError::invalid(
            field,
            Rule::BootstrapKeyTooShort {
                min: MIN_BOOTSTRAP_KEY_CHARS,
            },
        ));
    }
    if k.len() > MAX_KEY_CHARS {
        return Err(AppError::invalid(
            field,
            Rule::TooLong {
                what: "the bootstrap key".to_owned(),
                len,
                max: MAX_KEY_CHARS,
            },
        ));
    }
    if strength_bits(k) < f64::from(MIN_BOOTSTRAP_KEY_BITS) {
        return Err(AppError::invalid(
            field,
            Rule::BootstrapKeyWeak {
                min_bits: MIN_BOOTSTRAP_KEY_BITS,
            },
        ));
    }
    Ok(())
}
/// The name given to the bootstrap key.
pub const BOOTSTRAP_KEY_NAME: &str = "bootstrap-admin";

/// A credential as the HTTP layer extracted it.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The key.
    pub key: String,
    /// With `Authorization: Basic NAME:KEY`, the name, which must be the key's.
    pub name: Option<String>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("Credential")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A freshly issued key: shown once, then only its hash exists.
#[derive(Clone)]
pub struct IssuedKey {
    /// The key itself.
    pub key: String,
    /// Its principal.
    pub principal: Principal,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops authenticating, if ever.
    pub expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedKey")
            .field("principal", &self.principal)
            .finish_non_exhaustive()
    }
}

/// What a new key should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Department ids (empty: global).
    pub department_ids: Vec<EntryId>,
    /// Whether MCP calls may publish, delete and export.
    pub allow_mcp_writes: bool,
    /// When the key stops authenticating (`None`: never). Must be in the future.
    pub expires_at: Option<DateTime<Utc>>,
}

fn hash_key(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn lookup_of(hash: &str) -> &str {
    &hash[..16]
}

fn generate_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("auths_{hex}")
}

/// A key's principal as the audit log shows it (never the key or its hash).
fn key_json(p: &Principal) -> serde_json::Value {
    serde_json::json!({
        "principal_id": p.id.as_str(),
        "name": p.name,
        "role": p.role.as_str(),
        "departments": p.departments.as_ref().map(|ds| ds.iter().map(|d| d.id.as_str()).collect::<Vec<_>>()),
        "allow_mcp_writes": p.allow_mcp_writes,
    })
}

/// A verified key as cached: its principal, when it was verified, when it expires.
type Verified = (Principal, Instant, Option<DateTime<Utc>>);

/// Verified keys and pending `last_used_at` updates.
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    /// The verifications, and the epoch: how many times they were forgotten. A key read
    /// from the database before a revocation must not be cached after it, so a
    /// verification is kept only if no forgetting happened since its read began.
    verified: Mutex<(u64, HashMap<String, Verified>)>,
    used: Mutex<HashMap<PrincipalId, DateTime<Utc>>>,
    /// The revocation count last read, and when.
    revocations: Mutex<Option<(u64, Instant)>>,
}

impl KeyCache {
    /// Whether the revocation count is due to be read again.
    fn check_due(&self) -> bool {
        self.revocations.lock().map_or(true, |r| {
            r.is_none_or(|(_, at)| at.elapsed() >= REVOCATION_CHECK)
        })
    }

    /// Notes the revocation count just read; forgets every verification when it moved.
    fn revocations_are(&self, count: u64) {
        let Ok(mut r) = self.revocations.lock() else {
            return;
        };
        if r.is_some_and(|(seen, _)| seen != count) {
            self.clear();
        }
        *r = Some((count, Instant::now()));
    }

    /// The epoch now: pass it to [`KeyCache::put`] with what a read begun now found.
    fn epoch(&self) -> u64 {
        self.verified.lock().map_or(0, |v| v.0)
    }

    fn get(&self, hash: &str) -> Option<Principal> {
        let v = self.verified.lock().ok()?;
        v.1.get(hash)
            .filter(|(_, at, expires_at)| {
                at.elapsed() < CACHE_TTL
                    && !auths_domain::principal::expired(*expires_at, clock::now())
            })
            .map(|(p, _, _)| p.clone())
    }

    fn put(
        &self,
        epoch: u64,
        hash: String,
        principal: Principal,
        expires_at: Option<DateTime<Utc>>,
    ) {
        if let Ok(mut v) = self.verified.lock() {
            if v.0 != epoch {
                // Forgotten since the read began: the read may predate a revocation.
                return;
            }
            if v.1.len() >= CACHE_MAX {
                v.1.clear();
            }
            v.1.insert(hash, (principal, Instant::now(), expires_at));
        }
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut v) = self.verified.lock() {
            v.0 = v.0.wrapping_add(1);
            v.1.clear();
        }
    }

    fn note_use(&self, id: &PrincipalId, at: DateTime<Utc>) {
        if let Ok(mut used) = self.used.lock() {
            used.insert(id.clone(), at);
        }
    }

    fn take_uses(&self) -> Vec<(PrincipalId, DateTime<Utc>)> {
        self.used
            .lock()
            .map(|mut u| u.drain().collect())
            .unwrap_or_default()
    }
}

fn unauthenticated() -> AppError {
    AppError::Unauthenticated
}

impl<S: Store> AuthService<S> {
    /// The principal a credential authenticates. Unknown, revoked and malformed
    /// credentials, and a Basic name that is not the key's, all get the same error.
    ///
    /// # Errors
    /// `Unauthenticated`, or `Unavailable` when the database cannot be asked.
    pub fn authenticate(&self, credential: &Credential) -> Result<Principal, AppError> {
        if self.keys.check_due() {
            let revoked = self.store.read(|tx| tx.count_revoked_keys())?;
            self.keys.revocations_are(revoked);
        }
        if let Some(answer) = self.authenticate_cached(credential) {
            return answer;
        }
        let key = credential.key.trim();
        let hash = hash_key(key);
        let principal = match self.keys.get(&hash) {
            Some(p) => p,
            None => {
                let epoch = self.keys.epoch();
                let candidates = self
                    .store
                    .read(|tx| tx.active_keys_by_lookup(lookup_of(&hash)))?;
                let now = clock::now();
                let found = candidates
                    .into_iter()
                    .find(|k| bool::from(k.key_hash.as_bytes().ct_eq(hash.as_bytes())))
                    .filter(|k| k.is_active(now))
                    .ok_or_else(unauthenticated)?;
                self.keys
                    .put(epoch, hash, found.principal.clone(), found.expires_at);
                found.principal
            }
        };
        if let Some(name) = &credential.name
            && name != &principal.name
        {
            return Err(unauthenticated());
        }
        self.keys.note_use(&principal.id, clock::now());
        Ok(principal)
    }

    /// The answer for `credential` when it needs no database: a malformed key, or one
    /// verified recently (cached). `None` means "ask [`AuthService::authenticate`]". It
    /// does not block, so a web server can call it on its async threads.
    pub fn authenticate_cached(
        &self,
        credential: &Credential,
    ) -> Option<Result<Principal, AppError>> {
        let key = credential.key.trim();
        if key.is_empty() || key.len() > MAX_KEY_CHARS {
            return Some(Err(unauthenticated()));
        }
        if self.keys.check_due() {
            // Time to ask whether a key was revoked elsewhere: a database read, which
            // is `authenticate`'s to make.
            return None;
        }
        let principal = self.keys.get(&hash_key(key))?;
        if credential
            .name
            .as_ref()
            .is_some_and(|n| n != &principal.name)
        {
            return Some(Err(unauthenticated()));
        }
        self.keys.note_use(&principal.id, clock::now());
        Some(Ok(principal))
    }

    /// Writes the pending `last_used_at` times (called now and then by the server, and
    /// at shutdown). Answers how many keys were updated.
    ///
    /// # Errors
    /// Storage errors; the pending times are then dropped (they are advisory).
    pub fn flush_key_use(&self) -> Result<usize, AppError> {
        let uses = self.keys.take_uses();
        if uses.is_empty() {
            return Ok(0);
        }
        // Bookkeeping no answer depends on: cached answers stay valid.
        self.store.write_untracked(|tx| tx.record_key_use(&uses))?;
        Ok(uses.len())
    }

    /// Issues a new key (the CLI's `keys create`, audited as the system).
    ///
    /// # Errors
    /// `Invalid` for a bad name, an unknown department or an `expires_at` not in the
    /// future; `Conflict` when an active key has the name.
    pub fn create_key(&self, spec: &KeySpec) -> Result<IssuedKey, AppError> {
        self.issue_key(&crate::audit::system_caller(), spec, generate_key())
    }

    /// Issues a new key for `caller` (`POST /api/v5/keys`), audited under its name.
    ///
    /// # Errors
    /// `Forbidden` unless the caller may manage keys (admins; an MCP call needs MCP
    /// writes); else as [`AuthService::create_key`].
    pub fn create_key_as(&self, caller: &Caller, spec: &KeySpec) -> Result<IssuedKey, AppError> {
        caller.may(Operation::ManageKeys)?;
        self.issue_key(caller, spec, generate_key())
    }

    /// One page of the keys, by name, for `caller` (`GET /api/v5/keys`).
    ///
    /// # Errors
    /// `Forbidden` unless the caller may manage keys; storage errors.
    pub fn list_keys_as(
        &self,
        caller: &Caller,
        page: PageRequest,
    ) -> Result<Page<KeyRecord>, AppError> {
        caller.may(Operation::ManageKeys)?;
        self.store
            .read(|tx| tx.keys_page(page))
            .map_err(AppError::from)
    }

    /// Revokes the active key named `name` for `caller` (`DELETE /api/v5/keys/{name}`),
    /// audited under its name; refused at once by this process.
    ///
    /// # Errors
    /// `Forbidden` unless the caller may manage keys; `NotFound` when no active key has
    /// that name.
    pub fn revoke_key_as(&self, caller: &Caller, name: &str) -> Result<(), AppError> {
        caller.may(Operation::ManageKeys)?;
        self.revoke(caller, name)
    }

    fn issue_key(
        &self,
        caller: &Caller,
        spec: &KeySpec,
        key: String,
    ) -> Result<IssuedKey, AppError> {
        // Every problem at once, as the API's answers and the CLI's message list them.
        let mut problems = Vec::new();
        let name = parse_principal_name(&spec.name)
            .map_err(|e| problems.extend(e.problems))
            .unwrap_or_default();
        let at = clock::now();
        if spec.expires_at.is_some_and(|e| e <= at) {
            problems.push(FieldProblem::new("expires_at", Rule::ExpiryPast));
        }
        let max = auths_domain::auth::MAX_SECTION_ENTRIES;
        let too_many = spec.department_ids.len() > max;
        if too_many {
            problems.push(FieldProblem::new(
                "department_ids",
                Rule::TooMany {
                    len: spec.department_ids.len(),
                    max,
                },
            ));
        }
        let hash = hash_key(&key);
        let mut seen = std::collections::HashSet::new();
        if let Some(id) = spec.department_ids.iter().find(|id| !seen.insert(*id)) {
            problems.push(FieldProblem::new(
                "department",
                Rule::Repeated { id: id.clone() },
            ));
        }
        let principal = self.store.write(|tx| {
            // Past the bound the ids are not looked up (one problem, not one an id).
            let found = if too_many {
                Vec::new()
            } else {
                tx.entries_by_ids(CatalogKind::Departments, &spec.department_ids)?
            };
            let mut departments = Vec::new();
            for id in spec.department_ids.iter().filter(|_| !too_many) {
                match found.iter().find(|e| &e.id == id) {
                    Some(e) => departments.push(e.to_ref()),
                    None => problems.push(FieldProblem::new(
                        "department",
                        Rule::UnknownEntry {
                            kind: CatalogKind::Departments,
                            key: EntryKey::Id(id.clone()),
                        },
                    )),
                }
            }
            if !problems.is_empty() {
                return Err(AppError::Invalid(std::mem::take(&mut problems)));
            }
            let new = NewPrincipal {
                id: PrincipalId::parse(&clock::new_id())?,
                name: name.clone(),
                role: spec.role,
                department_ids: spec.department_ids.clone(),
                allow_mcp_writes: spec.allow_mcp_writes,
                key_lookup: lookup_of(&hash).to_owned(),
                key_hash: hash.clone(),
                at,
                expires_at: spec.expires_at,
            };
            tx.insert_principal(&new).map_err(|e| match e {
                auths_domain::RepoError::Conflict(Constraint::PrincipalName) => {
                    Conflict::KeyName { name: name.clone() }.into()
                }
                other => AppError::from(other),
            })?;
            let principal = Principal {
                id: new.id,
                name: new.name,
                role: new.role,
                departments: (!departments.is_empty()).then_some(departments),
                allow_mcp_writes: new.allow_mcp_writes,
            };
            let mut after = key_json(&principal);
            after["expires_at"] = serde_json::json!(spec.expires_at.map(|e| e.to_rfc3339()));
            crate::audit::record_other(tx, caller, KEY_OPERATIONS[0], &after)?;
            Ok(principal)
        })?;
        Ok(IssuedKey {
            key,
            principal,
            created_at: at,
            expires_at: spec.expires_at,
        })
    }

    /// Every key, revoked ones included (never the keys themselves).
    ///
    /// # Errors
    /// Storage errors.
    pub fn list_keys(&self) -> Result<Vec<KeyRecord>, AppError> {
        self.store.read(|tx| tx.list_keys()).map_err(AppError::from)
    }

    /// Revokes the active key named `name`, and forgets every cached verification.
    ///
    /// # Errors
    /// `NotFound` when no active key has that name.
    pub fn revoke_key(&self, name: &str) -> Result<(), AppError> {
        self.revoke(&crate::audit::system_caller(), name)
    }

    fn revoke(&self, caller: &Caller, name: &str) -> Result<(), AppError> {
        let revoked = self.store.write(|tx| {
            let revoked = tx.revoke_key(name, clock::now())?;
            if revoked {
                let after = serde_json::json!({"name": name, "revoked": true});
                crate::audit::record_other(tx, caller, KEY_OPERATIONS[1], &after)?;
            }
            Ok::<_, AppError>(revoked)
        })?;
        self.keys.clear();
        if revoked {
            Ok(())
        } else {
            Err(Missing::Key(name.to_owned()).into())
        }
    }

    /// Makes sure someone can log in: when no key exists at all, creates an admin key,
    /// with `configured` as its value when given, else a generated one, which is
    /// answered so that the caller can show it once. Answers `None` when keys exist.
    ///
    /// The configured key is checked only when it is about to be used: a value left in
    /// the environment after the first start is never read again.
    ///
    /// # Errors
    /// `Invalid` when the configured key has fewer than [`MIN_BOOTSTRAP_KEY_CHARS`] or
    /// more than [`MAX_KEY_CHARS`] characters, or is guessable: under
    /// [`MIN_BOOTSTRAP_KEY_BITS`] by [`strength_bits`].
    pub fn bootstrap(&self, configured: Option<&str>) -> Result<Option<IssuedKey>, AppError> {
        // "When no key exists yet": revoked keys count, so that revoking every key
        // never mints a new admin key at the next start.
        if !self.store.read(|tx| tx.list_keys())?.is_empty() {
            return Ok(None);
        }
        if let Some(k) = configured {
            check_bootstrap_key(k.trim())?;
        }
        let spec = KeySpec {
            name: BOOTSTRAP_KEY_NAME.to_owned(),
            role: Role::Admin,
            department_ids: Vec::new(),
            allow_mcp_writes: false,
            expires_at: None,
        };
        let key = configured.map_or_else(generate_key, |k| k.trim().to_owned());
        match self.issue_key(&crate::audit::system_caller(), &spec, key) {
            Ok(issued) => Ok(Some(issued)),
            // Another instance starting at the same moment made it first.
            Err(AppError::Conflict(
                Conflict::KeyName { .. } | Conflict::Constraint(Constraint::KeyHash),
            )) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verification_read_before_a_forgetting_is_not_kept() {
        let cache = KeyCache::default();
        let principal = crate::audit::system_caller().principal;
        let before = cache.epoch();
        // Another thread saw a revocation and forgot every verification meanwhile.
        cache.clear();
        cache.put(before, "h".into(), principal.clone(), None);
        assert!(cache.get("h").is_none(), "a read older than the revocation");
        cache.put(cache.epoch(), "h".into(), principal, None);
        assert!(cache.get("h").is_some());
    }

    #[test]
    fn keys_are_long_random_and_hashed() {
        let a = generate_key();
        let b = generate_key();
        assert_ne!(a, b);
        assert_eq!(a.len(), "auths_".len() + 64);
        let h = hash_key(&a);
        assert_eq!(h.len(), 64);
        assert!(!h.contains(&a[6..]));
        assert_eq!(lookup_of(&h).len(), 16);
        assert_eq!(hash_key(&a), h);
    }
}
