//! [`Db`]: the pool, migrations, seeding, and the transaction boundary of the ports.

use std::ops::DerefMut;
use std::sync::{Arc, Mutex, RwLock};

use auths_domain::catalog::SEEDS;
use auths_domain::{RepoError, Store};
use chrono::{DateTime, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use r2d2::{Pool, PooledConnection};

use crate::error::{StoreError, pool_error, repo_error};
use crate::models::EntryInsert;
use crate::pool::{AnyConnection, Backend, Manager, PoolOptions, Target};
use crate::repo::One;
use crate::schema::{catalog_entries, data_generation};
use crate::secrets::Secrets;

/// What a server without a secrets key tells a client that needs one.
const NO_SECRETS_KEY: &str = "this server has no secrets key: its key file \
     (AUTHS_SECRET_KEY_FILE, by default secret.key in the data folder) is missing";

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// A key for PostgreSQL's advisory lock, so that two processes starting at once do not
/// run the migrations twice ("auths" in ASCII).
const MIGRATION_LOCK: i64 = 0x0061_7574_6873;

/// The database: a pool of connections to SQLite or PostgreSQL. Cloning shares the pool.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    backend: Backend,
    /// SQLite allows one writer at a time; writers of this process queue here, in
    /// order, instead of spinning on the file lock (other processes still meet
    /// `busy_timeout`).
    write_lock: Option<Arc<Mutex<()>>>,
    busy_wait: std::time::Duration,
    /// The keys of secret values, shared by every clone (set once at start-up).
    secrets: Arc<RwLock<Arc<Secrets>>>,
    /// The search index in memory, shared by every clone
    /// ([`crate::repo::search_index`]).
    search_index: crate::repo::search_index::Shared,
    /// PostgreSQL: the generation and form-view reads that concurrent requests share
    /// ([`crate::coalesce`]).
    fresh: Arc<crate::coalesce::Coalescer<crate::repo::fresh::Key, crate::repo::fresh::Fresh>>,
    /// SQLite: connections for reads on the event loop ([`Store::form_read_now`]),
    /// whose busy timeout is zero: a lock they would wait for is an answer of `None`.
    now_pool: Option<Pool<Manager>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .field("pool", &self.pool.state())
            .finish()
    }
}

impl Db {
    /// Opens the database `url` names: `sqlite://PATH` (the file and its folder are
    /// created when missing, and switched to WAL) or `postgres://...`.
    ///
    /// # Errors
    /// A URL of another kind, a folder that cannot be created, or a database that
    /// cannot be reached within `options.connection_timeout`.
    pub fn open(url: &str, options: &PoolOptions) -> Result<Self, StoreError> {
        let target = Target::parse(url)?;
        let backend = target.backend();
        if let Target::Sqlite(path) = &target {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Open(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
            // WAL is a property of the file: set it once, before the pool opens.
            let mut conn = target
                .connect()
                .map_err(|e| StoreError::Open(e.to_string()))?;
            // Another process opening the same new file at the same moment holds its lock
            // for the switch, and SQLite answers "locked" at once rather than waiting:
            // try again within the busy timeout.
            let switch = format!(
                "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL;",
                options.settings.busy_timeout.as_millis()
            );
            let deadline = std::time::Instant::now() + options.settings.busy_timeout;
            loop {
                match conn.batch_execute(&switch) {
                    Ok(()) => break,
                    Err(e)
                        if std::time::Instant::now() < deadline
                            && e.to_string().contains("locked") =>
                    {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    }
                    Err(e) => return Err(StoreError::Open(e.to_string())),
                }
            }
        }
        let pool = Pool::builder()
            .max_size(options.max_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(options.connection_timeout)
            // A connection to a file in this process does not break as a network one
            // does: testing it at every checkout (a `SELECT 1` parsed each time) cost
            // SQLite more than a `/get`'s own statement. PostgreSQL's are tested.
            .test_on_check_out(backend == Backend::Postgres)
            .connection_customizer(Box::new(options.settings))
            .build(Manager::new(target.clone()))
            .map_err(|e| StoreError::Open(e.to_string()))?;
        let write_lock = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        let now_pool = match &target {
            Target::Sqlite(_) => Some(
                Pool::builder()
                    .max_size(4)
                    .min_idle(Some(1))
                    .test_on_check_out(false)
                    .connection_timeout(options.connection_timeout)
                    .connection_customizer(Box::new(crate::pool::ConnectionSettings {
                        busy_timeout: std::time::Duration::ZERO,
                        ..options.settings
                    }))
                    .build(Manager::new(target.clone()))
                    .map_err(|e| StoreError::Open(e.to_string()))?,
            ),
            Target::Postgres(_) => None,
        };
        Ok(Self {
            pool,
            backend,
            write_lock,
            busy_wait: options.busy_wait,
            secrets: Arc::new(RwLock::new(Arc::new(Secrets::missing(NO_SECRETS_KEY)))),
            search_index: Arc::default(),
            fresh: Arc::default(),
            now_pool,
        })
    }

    /// Sets the keys secret values are sealed and opened with, for this handle and
    /// every clone. Until then, writing a secret value fails with
    /// [`RepoError::SecretsUnavailable`].
    pub fn set_secrets(&self, secrets: Secrets) {
        let mut held = self
            .secrets
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *held = Arc::new(secrets);
    }

    pub(crate) fn secrets(&self) -> Arc<Secrets> {
        self.secrets
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs the migrations not yet applied, then writes the seed rows that are missing.
    /// Answers the versions of the migrations it applied (empty when up to date).
    ///
    /// # Errors
    /// When a migration or the seeding fails; nothing of a failed migration stays.
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.connection().map_err(StoreError::Repo)?;
        let applied = match conn.deref_mut() {
            AnyConnection::Sqlite(c) => {
                // SQLite has no advisory lock: when another process migrates the same new
                // file at the same moment, a migration here fails ("already exists") and
                // is rolled back; once the other is done, nothing is pending any more.
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                loop {
                    match c.run_pending_migrations(SQLITE_MIGRATIONS) {
                        Ok(v) => break Ok(v.iter().map(ToString::to_string).collect::<Vec<_>>()),
                        Err(e) if std::time::Instant::now() >= deadline => break Err(e),
                        Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
                    }
                }
            }
            AnyConnection::Postgresql(c) => {
                c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                    .map_err(|e| StoreError::Migrate(e.to_string()))?;
                let out = c
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>());
                let _ = c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
                out
            }
        }
        .map_err(|e| StoreError::Migrate(e.to_string()))?;
        drop(conn);
        self.seed()?;
        Ok(applied)
    }

    /// The versions of the migrations not yet applied (empty when up to date). Reads
    /// only: a command that must not change the database asks this instead of
    /// migrating.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub fn pending_migrations(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.connection().map_err(StoreError::Repo)?;
        // diesel creates its bookkeeping table when asked what was applied: ask first
        // whether it is there, so that an empty database stays empty.
        #[derive(QueryableByName)]
        struct Found {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let probe = match conn.deref_mut() {
            AnyConnection::Sqlite(_) => {
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '__diesel_schema_migrations'"
            }
            AnyConnection::Postgresql(_) => {
                "SELECT COUNT(*) AS n FROM (SELECT to_regclass('__diesel_schema_migrations') AS t) x WHERE t IS NOT NULL"
            }
        };
        let found = diesel::sql_query(probe)
            .get_result::<Found>(conn.deref_mut())
            .map_err(|e| StoreError::Migrate(e.to_string()))?;
        if found.n == 0 {
            let all = match conn.deref_mut() {
                AnyConnection::Sqlite(_) => diesel::migration::MigrationSource::<
                    diesel::sqlite::Sqlite,
                >::migrations(&SQLITE_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.name().to_string()).collect()),
                AnyConnection::Postgresql(_) => {
                    diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(
                        &POSTGRES_MIGRATIONS,
                    )
                    .map(|v| v.iter().map(|m| m.name().to_string()).collect())
                }
            };
            return all.map_err(|e| StoreError::Migrate(e.to_string()));
        }
        match conn.deref_mut() {
            AnyConnection::Sqlite(c) => c
                .pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.name().to_string()).collect()),
            AnyConnection::Postgresql(c) => c
                .pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.name().to_string()).collect()),
        }
        .map_err(|e| StoreError::Migrate(e.to_string()))
    }

    /// Inserts the seeded flags and protocols that are missing (by id).
    fn seed(&self) -> Result<(), StoreError> {
        let now = Utc::now().naive_utc();
        let seeded = self.write(|tx: &mut StoreTx| {
            let conn = tx.conn();
            let present: Vec<String> = catalog_entries::table
                .filter(catalog_entries::seeded.eq(true))
                .select(catalog_entries::id)
                .load(conn)
                .map_err(repo_error)?;
            for s in SEEDS.iter().filter(|s| !present.iter().any(|p| p == s.id)) {
                let key = auths_domain::values::fold_case(s.label);
                diesel::insert_into(catalog_entries::table)
                    .values(EntryInsert {
                        id: s.id,
                        kind: s.kind.as_str(),
                        label: s.label,
                        label_key: &key,
                        item_key: None,
                        item_value: None,
                        secret: false,
                        sealed_value: None,
                        fingerprint: None,
                        seeded: true,
                        created_at: now,
                        updated_at: now,
                    })
                    .execute(conn)
                    .map_err(repo_error)?;
            }
            Ok::<_, RepoError>(())
        });
        match seeded {
            // Another process starting at the same moment seeded them first.
            Ok(()) | Err(RepoError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// A connection within the pool's timeout; when that passes with every connection
    /// in use (busy, not down: a connection that fails is dropped from the pool), a
    /// while longer.
    pub(crate) fn connection(&self) -> Result<PooledConnection<Manager>, RepoError> {
        self.pool.get().or_else(|e| {
            let state = self.pool.state();
            if state.connections >= self.pool.max_size() && state.idle_connections == 0 {
                self.pool
                    .get_timeout(self.busy_wait)
                    .map_err(|e| pool_error(&e))
            } else {
                Err(pool_error(&e))
            }
        })
    }

    /// A write transaction; `bump` raises the data generation (see [`Store::write`]).
    fn write_tx<T, E, F>(&self, bump: bool, f: F) -> Result<T, E>
    where
        E: From<RepoError>,
        F: FnOnce(&mut StoreTx) -> Result<T, E>,
    {
        match &self.write_lock {
            Some(lock) => {
                // A poisoned lock only means another writer panicked; its transaction
                // was rolled back by StoreTx's Drop, so the database is consistent.
                let _guard = lock
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                self.run("BEGIN IMMEDIATE", bump, false, f)
            }
            None => self.run("BEGIN", bump, false, f),
        }
    }

    /// Runs `f` in a transaction begun with `begin`; a writer (`bump`) raises the data
    /// generation last, so that its row lock is held only for the commit. A `read_only`
    /// transaction is one snapshot (SQLite's, PostgreSQL's repeatable read), so its
    /// generation is read once.
    fn run<T, E, F>(&self, begin: &str, bump: bool, read_only: bool, f: F) -> Result<T, E>
    where
        E: From<RepoError>,
        F: FnOnce(&mut StoreTx) -> Result<T, E>,
    {
        let mut conn = self.connection()?;
        tx_begin(&mut conn, begin).map_err(repo_error)?;
        let mut tx = StoreTx {
            conn,
            open: true,
            poisoned: None,
            secrets: self.secrets(),
            search_index: Arc::clone(&self.search_index),
            search_changed: Vec::new(),
            search_changed_all: false,
            read_only,
            snapshot_generation: None,
            batch: None,
            settled: 0,
            settled_texts: Vec::new(),
        };
        let value = f(&mut tx)?; // on error, StoreTx's Drop rolls back
        // What a batch still queues is written before the generation is raised.
        tx.end_batch_pg()?;
        if let Some(why) = tx.poisoned {
            return Err(RepoError::Internal(format!(
                "{why}: the transaction was rolled back whole"
            ))
            .into());
        }
        tx.remove_settled_texts()?;
        if bump {
            // RETURNING on the concrete backend (MultiBackend has none): the value
            // this transaction commits, read with no second statement.
            let raise = diesel::update(data_generation::table.find(1))
                .set(data_generation::value.eq(data_generation::value + 1))
                .returning(data_generation::value);
            let generation: i64 = match tx.conn() {
                AnyConnection::Sqlite(c) => raise.get_result(c),
                AnyConnection::Postgresql(c) => raise.get_result(c),
            }
            .map_err(repo_error)?;
            // Now that this transaction holds the generation's row lock until its
            // commit, the search log rows it writes are in commit order.
            if tx.search_changed_all || !tx.search_changed.is_empty() {
                tx.log_search_changes(generation)?;
            }
            tx.prune_search_log(generation)?;
        }
        tx.open = false;
        // A failed COMMIT is rolled back by diesel's transaction manager.
        tx_commit(&mut tx.conn).map_err(repo_error)?;
        Ok(value)
    }
}

// Transactions go through diesel's own transaction manager of the concrete connection,
// so that diesel knows their depth (a nested diesel transaction, such as SQLite's
// multi-row insert, becomes a savepoint) while we choose the BEGIN statement
// (`BEGIN IMMEDIATE` for SQLite writers, a read-only snapshot for PostgreSQL readers).

fn tx_begin(conn: &mut AnyConnection, sql: &str) -> QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, sql),
        AnyConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction_sql(c, sql),
    }
}

/// Begins a savepoint (a nested transaction of diesel's manager).
pub(crate) fn savepoint_begin(conn: &mut AnyConnection) -> QueryResult<()> {
    tx_begin_nested(conn)
}

fn tx_begin_nested(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction(c),
        AnyConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction(c),
    }
}

fn tx_commit(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::commit_transaction(c),
        AnyConnection::Postgresql(c) => AnsiTransactionManager::commit_transaction(c),
    }
}

fn tx_rollback(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::rollback_transaction(c),
        AnyConnection::Postgresql(c) => AnsiTransactionManager::rollback_transaction(c),
    }
}

/// The transaction handle: a pooled connection inside `BEGIN`. Dropping it without
/// a commit (an error, or a panic in a use case) rolls the transaction back, so that
/// a connection never returns to the pool mid-transaction.
pub struct StoreTx {
    conn: PooledConnection<Manager>,
    open: bool,
    /// Why the transaction may not commit, if it may not (a savepoint that failed to
    /// roll back, a batch's writes that failed).
    poisoned: Option<&'static str>,
    /// The keys of secret values.
    pub(crate) secrets: Arc<Secrets>,
    /// The search index this transaction's searches answer from.
    pub(crate) search_index: crate::repo::search_index::Shared,
    /// The auths this transaction re-indexed, logged at its commit.
    pub(crate) search_changed: Vec<i64>,
    /// Whether it re-indexed every auth.
    pub(crate) search_changed_all: bool,
    /// A read-only transaction: one snapshot, whose generation cannot change.
    read_only: bool,
    /// That snapshot's generation, once read.
    snapshot_generation: Option<i64>,
    /// A bulk create's batch ([`crate::repo::batch`]).
    pub(crate) batch: Option<Box<crate::repo::batch::Batch>>,
    /// Savepoints that began in a batch and were made real when it settled, not yet
    /// ended.
    settled: usize,
    /// Text entries added by a batch that settled, removed at the commit if unused.
    pub(crate) settled_texts: Vec<String>,
}

impl std::fmt::Debug for StoreTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreTx").field("open", &self.open).finish()
    }
}

impl StoreTx {
    /// The connection, for the repositories. A statement through it first settles a
    /// bulk create's batch, if one is open, so that it sees what the batch queued.
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        if self.batch.is_some() {
            self.settled += self.settle_batch();
        }
        self.conn.deref_mut()
    }

    /// The connection, without settling a batch: for the batch's own statements, and
    /// for reads of what a batch never queues.
    pub(crate) fn raw_conn(&mut self) -> &mut AnyConnection {
        self.conn.deref_mut()
    }

    /// Marks the transaction as one that may not commit, and why.
    pub(crate) fn poison(&mut self, why: &'static str) {
        self.poisoned = Some(why);
    }

    /// Whether this is a read-only transaction (one snapshot, no writes of its own).
    pub(crate) const fn read_only(&self) -> bool {
        self.read_only
    }
}

impl Drop for StoreTx {
    fn drop(&mut self) {
        if self.open {
            // If even the rollback fails, diesel marks the transaction manager broken
            // and the pool discards the connection (`Manager::has_broken`).
            let _ = tx_rollback(&mut self.conn);
        }
    }
}

impl Store for Db {
    type Tx = StoreTx;

    fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        E: From<RepoError>,
        F: FnOnce(&mut StoreTx) -> Result<T, E>,
    {
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN",
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        self.run(begin, false, true, f)
    }

    fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        E: From<RepoError>,
        F: FnOnce(&mut StoreTx) -> Result<T, E>,
    {
        self.write_tx(true, f)
    }

    fn write_untracked<T, E, F>(&self, f: F) -> Result<T, E>
    where
        E: From<RepoError>,
        F: FnOnce(&mut StoreTx) -> Result<T, E>,
    {
        self.write_tx(false, f)
    }

    fn bulk_chunk(&self) -> usize {
        match self.backend {
            Backend::Sqlite => usize::MAX,
            Backend::Postgres => 50,
        }
    }

    fn batch_chunk(&self) -> usize {
        // A whole request (at most 1,000 items): one batch, one commit.
        usize::MAX
    }

    fn form_read_now(
        &self,
        auth_id: &auths_domain::AuthId,
        owner: &auths_domain::PrincipalId,
    ) -> Option<Result<auths_domain::FormRead, RepoError>> {
        // SQLite only: its statement runs in this process, and a reader of a WAL
        // database takes no lock a writer holds. PostgreSQL's is a round trip.
        let mut conn = self.now_pool.as_ref()?.try_get()?;
        // Busy (a lock it would wait for) or failed: the blocking path reads again,
        // and waits or tells the error.
        let (generation, draft_version) =
            crate::repo::search_index::generation_and_draft(&mut conn, auth_id, owner).ok()?;
        drop(conn);
        let auth = crate::repo::search_index::indexed_now(&self.search_index, generation, auth_id)?;
        Some(Ok(auths_domain::FormRead {
            auth,
            draft_version,
            generation,
        }))
    }

    fn ping(&self) -> Result<(), RepoError> {
        let mut conn = self.connection()?;
        conn.batch_execute("SELECT 1").map_err(repo_error)
    }

    fn generation(&self) -> Result<i64, RepoError> {
        if self.backend == Backend::Postgres {
            return self.fresh_read(None).map(|f| f.generation);
        }
        let mut conn = self.connection()?;
        read_generation(&mut conn)
    }

    fn form_read(
        &self,
        auth_id: &auths_domain::AuthId,
        owner: &auths_domain::PrincipalId,
    ) -> Result<auths_domain::FormRead, RepoError> {
        // One statement, outside a transaction (one round trip on PostgreSQL): the
        // generation and the owner's newest draft; the auth from the index when it
        // reflects that generation already. Otherwise, a read-only snapshot catches
        // the index up (its catch-up needs one) and answers all three.
        let (generation, draft_version) = if self.backend == Backend::Postgres {
            // A round trip a statement: concurrent requests share one.
            let key = (auth_id.as_str().to_owned(), owner.as_str().to_owned());
            let fresh = self.fresh_read(Some(key))?;
            (
                fresh.generation,
                fresh.draft_version(auth_id.as_str(), owner.as_str()),
            )
        } else {
            let mut conn = self.connection()?;
            crate::repo::search_index::generation_and_draft(&mut conn, auth_id, owner)?
        };
        if let Some(auth) =
            crate::repo::search_index::indexed_at(&self.search_index, generation, auth_id)
        {
            return Ok(auths_domain::FormRead {
                auth,
                draft_version,
                generation,
            });
        }
        self.read(|tx| {
            Ok(auths_domain::FormRead {
                auth: auths_domain::AuthRepository::auth_view(tx, auth_id)?,
                draft_version: auths_domain::DraftRepository::drafts_of(tx, owner, Some(auth_id))?
                    .first()
                    .map(|d| d.version),
                generation: auths_domain::Transaction::generation(tx)?,
            })
        })
    }
}

impl Db {
    /// PostgreSQL's generation (and a form view's draft) read by a statement that
    /// began after this call did, shared with the concurrent requests
    /// ([`crate::coalesce`]).
    fn fresh_read(
        &self,
        key: crate::repo::fresh::Key,
    ) -> Result<Arc<crate::repo::fresh::Fresh>, RepoError> {
        self.fresh.read(key, |keys| {
            let mut conn = self.connection()?;
            match conn.deref_mut() {
                AnyConnection::Postgresql(c) => crate::repo::fresh::read(c, keys),
                AnyConnection::Sqlite(_) => Err(RepoError::Internal("not PostgreSQL".into())),
            }
        })
    }
}

fn read_generation(conn: &mut AnyConnection) -> Result<i64, RepoError> {
    data_generation::table
        .find(1)
        .select(data_generation::value)
        .load(conn)
        .exactly_one()
        .map_err(repo_error)
}

impl auths_domain::Transaction for StoreTx {
    fn savepoint<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        E: From<RepoError>,
        F: FnOnce(&mut Self) -> Result<T, E>,
    {
        if let Some(batch) = self.batch.as_mut() {
            // In a batch, a savepoint is a mark in its queue: a failure drops what
            // the item queued. Should the batch settle inside `f`, the savepoint was
            // made real then, and ends as one.
            let mark = batch.queued_len();
            batch.marks.push(mark);
            let out = f(self);
            if let Some(batch) = self.batch.as_mut() {
                batch.marks.pop();
                if out.is_err() {
                    self.unqueue(mark);
                }
                return out;
            }
            if self.settled == 0 {
                return out;
            }
            self.settled -= 1;
            return self.end_savepoint(out);
        }
        // Inside a transaction, diesel's manager makes these a SAVEPOINT, RELEASE
        // SAVEPOINT and ROLLBACK TO SAVEPOINT.
        tx_begin_nested(self.conn()).map_err(repo_error)?;
        let out = f(self);
        self.end_savepoint(out)
    }

    fn generation(&mut self) -> Result<i64, RepoError> {
        if let Some(g) = self.snapshot_generation {
            return Ok(g);
        }
        let g = read_generation(self.conn())?;
        if self.read_only {
            self.snapshot_generation = Some(g);
        }
        Ok(g)
    }

    fn begin_batch(&mut self, plan: &auths_domain::BatchPlan) -> Result<(), RepoError> {
        self.begin_batch_pg(plan)
    }

    fn end_batch(&mut self) -> Result<(), RepoError> {
        self.end_batch_pg()
    }
}

impl StoreTx {
    /// Releases the savepoint begun last when `out` is `Ok`, rolls back to it
    /// otherwise.
    fn end_savepoint<T, E: From<RepoError>>(&mut self, out: Result<T, E>) -> Result<T, E> {
        match out {
            Ok(value) => {
                tx_commit(self.conn()).map_err(repo_error)?;
                Ok(value)
            }
            Err(e) => {
                if let Err(rollback) = tx_rollback(self.conn()) {
                    // The transaction now holds part of `f`'s writes: it must not commit.
                    self.poisoned = Some("a savepoint could not be rolled back");
                    tracing::error!(error = %rollback, "rolling back to a savepoint failed");
                }
                Err(e)
            }
        }
    }
}

/// Converts a stored timestamp (UTC, without zone) to the domain's.
pub(crate) fn utc(t: chrono::NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}
