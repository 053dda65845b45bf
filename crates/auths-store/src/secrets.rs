//! Secret item values at rest (server spec, "Secrets at rest"): sealed with AES-256-GCM
//! (RustCrypto's `aes-gcm`), a fresh random 96-bit nonce a value, the entry's id as
//! associated data (so that a sealed value moved to another row does not open), under
//! a key read from a key file.
//!
//! A sealed value is stored as `KEY_ID:BASE64(nonce || ciphertext || tag)` in
//! `catalog_entries.sealed_value`; `item_value` of a secret item is NULL. `KEY_ID` is
//! the first 16 hex digits of the SHA-256 of the key, so that values sealed under a
//! previous key can be told apart and re-sealed after a rotation.
//!
//! The key file (default `<data dir>/secret.key`, mode 0600) holds one key a line, 64
//! hex digits; `#` lines are comments. The first key seals; the others, previous keys
//! kept by a rotation, only open values not yet re-sealed.

use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use auths_domain::RepoError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::StoreError;

const NONCE_BYTES: usize = 12;
const HEADER: &str = "# auths secrets key: the first key seals, the others only open values sealed before a rotation";

/// One AES-256 key and its id. `Debug` shows only the id.
#[derive(Clone)]
pub struct SecretKey {
    bytes: Zeroizing<[u8; 32]>,
    id: String,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey").field("id", &self.id).finish()
    }
}

impl SecretKey {
    /// A new random key (from the operating system's generator, through `rand`).
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(bytes.as_mut());
        Self::from_bytes(bytes)
    }

    fn from_bytes(bytes: Zeroizing<[u8; 32]>) -> Self {
        let digest = Sha256::digest(bytes.as_ref());
        let id = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Self { bytes, id }
    }

    /// The key's id: 16 hex digits, safe to log.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn parse_hex(line: &str) -> Option<Self> {
        let line = line.trim();
        if line.len() != 64 || !line.is_ascii() {
            return None;
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(line.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self::from_bytes(bytes))
    }

    fn hex(&self) -> Zeroizing<String> {
        Zeroizing::new(self.bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(self.bytes.as_ref().into())
    }
}

/// The keys a process holds: the one that seals, and older ones that only open. Without
/// a key, values can be neither sealed nor opened, and the reason says which key file
/// is missing.
#[derive(Clone, Debug)]
pub struct Secrets {
    keys: Vec<SecretKey>,
    missing: String,
}

impl Secrets {
    /// Keys: the first seals, every one opens.
    pub fn new(keys: Vec<SecretKey>) -> Self {
        Self {
            keys,
            missing: String::new(),
        }
    }

    /// No key: secret values can be neither written nor read, and an operation that
    /// needs one is told `reason` (which key is missing; no path, it reaches clients).
    pub fn missing(reason: impl Into<String>) -> Self {
        Self {
            keys: Vec::new(),
            missing: reason.into(),
        }
    }

    /// A fresh random key held only in memory (tests, and throw-away databases).
    pub fn ephemeral() -> Self {
        Self::new(vec![SecretKey::generate()])
    }

    /// The key that seals, if any.
    pub fn current(&self) -> Option<&SecretKey> {
        self.keys.first()
    }

    /// Every key held, the sealing one first.
    pub fn keys(&self) -> &[SecretKey] {
        &self.keys
    }

    /// The fingerprint of the secret value of the entry `entry_id` (auths-v5 spec: "the
    /// first 16 hex characters of HMAC-SHA256 over its value under a server key"):
    /// keyed by a key derived from the sealing key (SHA-256 of a fixed label and the
    /// key), over the entry's id and the value, computed when the value is written and
    /// stored with it, so that a key rotation changes no fingerprint. The id makes
    /// fingerprints of two entries incomparable: a caller who may write an entry of
    /// their own cannot test a guess against another entry's fingerprint.
    ///
    /// # Errors
    /// [`RepoError::SecretsUnavailable`] without a key.
    pub fn fingerprint(&self, entry_id: &str, value: &str) -> Result<String, RepoError> {
        use hmac::Mac;
        let key = self.current().ok_or_else(|| self.unavailable())?;
        let mut derived = Sha256::new();
        derived.update(b"auths secret-item fingerprint v1\0");
        derived.update(key.bytes.as_ref());
        let derived = Zeroizing::new(<[u8; 32]>::from(derived.finalize()));
        let mut mac = <hmac::Hmac<Sha256> as Mac>::new_from_slice(derived.as_ref())
            .map_err(|_| RepoError::Internal("an HMAC key of 32 bytes".into()))?;
        mac.update(entry_id.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        let tag = mac.finalize().into_bytes();
        Ok(tag[..8].iter().map(|b| format!("{b:02x}")).collect())
    }

    fn unavailable(&self) -> RepoError {
        RepoError::SecretsUnavailable(self.missing.clone())
    }

    /// Seals `value` of the entry `entry_id`.
    ///
    /// # Errors
    /// [`RepoError::SecretsUnavailable`] without a key.
    pub fn seal(&self, entry_id: &str, value: &str) -> Result<String, RepoError> {
        let key = self.current().ok_or_else(|| self.unavailable())?;
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = key
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: value.as_bytes(),
                    aad: entry_id.as_bytes(),
                },
            )
            .map_err(|_| RepoError::Internal("sealing a secret value failed".into()))?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Ok(format!("{}:{}", key.id(), STANDARD.encode(blob)))
    }

    /// The id of the key `sealed` was sealed under.
    pub fn key_id_of(sealed: &str) -> &str {
        sealed.split_once(':').map_or("", |(id, _)| id)
    }

    /// Opens a value sealed for the entry `entry_id`.
    ///
    /// # Errors
    /// [`RepoError::SecretsUnavailable`] when no key held has its id; `Internal` when
    /// it does not open (a corrupt value, or one moved from another row).
    pub fn open(&self, entry_id: &str, sealed: &str) -> Result<Zeroizing<String>, RepoError> {
        let corrupt =
            || RepoError::Internal(format!("the sealed value of {entry_id} does not open"));
        let (id, blob) = sealed.split_once(':').ok_or_else(corrupt)?;
        let Some(key) = self.keys.iter().find(|k| k.id() == id) else {
            if self.keys.is_empty() {
                return Err(self.unavailable());
            }
            return Err(RepoError::SecretsUnavailable(format!(
                "a secret value is sealed under key {id}, which the key file does not hold"
            )));
        };
        let blob = STANDARD.decode(blob).map_err(|_| corrupt())?;
        if blob.len() < NONCE_BYTES {
            return Err(corrupt());
        }
        let (nonce, body) = blob.split_at(NONCE_BYTES);
        let plain = key
            .cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: entry_id.as_bytes(),
                },
            )
            .map_err(|_| corrupt())?;
        String::from_utf8(plain)
            .map(Zeroizing::new)
            .map_err(|_| corrupt())
    }
}

/// Reads a key file.
///
/// # Errors
/// An unreadable file, or one without a valid key line.
pub fn read_key_file(path: &Path) -> Result<Vec<SecretKey>, StoreError> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| StoreError::Secrets(format!("cannot read {}: {e}", path.display())))?,
    );
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        keys.push(SecretKey::parse_hex(line).ok_or_else(|| {
            StoreError::Secrets(format!(
                "{} line {}: not a key (64 hex digits expected)",
                path.display(),
                n + 1
            ))
        })?);
    }
    if keys.is_empty() {
        return Err(StoreError::Secrets(format!(
            "{} holds no key",
            path.display()
        )));
    }
    Ok(keys)
}

/// Writes `keys` to `path` atomically: a new file (mode 0600) beside it, synced, then
/// renamed over it, and the folder synced, so that a crash leaves the old file or the
/// new one, never half of one.
///
/// # Errors
/// When the file cannot be written or renamed.
pub fn write_key_file(path: &Path, keys: &[SecretKey]) -> Result<(), StoreError> {
    let io = |e: std::io::Error| StoreError::Secrets(format!("writing {}: {e}", path.display()));
    let tmp: PathBuf = path.with_extension("key.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).map_err(io)?;
    let mut text = Zeroizing::new(format!("{HEADER}\n"));
    for k in keys {
        text.push_str(&k.hex());
        text.push('\n');
    }
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_for_its_entry_and_key() {
        let s = Secrets::ephemeral();
        let sealed = s.seal("entry-1", "hunter2").unwrap_or_default();
        assert!(!sealed.contains("hunter2"));
        assert_eq!(Secrets::key_id_of(&sealed), s.keys()[0].id());
        assert_eq!(
            s.open("entry-1", &sealed)
                .map(|v| v.to_string())
                .ok()
                .as_deref(),
            Some("hunter2")
        );
        assert!(matches!(
            s.open("entry-2", &sealed),
            Err(RepoError::Internal(_))
        ));
        // Two seals of one value differ (fresh nonces).
        assert_ne!(s.seal("entry-1", "hunter2").unwrap_or_default(), sealed);
        let other = Secrets::ephemeral();
        assert!(matches!(
            other.open("entry-1", &sealed),
            Err(RepoError::SecretsUnavailable(_))
        ));
        let none = Secrets::missing("no key");
        assert!(
            matches!(none.seal("e", "v"), Err(RepoError::SecretsUnavailable(m)) if m == "no key")
        );
    }

    #[test]
    fn key_files_round_trip_and_stay_private() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("secret.key");
        let keys = vec![SecretKey::generate(), SecretKey::generate()];
        write_key_file(&path, &keys).unwrap_or_else(|e| panic!("{e}"));
        let read = read_key_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            read.iter().map(SecretKey::id).collect::<Vec<_>>(),
            keys.iter().map(SecretKey::id).collect::<Vec<_>>()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .map(|m| m.permissions().mode())
                .unwrap_or(0);
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{:?}", keys[0]).contains(&*keys[0].hex()));
        std::fs::write(&path, "not a key\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(read_key_file(&path).is_err());
    }
}
