//! # auths-memory
//!
//! An in-memory adapter of the auths ports ([`auths_domain::Store`] and every
//! repository), for unit tests of the use cases and for embedders who want the rules
//! without a database.
//!
//! It keeps the same rules as the SQL adapters (unique names and slugs,
//! case-insensitive labels, secret values never read back) and real transaction
//! semantics: a write works on a copy of the state that replaces the original only
//! when the closure succeeds, and writers are serialised. It holds everything in
//! memory and is not tuned for size. What a filter or a section order means comes
//! from the domain ([`auths_domain::scoped_search::matches()`],
//! [`auths_domain::Auth::order_sections`]), so that this adapter states nothing the
//! store must agree with on its own.
//!
//! ```
//! use auths_domain::prelude::*;
//! use auths_domain::CatalogKind;
//! use auths_memory::MemoryStore;
//!
//! let store = MemoryStore::new();
//! let flags = store
//!     .read(|tx| tx.entry_by_label(CatalogKind::Flags, "ACTIVE"))
//!     .unwrap();
//! assert_eq!(flags.map(|e| e.id.to_string()).as_deref(), Some("flag-active"));
//! ```

mod auths;
mod catalog;
mod records;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use auths_domain::audit::NewAuditRecord;
use auths_domain::catalog::CatalogKind;
use auths_domain::catalog::SEEDS;
use auths_domain::{
    AuthContent, AuthId, Draft, EntryId, GroupId, ItemData, NewPrincipal, RepoError, Store,
    Transaction, Upload,
};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone)]
struct StoredEntry {
    number: i64,
    kind: CatalogKind,
    label: String,
    item: Option<ItemData>,
    seeded: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// Where it belongs while unused (`EntryUsage::home`).
    home: Option<Vec<EntryId>>,
    /// A taxonomy's description.
    description: Option<String>,
}

/// A stored key: its principal, when it was last used, when it was revoked.
#[derive(Debug, Clone)]
struct StoredKey {
    principal: NewPrincipal,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
struct StoredAuth {
    number: i64,
    auth_id: AuthId,
    group_id: GroupId,
    content: AuthContent,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: String,
    updated_by: String,
}

/// The whole state; a transaction works on a copy of it.
#[derive(Debug, Clone, Default)]
pub struct MemoryTx {
    entries: BTreeMap<EntryId, StoredEntry>,
    auths: Vec<StoredAuth>,
    keys: Vec<StoredKey>,
    audit: Vec<(i64, NewAuditRecord)>,
    drafts: Vec<Draft>,
    uploads: Vec<Upload>,
    versions: Vec<auths_domain::history::AuthVersion>,
    next_number: i64,
    generation: i64,
}

/// The in-memory store. Cloning shares the state.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    state: Arc<Mutex<MemoryTx>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// A store holding only the seeded flags and protocols.
    pub fn new() -> Self {
        let mut tx = MemoryTx {
            next_number: 1,
            ..MemoryTx::default()
        };
        let epoch = DateTime::<Utc>::UNIX_EPOCH;
        for s in SEEDS {
            if let Ok(id) = EntryId::parse(s.id) {
                let number = tx.bump();
                tx.entries.insert(
                    id,
                    StoredEntry {
                        number,
                        kind: s.kind,
                        label: s.label.to_owned(),
                        item: None,
                        seeded: true,
                        created_at: epoch,
                        updated_at: epoch,
                        home: None,
                        description: None,
                    },
                );
            }
        }
        Self {
            state: Arc::new(Mutex::new(tx)),
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, MemoryTx>, RepoError> {
        self.state
            .lock()
            .map_err(|_| RepoError::Internal("memory store poisoned by a panic".into()))
    }
}

impl MemoryTx {
    fn bump(&mut self) -> i64 {
        let n = self.next_number;
        self.next_number += 1;
        n
    }
}

impl Store for MemoryStore {
    type Tx = MemoryTx;

    fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        E: From<RepoError>,
        F: FnOnce(&mut MemoryTx) -> Result<T, E>,
    {
        let mut snapshot = self.lock()?.clone();
        f(&mut snapshot)
    }

    fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        E: From<RepoError>,
        F: FnOnce(&mut MemoryTx) -> Result<T, E>,
    {
        let mut guard = self.lock()?;
        let mut working = guard.clone();
        let out = f(&mut working)?;
        working.generation += 1;
        *guard = working;
        Ok(out)
    }

    fn ping(&self) -> Result<(), RepoError> {
        self.lock().map(drop)
    }

    fn generation(&self) -> Result<i64, RepoError> {
        Ok(self.lock()?.generation)
    }
}

impl Transaction for MemoryTx {
    fn savepoint<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        E: From<RepoError>,
        F: FnOnce(&mut Self) -> Result<T, E>,
    {
        let saved = self.clone();
        let out = f(self);
        if out.is_err() {
            *self = saved;
        }
        out
    }

    fn generation(&mut self) -> Result<i64, RepoError> {
        Ok(self.generation)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a failing test should fail loudly")]

    use super::*;
    use auths_domain::prelude::*;
    use auths_domain::{AuthContent, Constraint, NewAuth, NewCatalogEntry};

    fn at() -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH
    }

    fn id(s: &str) -> EntryId {
        EntryId::parse(s).unwrap()
    }

    #[test]
    fn failed_writes_roll_back() {
        let store = MemoryStore::new();
        let entry = NewCatalogEntry {
            id: id("d1"),
            kind: CatalogKind::Departments,
            label: "Finance".into(),
            item: None,
        };
        let r: Result<(), RepoError> = store.write(|tx| {
            tx.insert_entry(&entry, at())?;
            Err(RepoError::Stale)
        });
        assert_eq!(r, Err(RepoError::Stale));
        let found = store
            .read(|tx| tx.entry_by_label(CatalogKind::Departments, "finance"))
            .unwrap();
        assert_eq!(found, None);
        store
            .write(|tx| tx.insert_entry(&entry, at()).map(drop))
            .unwrap();
        let found = store
            .read(|tx| tx.entry_by_label(CatalogKind::Departments, "FINANCE"))
            .unwrap();
        assert_eq!(found.map(|e| e.label), Some("Finance".to_owned()));
        let again = store.write(|tx| tx.insert_entry(&entry, at()).map(drop));
        assert_eq!(again, Err(RepoError::Conflict(Constraint::CatalogId)));
    }

    #[test]
    fn secret_values_are_never_read_back() {
        let store = MemoryStore::new();
        let entry = NewCatalogEntry {
            id: id("i1"),
            kind: CatalogKind::Items,
            label: "bind_password".into(),
            item: Some(ItemData::parse("bind_password", "hunter2", true).unwrap()),
        };
        let stored = store.write(|tx| tx.insert_entry(&entry, at())).unwrap();
        let item = stored.item.unwrap();
        assert!(item.secret);
        assert_eq!(item.value, None);
        let read = store
            .read(|tx| tx.entries_by_ids(CatalogKind::Items, std::slice::from_ref(&entry.id)))
            .unwrap();
        assert!(!format!("{read:?}").contains("hunter2"));
    }

    #[test]
    fn an_auth_may_refer_only_to_entries_that_exist() {
        let store = MemoryStore::new();
        let name = NewCatalogEntry {
            id: id("n1"),
            kind: CatalogKind::Names,
            label: "Corp".into(),
            item: None,
        };
        store
            .write(|tx| tx.insert_entry(&name, at()).map(drop))
            .unwrap();
        let auth = |protocol: &str| NewAuth {
            auth_id: AuthId::parse("a1").unwrap(),
            group_id: GroupId::parse("g1").unwrap(),
            content: AuthContent {
                name_id: id("n1"),
                description_id: None,
                flag_id: id("flag-active"),
                protocol_ids: vec![id(protocol)],
                slug_ids: vec![],
                item_ids: vec![],
                department_ids: vec![],
                location_ids: vec![],
            },
            at: at(),
            by: "test".into(),
        };
        let dangling = store.write(|tx| tx.insert_auth(&auth("protocol-nowhere")));
        assert_eq!(dangling, Err(RepoError::Conflict(Constraint::InUse)));
        let number = store
            .write(|tx| tx.insert_auth(&auth("protocol-ldap")))
            .unwrap();
        let read = store.read(|tx| tx.auth_by_number(number)).unwrap().unwrap();
        assert_eq!(read.protocols[0].label, "ldap");
    }
}
