//! The ports of what is kept beside the catalog and the auths: secret values (opened
//! only where a use case must use one) and the versions of auths.

use super::{Page, PageRequest};
use crate::error::RepoError;
use crate::history::AuthVersion;
use crate::ids::{AuthId, EntryId};
use crate::ldap::SecretText;

/// The values of secret items, opened: only for a use case that must use one (an LDAP
/// connection test binds with it) or tell whether a client sent the stored value again
/// (a no-op write). Never shown, logged or exported.
pub trait SecretRepository {
    /// The value of the secret item `id`; `None` when `id` is no secret item.
    ///
    /// # Errors
    /// [`RepoError::SecretsUnavailable`] when the key that sealed it is not held;
    /// storage failures.
    fn open_secret(&mut self, id: &EntryId) -> Result<Option<SecretText>, RepoError>;
}

/// The versions of auths, immutable once written.
pub trait VersionRepository {
    /// Keeps a version, in the transaction of the write that published it.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] when that version of that auth is kept already; storage
    /// failures.
    fn append_version(&mut self, version: &AuthVersion) -> Result<(), RepoError>;

    /// The versions of `auth_id`, newest first, a page of them; `total` counts them all.
    ///
    /// # Errors
    /// Storage failures (a row that does not read back is `Internal`).
    fn versions(
        &mut self,
        auth_id: &AuthId,
        page: PageRequest,
    ) -> Result<Page<AuthVersion>, RepoError>;

    /// Versions `numbers` of `auth_id` (those kept; in no particular order).
    ///
    /// # Errors
    /// Storage failures.
    fn versions_numbered(
        &mut self,
        auth_id: &AuthId,
        numbers: &[i64],
    ) -> Result<Vec<AuthVersion>, RepoError>;
}

/// Items found by what they hold, so that a write naming a value already in the
/// catalog points at its entry instead of adding one more.
pub trait ItemRepository {
    /// The oldest item entry that is not secret, keyed `key` (exactly) and holding
    /// exactly `value`.
    ///
    /// # Errors
    /// Storage failures.
    fn item_with_value(
        &mut self,
        key: &str,
        value: &str,
    ) -> Result<Option<crate::catalog::CatalogEntry>, RepoError>;
}
