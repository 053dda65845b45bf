//! `/search` from memory: a [`SearchIndex`] a [`crate::Db`] shares between its
//! connections, kept in step with the database so that an answer reflects every
//! committed write, of this process or of any other on the same database.
//!
//! - Every write records, after it raised the data generation (whose row lock it then
//!   holds until its commit, so that generations are in commit order), the auths it
//!   re-indexed: one `search_log` row `(generation, auth_number)` each, `-1` for every
//!   auth (`/refresh`).
//! - A search reads the generation in its own snapshot; an index behind it reads the
//!   log rows past its own generation and reloads those auths (gone ones are removed),
//!   in the same snapshot. An index older than the log's floor (rows are pruned past
//!   [`KEEP_GENERATIONS`]), or none yet, is built whole, [`PAGE`] auths a query.
//! - Searches share a read lock; catching up takes the write lock, once.

use std::sync::{Arc, RwLock};

use auths_domain::{
    Auth, AuthHits, AuthId, AuthQuery, AuthRepository, RepoError, SearchIndex, Transaction,
};
use diesel::prelude::*;

use crate::db::StoreTx;
use crate::error::repo_error;
use crate::schema::{search_log, search_log_floor};

/// The index a [`crate::Db`] and its clones share (`None` until first built).
pub(crate) type Shared = Arc<RwLock<Option<SearchIndex>>>;

/// The `auth_number` of a log row that stands for every auth.
const EVERY_AUTH: i64 = -1;
/// How many generations of log rows are kept: an instance whose index is older (no
/// search for that long while others wrote) builds it again whole.
pub(crate) const KEEP_GENERATIONS: i64 = 10_000;
/// Log rows are pruned once every so many generations.
const PRUNE_EVERY: i64 = 256;
/// Auths loaded a query when building the index whole.
const PAGE: u32 = 5_000;
/// Changed auths reloaded a query when catching up.
const CHANGED_CHUNK: usize = 500;
/// A write that re-indexes more auths than this logs "every auth" instead (a rename of
/// a department most auths are in): one row under the generation's lock, and every
/// instance rebuilds (loading in number order appends to the postings) rather than
/// replacing most of its index one auth at a time.
const LOG_EACH_UP_TO: usize = 5_000;

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl StoreTx {
    /// Notes that this transaction re-indexed auth `number` (or every auth, `None`).
    pub(crate) fn search_touched(&mut self, number: Option<i64>) {
        match number {
            Some(n) => self.search_changed.push(n),
            None => self.search_changed_all = true,
        }
    }

    /// Records the auths this transaction re-indexed under `generation`, the one it is
    /// committing (called after the generation was raised), and prunes old rows now
    /// and then.
    pub(crate) fn log_search_changes(&mut self, generation: i64) -> Result<(), RepoError> {
        let mut numbers = std::mem::take(&mut self.search_changed);
        numbers.sort_unstable();
        numbers.dedup();
        if std::mem::take(&mut self.search_changed_all) || numbers.len() > LOG_EACH_UP_TO {
            numbers = vec![EVERY_AUTH];
        }
        for chunk in numbers.chunks(CHANGED_CHUNK) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|n| {
                    (
                        search_log::generation.eq(generation),
                        search_log::auth_number.eq(*n),
                    )
                })
                .collect();
            // One statement for the chunk, on the concrete backend (MultiBackend has
            // no multi-row insert).
            let insert = diesel::insert_into(search_log::table).values(rows);
            match self.conn() {
                crate::pool::AnyConnection::Sqlite(c) => insert.execute(c),
                crate::pool::AnyConnection::Postgresql(c) => insert.execute(c),
            }
            .map_err(repo_error)?;
        }
        Ok(())
    }

    /// Prunes the log when `generation`, the one this write commits, is a multiple of
    /// [`PRUNE_EVERY`] (every write raises the generation by one, so each multiple is
    /// some write's).
    pub(crate) fn prune_search_log(&mut self, generation: i64) -> Result<(), RepoError> {
        if generation % PRUNE_EVERY == 0 && generation > KEEP_GENERATIONS {
            let floor = generation - KEEP_GENERATIONS;
            diesel::update(search_log_floor::table.find(1))
                .set(search_log_floor::generation.eq(floor))
                .execute(self.conn())
                .map_err(repo_error)?;
            diesel::delete(search_log::table.filter(search_log::generation.le(floor)))
                .execute(self.conn())
                .map_err(repo_error)?;
        }
        Ok(())
    }

    /// Answers a search from the shared index, brought up to this transaction's
    /// generation first.
    pub(crate) fn search(&mut self, q: &AuthQuery) -> Result<AuthHits, RepoError> {
        self.with_index(|ix| ix.search(q))
    }

    /// The auth `id` from the shared index, brought up to this transaction's generation
    /// first (the form view's read: no statement but the generation's). A write
    /// transaction reads the tables: the index does not hold its own changes yet.
    pub(crate) fn indexed_auth(&mut self, id: &AuthId) -> Result<Option<Arc<Auth>>, RepoError> {
        if !self.read_only() {
            return Ok(self.auth_by_id(id)?.map(Arc::new));
        }
        self.with_index(|ix| ix.get(id))
    }

    /// Runs `f` on the shared index once it reflects this transaction's generation (or
    /// a later one).
    fn with_index<T>(&mut self, f: impl Fn(&SearchIndex) -> T) -> Result<T, RepoError> {
        let shared = Arc::clone(&self.search_index);
        let now = self.generation()?;
        {
            let held = read(&shared);
            if let Some(ix) = held.as_ref()
                && ix.generation() >= now
            {
                return Ok(f(ix));
            }
        }
        let mut held = write(&shared);
        match held.as_mut() {
            // Caught up in place: upserts and removals are idempotent and the
            // generation moves last, so a failure leaves an index the next reader
            // catches up again, not a lost one.
            Some(ix) if ix.generation() < now => {
                if !self.catch_up(ix, now)? {
                    *held = Some(self.build(now)?);
                }
            }
            Some(_) => {}
            None => *held = Some(self.build(now)?),
        }
        Ok(held.as_ref().map_or_else(|| f(&SearchIndex::new(now)), &f))
    }

    /// Brings `ix` from its generation to `now`; `false` when it must be built whole
    /// instead: the log no longer reaches back to it, a write re-indexed every auth, or
    /// more auths changed than a rebuild costs.
    fn catch_up(&mut self, ix: &mut SearchIndex, now: i64) -> Result<bool, RepoError> {
        let floor: i64 = search_log_floor::table
            .find(1)
            .select(search_log_floor::generation)
            .first(self.conn())
            .map_err(repo_error)?;
        if ix.generation() < floor {
            return Ok(false);
        }
        let mut changed: Vec<i64> = search_log::table
            .filter(search_log::generation.gt(ix.generation()))
            .filter(search_log::generation.le(now))
            .select(search_log::auth_number)
            .distinct()
            .load(self.conn())
            .map_err(repo_error)?;
        if changed.contains(&EVERY_AUTH) || changed.len() > ix.len() / 4 + LOG_EACH_UP_TO {
            return Ok(false);
        }
        changed.sort_unstable();
        for chunk in changed.chunks(CHANGED_CHUNK) {
            let auths = self.auths_by_numbers(chunk)?;
            let found: std::collections::HashSet<i64> = auths.iter().map(|a| a.number).collect();
            for n in chunk.iter().filter(|n| !found.contains(n)) {
                ix.remove(*n);
            }
            auths.into_iter().for_each(|a| ix.upsert(Arc::new(a)));
        }
        ix.set_generation(now);
        Ok(true)
    }

    /// Forgets this process's index (`/refresh`): the next search builds it whole,
    /// whatever the generation says (after a database restored from a backup, the
    /// counter may be behind the index).
    pub(crate) fn drop_search_index(&mut self) {
        *write(&self.search_index) = None;
    }

    /// The index of every auth, at generation `now`: [`PAGE`] auths a read, resolved as
    /// every reader of an auth resolves it.
    fn build(&mut self, now: i64) -> Result<SearchIndex, RepoError> {
        let mut ix = SearchIndex::new(now);
        let mut after = 0;
        loop {
            let numbers = self.auth_numbers_after(after, PAGE, None)?;
            let Some(last) = numbers.last().copied() else {
                break;
            };
            self.auths_by_numbers(&numbers)?
                .into_iter()
                .for_each(|a| ix.upsert(Arc::new(a)));
            after = last;
        }
        tracing::debug!(auths = ix.len(), generation = now, "search index built");
        Ok(ix)
    }
}

#[derive(diesel::QueryableByName)]
struct GenerationAndDraft {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    generation: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    draft_version: Option<i64>,
}

/// The data generation and the version of `owner`'s newest draft of `auth_id`, in one
/// statement (the form view's only read when the index is up to date).
pub(crate) fn generation_and_draft(
    conn: &mut crate::pool::AnyConnection,
    auth_id: &AuthId,
    owner: &auths_domain::PrincipalId,
) -> Result<(i64, Option<i64>), RepoError> {
    use super::search::{Bind, Fixed, Sql};
    let pg = matches!(conn, crate::pool::AnyConnection::Postgresql(_));
    let mut sql = Sql::new(pg);
    sql.push(
        "SELECT (SELECT value FROM data_generation WHERE id = 1) AS generation, \
         (SELECT version FROM drafts WHERE owner_id = ",
    )
    .bind(Bind::Text(owner.as_str().to_owned()))
    .push(" AND auth_id = ")
    .bind(Bind::Text(auth_id.as_str().to_owned()))
    .push(" ORDER BY updated_at DESC, draft_id DESC LIMIT 1) AS draft_version");
    // Prepared once per connection (a fixed shape): on SQLite, preparing it on every
    // `/get` cost more than running it.
    let rows: Vec<GenerationAndDraft> = match conn {
        crate::pool::AnyConnection::Sqlite(c) => Fixed(&sql).load(c),
        crate::pool::AnyConnection::Postgresql(c) => Fixed(&sql).load(c),
    }
    .map_err(crate::error::repo_error)?;
    rows.into_iter()
        .next()
        .map(|r| (r.generation, r.draft_version))
        .ok_or_else(|| RepoError::Internal("no data generation".into()))
}

/// As [`indexed_at`], and `None` also when a writer holds the index (catching it up):
/// for a reader that must not wait.
pub(crate) fn indexed_now(
    shared: &Shared,
    generation: i64,
    auth_id: &AuthId,
) -> Option<Option<Arc<Auth>>> {
    let held = shared.try_read().ok()?;
    held.as_ref()
        .filter(|ix| ix.generation() >= generation)
        .map(|ix| ix.get(auth_id))
}

/// The auth `auth_id` from the shared index, if the index reflects `generation` (or
/// later): `Some(found)`, or `None` when it is behind (or not built) and a snapshot must
/// catch it up.
pub(crate) fn indexed_at(
    shared: &Shared,
    generation: i64,
    auth_id: &AuthId,
) -> Option<Option<Arc<Auth>>> {
    let held = read(shared);
    held.as_ref()
        .filter(|ix| ix.generation() >= generation)
        .map(|ix| ix.get(auth_id))
}
