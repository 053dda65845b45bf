//! Where secret values meet the tables: the columns a written item fills, and the pass
//! that (re-)seals every secret value under the current key (after the migration that
//! introduced sealing, and after a key rotation).

use std::collections::BTreeMap;
use std::ops::DerefMut;

use auths_domain::ldap::SecretText;
use auths_domain::values::ItemData;
use auths_domain::{EntryId, RepoError};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::{Db, StoreTx};
use crate::error::{StoreError, repo_error};
use crate::pool::AnyConnection;
use crate::schema::catalog_entries as ce;
use crate::schema::sealing_key as sk;
use crate::secrets::Secrets;

/// What the sealing pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Resealed {
    /// Values stored in clear (before sealing existed) now sealed.
    pub from_clear: u64,
    /// Values sealed under an older key now sealed under the current one.
    pub from_old_key: u64,
}

/// The value columns of an item row.
#[derive(Debug, Default)]
pub(crate) struct ItemColumns<'a> {
    /// `item_value`: the value of an item that is not secret.
    pub plain: Option<&'a str>,
    /// `sealed_value`: a secret value, sealed.
    pub sealed: Option<String>,
    /// `fingerprint`: a secret value's fingerprint.
    pub fingerprint: Option<String>,
}

impl StoreTx {
    /// The `item_value` and `sealed_value` columns of an item: a secret value is
    /// sealed for entry `entry_id` and never stored in clear.
    ///
    /// # Errors
    /// [`RepoError::SecretsUnavailable`] for a secret value without a key.
    pub(crate) fn item_values<'a>(
        &self,
        entry_id: &str,
        item: Option<&'a ItemData>,
    ) -> Result<ItemColumns<'a>, RepoError> {
        match item {
            Some(i) if i.secret => Ok(ItemColumns {
                plain: None,
                sealed: Some(self.secrets.seal(entry_id, &i.value)?),
                fingerprint: Some(self.secrets.fingerprint(entry_id, &i.value)?),
            }),
            Some(i) => Ok(ItemColumns {
                plain: Some(i.value.as_str()),
                sealed: None,
                fingerprint: None,
            }),
            None => Ok(ItemColumns::default()),
        }
    }
}

impl auths_domain::SecretRepository for StoreTx {
    fn open_secret(&mut self, id: &EntryId) -> Result<Option<SecretText>, RepoError> {
        let sealed: Option<Option<String>> = ce::table
            .filter(ce::id.eq(id.as_str()))
            .filter(ce::secret.eq(true))
            .select(ce::sealed_value)
            .first(self.conn())
            .optional()
            .map_err(repo_error)?;
        match sealed {
            Some(Some(s)) => {
                let plain = self.secrets.open(id.as_str(), &s)?;
                Ok(Some(SecretText(plain.as_str().to_owned())))
            }
            // A secret value still in clear is sealed at start-up; until then it opens
            // as nothing rather than being read from the clear column.
            _ => Ok(None),
        }
    }
}

impl StoreTx {
    fn registered(&mut self) -> Result<Option<String>, RepoError> {
        sk::table
            .filter(sk::id.eq(1))
            .select(sk::key_id)
            .first::<String>(self.conn())
            .optional()
            .map_err(repo_error)
    }

    /// Registers `key_id` as the sealing key, replacing any other.
    fn set_registered(&mut self, key_id: &str) -> Result<(), RepoError> {
        let n = diesel::update(sk::table.filter(sk::id.eq(1)))
            .set(sk::key_id.eq(key_id))
            .execute(self.conn())
            .map_err(repo_error)?;
        if n == 0 {
            diesel::insert_into(sk::table)
                .values((sk::id.eq(1), sk::key_id.eq(key_id)))
                .execute(self.conn())
                .map_err(repo_error)?;
        }
        Ok(())
    }
}

impl Db {
    /// The id of the key this database's secret values are sealed under, as the first
    /// instance registered it (`None`: no key registered yet).
    ///
    /// # Errors
    /// Storage errors.
    pub fn registered_key_id(&self) -> Result<Option<String>, StoreError> {
        Ok(auths_domain::Store::read(self, StoreTx::registered)?)
    }

    /// Registers `key_id` as the sealing key unless one is registered already, and
    /// answers the one registered (so that of two instances starting at once on one
    /// database, the second learns the first's key instead of making its own).
    ///
    /// # Errors
    /// Storage errors.
    pub fn register_key_id(&self, key_id: &str) -> Result<String, StoreError> {
        Ok(auths_domain::Store::write_untracked(self, |tx| {
            let row = (sk::id.eq(1), sk::key_id.eq(key_id));
            let insert = || {
                diesel::insert_into(sk::table)
                    .values(row)
                    .on_conflict_do_nothing()
            };
            match tx.conn() {
                AnyConnection::Sqlite(c) => insert().execute(c),
                AnyConnection::Postgresql(c) => insert().execute(c),
            }
            .map_err(repo_error)?;
            tx.registered()?
                .ok_or_else(|| RepoError::Internal("the sealing key row vanished".into()))
        })?)
    }

    /// How many secret values are sealed under each key id (`""`: stored in clear,
    /// before sealing existed).
    ///
    /// # Errors
    /// Storage errors.
    pub fn sealed_values_by_key(&self) -> Result<BTreeMap<String, u64>, StoreError> {
        let rows: Vec<(Option<String>, Option<String>)> = auths_domain::Store::read(self, |tx| {
            ce::table
                .filter(ce::secret.eq(true))
                .select((ce::item_value, ce::sealed_value))
                .load(tx.conn())
                .map_err(repo_error)
        })?;
        let mut by_key = BTreeMap::new();
        for (plain, sealed) in rows {
            let id = match (&sealed, &plain) {
                (Some(s), _) => Secrets::key_id_of(s).to_owned(),
                (None, Some(_)) => String::new(),
                (None, None) => continue,
            };
            *by_key.entry(id).or_insert(0) += 1;
        }
        Ok(by_key)
    }

    /// Seals under the current key every secret value stored in clear or sealed under
    /// another key, in one transaction (all or nothing), then, on SQLite, truncates the
    /// write-ahead log so that no copy of an old value stays in it (`secure_delete`
    /// zeroes what the database file frees).
    ///
    /// # Errors
    /// No key ([`RepoError::SecretsUnavailable`]), a value sealed under a key not held,
    /// a value that does not open, storage errors.
    pub fn reseal(&self) -> Result<Resealed, StoreError> {
        let secrets = self.secrets();
        let Some(current) = secrets.current() else {
            // Nothing can be sealed; say so only when something waits to be.
            let waiting = self.sealed_values_by_key()?;
            if waiting.contains_key("") {
                return Err(StoreError::Repo(RepoError::SecretsUnavailable(
                    "secret values stored in clear wait to be sealed, and there is no key".into(),
                )));
            }
            return Ok(Resealed::default());
        };
        let prefix = format!("{}:", current.id());
        // A tracked write: fingerprints the auths show change, so every reader's view of
        // them (the search index's) must catch up.
        let done = auths_domain::Store::write(self, |tx| {
            let rows: Vec<(String, Option<String>, Option<String>)> = ce::table
                .filter(ce::secret.eq(true))
                .filter(
                    ce::item_value
                        .is_not_null()
                        .or(ce::sealed_value.not_like(format!("{prefix}%")))
                        .or(ce::fingerprint.is_null()),
                )
                .select((ce::id, ce::item_value, ce::sealed_value))
                .load(tx.conn())
                .map_err(repo_error)?;
            // The current key becomes the registered one with the values it seals.
            tx.set_registered(current.id())?;
            let mut done = Resealed::default();
            let mut touched = false;
            for (id, plain, sealed) in rows {
                let value = match (plain, sealed) {
                    (Some(p), _) => {
                        done.from_clear += 1;
                        zeroize::Zeroizing::new(p)
                    }
                    (None, Some(s)) => {
                        // A value under the current key only wanted its fingerprint
                        // (sealed before fingerprints were kept).
                        if !s.starts_with(&prefix) {
                            done.from_old_key += 1;
                        }
                        secrets.open(&id, &s)?
                    }
                    (None, None) => continue,
                };
                let sealed = secrets.seal(&id, &value)?;
                let fingerprint = secrets.fingerprint(&id, &value)?;
                diesel::update(ce::table.filter(ce::id.eq(&id)))
                    .set((
                        ce::item_value.eq(None::<String>),
                        ce::sealed_value.eq(Some(sealed)),
                        ce::fingerprint.eq(Some(fingerprint)),
                    ))
                    .execute(tx.conn())
                    .map_err(repo_error)?;
                touched = true;
            }
            if touched {
                tx.reindex(crate::repo::search::Reindex::All)?;
            }
            Ok::<_, RepoError>(done)
        })?;
        if done != Resealed::default() {
            self.truncate_wal()?;
        }
        Ok(done)
    }

    /// SQLite: writes the write-ahead log into the database and truncates it. Nothing
    /// on PostgreSQL (its WAL is the server's, outside the data folder).
    ///
    /// # Errors
    /// Storage errors.
    pub fn truncate_wal(&self) -> Result<(), StoreError> {
        let mut conn = self.connection().map_err(StoreError::Repo)?;
        if let AnyConnection::Sqlite(c) = conn.deref_mut() {
            c.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
                .map_err(|e| StoreError::Repo(repo_error(e)))?;
        }
        Ok(())
    }
}
