//! The ports: what the use cases need from storage. Adapters (`auths-store` for SQLite
//! and PostgreSQL, `auths-memory` for tests) implement them.
//!
//! A use case runs its calls inside one transaction through [`Store::read`] or
//! [`Store::write`]: the closure gets a transaction handle implementing every
//! repository trait; returning `Err` rolls everything back, `Ok` commits.

use chrono::{DateTime, Utc};

use crate::audit::{AuditFilter, AuditRecord, NewAuditRecord};
use crate::auth::{Auth, AuthContent, NewAuth};
use crate::catalog::{CatalogEntry, CatalogKind, EntryUsage, NewCatalogEntry};
use crate::draft::Draft;
#[cfg(doc)]
use crate::error::Constraint;
use crate::error::RepoError;
use crate::external::{ExternalHits, ExternalQuery};
use crate::ids::{AuthId, DraftId, EntryId, PrincipalId};
use crate::principal::{KeyRecord, NewPrincipal};
use crate::search::{AuthHits, AuthQuery};
use crate::upload::Upload;
use crate::values::ItemData;

mod batch;
mod kept;
pub use batch::BatchPlan;
pub use kept::{ItemRepository, SecretRepository, VersionRepository};

/// A page of results and the total count of matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// This page's rows.
    pub rows: Vec<T>,
    /// How many rows match in all.
    pub total: u64,
}

/// Which page to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows a page (1..=500 at the API).
    pub limit: u32,
    /// Rows to skip.
    pub offset: u64,
}

/// What [`Store::form_read`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRead {
    /// The auth, if it exists (visibility is the caller's to check).
    pub auth: Option<std::sync::Arc<Auth>>,
    /// The version of the reader's newest draft of it, if any.
    pub draft_version: Option<i64>,
    /// A data generation the answer reflects at least.
    pub generation: i64,
}

/// Catalog entries.
pub trait CatalogRepository {
    /// The entries of `kind` among `ids`, in no particular order; ids that do not exist
    /// (or are of another kind) are simply absent.
    ///
    /// # Errors
    /// Storage failures.
    fn entries_by_ids(
        &mut self,
        kind: CatalogKind,
        ids: &[EntryId],
    ) -> Result<Vec<CatalogEntry>, RepoError>;

    /// The entries among `ids`, whatever their kind (ids are unique across catalogs),
    /// in no particular order; ids that do not exist are absent. A write that checks
    /// every entry an auth names asks this once instead of once a section. The default
    /// asks [`Self::entries_by_ids`] for each kind.
    ///
    /// # Errors
    /// Storage failures.
    fn entries_by_any_ids(&mut self, ids: &[EntryId]) -> Result<Vec<CatalogEntry>, RepoError> {
        let mut out = Vec::new();
        if ids.is_empty() {
            return Ok(out);
        }
        for kind in CatalogKind::ALL {
            out.extend(self.entries_by_ids(kind, ids)?);
        }
        Ok(out)
    }

    /// The entry of `kind` whose label equals `label` case-insensitively (the first one,
    /// for items, whose labels are not unique).
    ///
    /// # Errors
    /// Storage failures.
    fn entry_by_label(
        &mut self,
        kind: CatalogKind,
        label: &str,
    ) -> Result<Option<CatalogEntry>, RepoError>;

    /// Stores a new entry.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] with [`Constraint::CatalogLabel`] when the label is taken
    /// in a catalog with unique labels; storage failures.
    fn insert_entry(
        &mut self,
        entry: &NewCatalogEntry,
        at: DateTime<Utc>,
    ) -> Result<CatalogEntry, RepoError>;

    /// Changes an entry's label (and, for items, its key, value and secrecy).
    /// Answers the entry as it now is, or `None` when there is no such entry.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] with [`Constraint::CatalogLabel`] when the label is taken;
    /// storage failures.
    fn update_entry(
        &mut self,
        kind: CatalogKind,
        id: &EntryId,
        label: &str,
        item: Option<&ItemData>,
        at: DateTime<Utc>,
    ) -> Result<Option<CatalogEntry>, RepoError>;

    /// Sets the description of the entry `id` of `kind` (a location's or an
    /// organization's); answers the entry as it now is, or `None` when there is no
    /// such entry.
    ///
    /// # Errors
    /// Storage failures.
    fn set_description(
        &mut self,
        kind: CatalogKind,
        id: &EntryId,
        description: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Option<CatalogEntry>, RepoError>;

    /// Deletes an entry; answers whether there was one.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] with [`Constraint::InUse`] while an auth or a key refers
    /// to it; storage failures.
    fn delete_entry(&mut self, kind: CatalogKind, id: &EntryId) -> Result<bool, RepoError>;

    /// Homes those of the entries `ids` that no auth uses now in the departments
    /// `home` (an empty `home`: global keys only): until an auth uses it again, such
    /// an entry is seen by keys scoped to one of them (see
    /// [`entry_visible`](crate::principal::entry_visible)). Entries in use are left
    /// as they are.
    ///
    /// # Errors
    /// Storage failures.
    fn home_unused(&mut self, ids: &[EntryId], home: &[EntryId]) -> Result<(), RepoError>;

    /// Who uses the entry `id` (in any section of any auth), measured against `scope`,
    /// and where it belongs while unused.
    ///
    /// # Errors
    /// Storage failures.
    fn entry_usage(
        &mut self,
        id: &EntryId,
        scope: Option<&[EntryId]>,
    ) -> Result<EntryUsage, RepoError>;

    /// The entry of `kind` with this number.
    ///
    /// # Errors
    /// Storage failures.
    fn entry_by_number(
        &mut self,
        kind: CatalogKind,
        number: i64,
    ) -> Result<Option<CatalogEntry>, RepoError>;

    /// The entry of `kind` labelled `label` (case-insensitively), stored as `entry` if
    /// there is none yet. Concurrent callers with the same label get the same entry:
    /// the loser of the race waits for the winner's insert and reuses it.
    ///
    /// # Errors
    /// Storage failures.
    fn ensure_entry(
        &mut self,
        entry: &NewCatalogEntry,
        at: DateTime<Utc>,
    ) -> Result<CatalogEntry, RepoError>;

    /// Entries of `kind` whose label contains `search` (case-insensitively), by label;
    /// with `scope`, only those a caller limited to these departments sees, by the one
    /// scope rule ([`crate::principal::entry_visible`]).
    ///
    /// # Errors
    /// Storage failures.
    fn list_entries(
        &mut self,
        kind: CatalogKind,
        search: Option<&str>,
        scope: Option<&[EntryId]>,
        page: PageRequest,
    ) -> Result<Page<CatalogEntry>, RepoError>;

    /// Entries of `kind` (a taxonomy: locations or departments) that `query`'s filter
    /// keeps and its scope sees, by the one scope rule, in its order (ties by number);
    /// `total` counts every entry kept.
    ///
    /// # Errors
    /// Storage failures.
    fn search_taxonomies(
        &mut self,
        kind: CatalogKind,
        query: &crate::external::TaxonomyQuery,
    ) -> Result<Page<CatalogEntry>, RepoError>;
}

/// Published auths.
pub trait AuthRepository {
    /// Stores a new auth at version 1 and answers its numeric id.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] with [`Constraint::AuthName`] (the name is another
    /// auth's), [`Constraint::SlugOwner`] (a slug belongs to another auth) or
    /// [`Constraint::AuthId`]; storage failures.
    fn insert_auth(&mut self, auth: &NewAuth) -> Result<i64, RepoError>;

    /// Replaces the content of the auth numbered `number` if it is still at
    /// `expected_version`, bumping the version; answers the new version. The caller
    /// holds the auth it read, so nothing is read back.
    ///
    /// # Errors
    /// [`RepoError::Stale`] when the auth is gone or at another version (a concurrent
    /// writer won); [`RepoError::Conflict`] as for [`AuthRepository::insert_auth`].
    fn update_auth(
        &mut self,
        number: i64,
        expected_version: i64,
        content: &AuthContent,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<i64, RepoError>;

    /// Deletes the auth numbered `number` if it is still at `expected_version` (its
    /// sections go with it; the catalog entries stay). Answers whether it was deleted.
    ///
    /// # Errors
    /// Storage failures.
    fn delete_auth(&mut self, number: i64, expected_version: i64) -> Result<bool, RepoError>;

    /// Searches auths (full-text over name, description, slugs, protocols and
    /// departments), with the department facet.
    ///
    /// # Errors
    /// Storage failures.
    fn search_auths(&mut self, query: &AuthQuery) -> Result<AuthHits, RepoError>;

    /// Up to `limit` auth numbers greater than `after`, ascending, among the auths in
    /// `scope` (all when `None`): keyset paging for exports.
    ///
    /// # Errors
    /// Storage failures.
    fn auth_numbers_after(
        &mut self,
        after: i64,
        limit: u32,
        scope: Option<&[EntryId]>,
    ) -> Result<Vec<i64>, RepoError>;

    /// The Foreman-compatible index over auths with the `external` protocol.
    ///
    /// # Errors
    /// Storage failures.
    fn search_externals(&mut self, query: &ExternalQuery) -> Result<ExternalHits, RepoError>;

    /// The auths with these numbers, resolved, in the order given (missing ones left
    /// out).
    ///
    /// # Errors
    /// Storage failures.
    fn auths_by_numbers(&mut self, numbers: &[i64]) -> Result<Vec<Auth>, RepoError>;

    /// Rebuilds the derived search index from the source tables; answers how many auths
    /// it indexed.
    ///
    /// # Errors
    /// Storage failures.
    fn rebuild_search_index(&mut self) -> Result<u64, RepoError>;

    /// The auth with this id, resolved.
    ///
    /// # Errors
    /// Storage failures.
    fn auth_by_id(&mut self, auth_id: &AuthId) -> Result<Option<Auth>, RepoError>;

    /// The auth with this id as a reader sees it, for answers that only show it (the
    /// form view): the same auth as [`Self::auth_by_id`] at this transaction's
    /// snapshot or later, shared. A store may answer it from a derived view kept in
    /// step with every write (the server's search index) rather than the tables; writes
    /// read with `auth_by_id`. The default asks `auth_by_id`.
    ///
    /// # Errors
    /// Storage failures.
    fn auth_view(&mut self, auth_id: &AuthId) -> Result<Option<std::sync::Arc<Auth>>, RepoError> {
        Ok(self.auth_by_id(auth_id)?.map(std::sync::Arc::new))
    }

    /// The auth with this numeric id, resolved.
    ///
    /// # Errors
    /// Storage failures.
    fn auth_by_number(&mut self, number: i64) -> Result<Option<Auth>, RepoError>;

    /// The auth that uses the catalog name `name_id`, if any.
    ///
    /// # Errors
    /// Storage failures.
    fn auth_named(&mut self, name_id: &EntryId) -> Result<Option<AuthId>, RepoError>;

    /// Locks the auth numbered `number` for the rest of the transaction, against other
    /// writers, where the backend lets concurrent writers read one version (PostgreSQL);
    /// answers whether it did (then what was read before may be stale: read again).
    /// Backends whose writers are serialised (SQLite, memory) answer `false`.
    ///
    /// # Errors
    /// Storage failures.
    fn lock_auth(&mut self, number: i64) -> Result<bool, RepoError>;

    /// For each of `slug_ids` that belongs to an auth: the slug and its auth.
    ///
    /// # Errors
    /// Storage failures.
    fn slug_owners(&mut self, slug_ids: &[EntryId]) -> Result<Vec<(EntryId, AuthId)>, RepoError>;
}

/// API keys and their principals.
pub trait PrincipalRepository {
    /// Stores a new principal with its key hash.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] with [`Constraint::PrincipalName`] when an active key
    /// has this name; storage failures.
    fn insert_principal(&mut self, principal: &NewPrincipal) -> Result<(), RepoError>;

    /// The keys that are not revoked and whose hash starts with `key_lookup`.
    ///
    /// # Errors
    /// Storage failures.
    fn active_keys_by_lookup(&mut self, key_lookup: &str) -> Result<Vec<KeyRecord>, RepoError>;

    /// Every key, revoked ones included, by name.
    ///
    /// # Errors
    /// Storage failures.
    fn list_keys(&mut self) -> Result<Vec<KeyRecord>, RepoError>;

    /// One page of [`PrincipalRepository::list_keys`], and how many keys there are.
    ///
    /// # Errors
    /// Storage failures.
    fn keys_page(&mut self, page: PageRequest) -> Result<Page<KeyRecord>, RepoError>;

    /// Revokes the active key named `name`; answers whether there was one.
    ///
    /// # Errors
    /// Storage failures.
    fn revoke_key(&mut self, name: &str, at: DateTime<Utc>) -> Result<bool, RepoError>;

    /// How many keys are not revoked.
    ///
    /// # Errors
    /// Storage failures.
    fn count_active_keys(&mut self) -> Result<u64, RepoError>;

    /// How many keys were ever revoked: a revocation is final, so this number changes
    /// with every revocation, by any process, and with nothing else. A cache of
    /// verified keys compares it to notice revocations made elsewhere.
    ///
    /// # Errors
    /// Storage failures.
    fn count_revoked_keys(&mut self) -> Result<u64, RepoError>;

    /// Records when keys were last used (a batch, written now and then).
    ///
    /// # Errors
    /// Storage failures.
    fn record_key_use(&mut self, uses: &[(PrincipalId, DateTime<Utc>)]) -> Result<(), RepoError>;
}

/// Drafts.
pub trait DraftRepository {
    /// Stores a new draft.
    ///
    /// # Errors
    /// Storage failures.
    fn insert_draft(&mut self, draft: &Draft) -> Result<(), RepoError>;

    /// The draft with this id, whoever owns it.
    ///
    /// # Errors
    /// Storage failures.
    fn draft_by_id(&mut self, draft_id: &DraftId) -> Result<Option<Draft>, RepoError>;

    /// Writes `draft` over the stored one if that is still at `expected_version`;
    /// answers whether it was.
    ///
    /// # Errors
    /// Storage failures.
    fn update_draft(&mut self, draft: &Draft, expected_version: i64) -> Result<bool, RepoError>;

    /// Deletes a draft; answers whether there was one.
    ///
    /// # Errors
    /// Storage failures.
    fn delete_draft(&mut self, draft_id: &DraftId) -> Result<bool, RepoError>;

    /// The drafts of `owner`, newest first; only those of `auth_id` when given.
    ///
    /// # Errors
    /// Storage failures.
    fn drafts_of(
        &mut self,
        owner: &PrincipalId,
        auth_id: Option<&AuthId>,
    ) -> Result<Vec<Draft>, RepoError>;

    /// How many drafts `owner` keeps, whatever they edit (for the limit,
    /// [`MAX_DRAFTS_PER_PRINCIPAL`](crate::draft::MAX_DRAFTS_PER_PRINCIPAL)).
    ///
    /// # Errors
    /// Storage failures.
    fn count_drafts(&mut self, owner: &PrincipalId) -> Result<u64, RepoError>;

    /// A page of the drafts of `owner`, newest first, and how many there are in all.
    /// With `scope`, only the drafts of new auths and of existing auths in one of these
    /// departments (a draft of an auth that is gone is then left out too).
    ///
    /// # Errors
    /// Storage failures.
    fn list_drafts(
        &mut self,
        owner: &PrincipalId,
        scope: Option<&[EntryId]>,
        page: PageRequest,
    ) -> Result<Page<Draft>, RepoError>;
}

/// Export files (uploads) and who may read them.
pub trait UploadRepository {
    /// Records a finished export file.
    ///
    /// # Errors
    /// Storage failures.
    fn insert_upload(&mut self, upload: &Upload) -> Result<(), RepoError>;

    /// The upload with this id.
    ///
    /// # Errors
    /// Storage failures.
    fn upload_by_id(&mut self, upload_id: &str) -> Result<Option<Upload>, RepoError>;

    /// Up to `limit` uploads made before `before`, oldest first (expired ones, for
    /// removal).
    ///
    /// # Errors
    /// Storage failures.
    fn uploads_before(
        &mut self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Upload>, RepoError>;

    /// Up to `limit` uploads of `owner` past its newest `keep`, oldest first (those
    /// over its quota, for removal).
    ///
    /// # Errors
    /// Storage failures.
    fn uploads_beyond(
        &mut self,
        owner: &PrincipalId,
        keep: u32,
        limit: u32,
    ) -> Result<Vec<Upload>, RepoError>;

    /// Deletes an upload's record; answers whether there was one.
    ///
    /// # Errors
    /// Storage failures.
    fn delete_upload(&mut self, upload_id: &str) -> Result<bool, RepoError>;
}

/// The audit log.
pub trait AuditRepository {
    /// Appends a record (in the caller's transaction, so that it commits or rolls back
    /// with the write it records).
    ///
    /// # Errors
    /// Storage failures.
    fn append_audit(&mut self, record: &NewAuditRecord) -> Result<(), RepoError>;

    /// Records matching `filter`, newest first.
    ///
    /// # Errors
    /// Storage failures.
    fn list_audit(
        &mut self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, RepoError>;
}

/// Every repository, as one transaction handle gives them.
pub trait Repositories:
    AuthRepository
    + CatalogRepository
    + SecretRepository
    + ItemRepository
    + VersionRepository
    + PrincipalRepository
    + AuditRepository
    + DraftRepository
    + UploadRepository
{
}
impl<T> Repositories for T where
    T: AuthRepository
        + CatalogRepository
        + SecretRepository
        + ItemRepository
        + VersionRepository
        + PrincipalRepository
        + AuditRepository
        + DraftRepository
        + UploadRepository
{
}

/// What a transaction handle offers beside the repositories.
pub trait Transaction {
    /// Runs `f` inside a savepoint of this transaction: what `f` wrote stays when it
    /// answers `Ok` and is undone when it answers `Err`, and the transaction goes on
    /// either way. Bulk writes use it to keep each item atomic and independent while
    /// they commit once.
    ///
    /// # Errors
    /// `f`'s error, or a [`RepoError`] converted into `E` when the savepoint could not be
    /// made or released.
    fn savepoint<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        E: From<RepoError>,
        F: FnOnce(&mut Self) -> Result<T, E>;

    /// The data generation as this transaction sees it (see [`Store::generation`]).
    ///
    /// # Errors
    /// Storage failures.
    fn generation(&mut self) -> Result<i64, RepoError>;

    /// Announces the creates that follow (a bulk create's items, each in its
    /// [`Transaction::savepoint`]): a store may read at once what they will ask (the
    /// entries they name, share-locked; their texts' entries, added when missing; who
    /// holds their names and slugs) and queue what they write (auths, links, versions,
    /// audit records) to write it in a few multi-row statements at
    /// [`Transaction::end_batch`] or the commit, whichever comes first. Every answer
    /// stays what the statements would have said: an item sees the auths the items
    /// before it queued, and a savepoint that fails drops what its item queued. The
    /// default does nothing.
    ///
    /// # Errors
    /// Storage failures.
    fn begin_batch(&mut self, plan: &BatchPlan) -> Result<(), RepoError> {
        let _ = plan;
        Ok(())
    }

    /// Writes what the batch begun by [`Transaction::begin_batch`] queued, and ends it;
    /// a text's entry that it added and no written auth uses is removed again. Nothing
    /// to do without a batch.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] when a concurrent writer took a name or slug since the
    /// batch began (the transaction can then only roll back); storage failures.
    fn end_batch(&mut self) -> Result<(), RepoError> {
        Ok(())
    }
}

/// A storage backend: runs closures in transactions.
pub trait Store: Send + Sync + 'static {
    /// The transaction handle.
    type Tx: Repositories + Transaction;

    /// The data generation: a counter that every committed write transaction has
    /// raised. An answer computed at generation `g` is still exact while the counter
    /// reads `g`, which makes it the key of cached answers. Costs one primary-key read.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] when the database does not answer.
    fn generation(&self) -> Result<i64, RepoError>;

    /// What the form view of an auth reads: the auth as a reader sees it
    /// ([`AuthRepository::auth_view`]), the version of `owner`'s newest draft of it, and
    /// a data generation they reflect at least. A store may answer it in fewer round
    /// trips than a transaction takes (the server reads the generation and the draft in
    /// one statement and the auth from its index); the default reads the three in one
    /// read-only snapshot.
    ///
    /// # Errors
    /// Storage failures.
    fn form_read(&self, auth_id: &AuthId, owner: &PrincipalId) -> Result<FormRead, RepoError> {
        self.read(|tx| {
            Ok(FormRead {
                auth: tx.auth_view(auth_id)?,
                draft_version: tx
                    .drafts_of(owner, Some(auth_id))?
                    .first()
                    .map(|d| d.version),
                generation: tx.generation()?,
            })
        })
    }

    /// [`Store::form_read`], when it can be answered at once: without waiting for a
    /// connection, a lock held by another thread or another machine. For a caller on
    /// an event loop, which must not wait. `None` when it cannot (ask
    /// [`Store::form_read`] from a thread that may wait); the default always says
    /// `None`.
    fn form_read_now(
        &self,
        auth_id: &AuthId,
        owner: &PrincipalId,
    ) -> Option<Result<FormRead, RepoError>> {
        let _ = (auth_id, owner);
        None
    }

    /// Runs `f` in a read-only snapshot (it may not write).
    ///
    /// # Errors
    /// `f`'s error, or a [`RepoError`] converted into `E` when no connection could be
    /// had or the transaction could not begin.
    fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        E: From<RepoError>,
        F: FnOnce(&mut Self::Tx) -> Result<T, E>;

    /// Runs `f` in a write transaction: committed when `f` answers `Ok`, rolled back
    /// otherwise. Writers are serialised where the backend needs it (SQLite).
    ///
    /// # Errors
    /// `f`'s error, or a [`RepoError`] converted into `E` when no connection could be
    /// had, or the transaction could not begin or commit.
    fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        E: From<RepoError>,
        F: FnOnce(&mut Self::Tx) -> Result<T, E>;

    /// As [`Store::write`], but leaves the data generation alone: for bookkeeping that
    /// no answer depends on (when keys were last used), so that it does not make every
    /// cached answer stale. Stores that cannot tell the two apart may simply write.
    ///
    /// # Errors
    /// As [`Store::write`].
    fn write_untracked<T, E, F>(&self, f: F) -> Result<T, E>
    where
        E: From<RepoError>,
        F: FnOnce(&mut Self::Tx) -> Result<T, E>,
    {
        self.write(f)
    }

    /// How many items of a bulk write may share one transaction, a savepoint each.
    /// PostgreSQL keeps 64 subtransactions a session in shared memory and slows every
    /// snapshot of the server beyond that, and a long transaction holds its locks long:
    /// it says fewer than SQLite, whose writers are serialised anyway.
    fn bulk_chunk(&self) -> usize {
        usize::MAX
    }

    /// How many items of a bulk create may share one transaction when they are batched
    /// ([`Transaction::begin_batch`]): their savepoints are marks in the batch's queue,
    /// not subtransactions, so the bound of [`Store::bulk_chunk`] does not apply. The
    /// default is that bound.
    fn batch_chunk(&self) -> usize {
        self.bulk_chunk()
    }

    /// Checks that the database answers.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] when it does not.
    fn ping(&self) -> Result<(), RepoError>;
}
