//! The batch of a bulk create on PostgreSQL ([`auths_domain::Transaction::begin_batch`]).
//!
//! On PostgreSQL every statement is a round trip, and an item of a bulk create took
//! twelve (a savepoint and its release, its texts' entries, the entries it names, who
//! holds its name, the lock of its entries, the auth, its links, its version, its audit
//! record and the record's departments). A batch makes them a handful a chunk:
//!
//! - at its start, five statements answer what every item will ask: the texts' entries
//!   (one multi-row insert of those missing, one read of those there), every entry the
//!   items name (read and share-locked in id order, as `lock_entries` does item by
//!   item), who holds their names and slugs, and the numbers of the auths and audit
//!   records to come (from their identity sequences);
//! - the items' savepoints are marks in the queue, and their writes are queued;
//! - at [`auths_domain::Transaction::end_batch`] (or the commit) the queue is written in
//!   one multi-row insert a table, and the texts' entries that no written auth uses
//!   (their item failed) are removed again.
//!
//! Every answer is what the statements would have said: the names and slugs an item
//! asks about are looked up in the queue first. A statement the batch does not know
//! (any other use of [`StoreTx::conn`]) first "settles" the batch: what was queued is
//! written, the open savepoints are made real in order, and the transaction goes on
//! statement by statement. A concurrent writer that takes a name or slug after the
//! batch read it makes the final insert fail on the unique index: the transaction rolls
//! back and the use case tries each item alone.

use std::collections::{HashMap, HashSet, VecDeque};

use auths_domain::history::AuthVersion;
use auths_domain::values::fold_case;
use auths_domain::{
    AuthId, BatchPlan, CatalogEntry, CatalogKind, EntryId, NewAuditRecord, NewAuth,
    NewCatalogEntry, RepoError, Section,
};
use diesel::prelude::*;

mod rows;

use rows::{
    Queued, QueuedAudit, QueuedAuth, QueuedVersion, draw_numbers, insert_texts, write_queued,
};

use crate::db::StoreTx;
use crate::error::repo_error;
use crate::models::EntryRow;
use crate::pool::AnyConnection;
use crate::schema::{auth_links as al, auths as a, catalog_entries as ce};

/// A catalog entry the batch read (and share-locked) or added: an auth may link it.
struct Cached {
    entry: CatalogEntry,
    /// Its label key (the order and uniqueness of labels).
    key: String,
}

/// What a batch knows and holds.
#[derive(Default)]
pub(crate) struct Batch {
    /// Entries by id; `None`: known not to exist.
    entries: HashMap<String, Option<Cached>>,
    /// The ids of text entries by kind and label key.
    labels: HashMap<(CatalogKind, String), String>,
    /// The text entries this batch added.
    made: Vec<String>,
    /// Who held these names when the batch began (`None`: no one).
    names: HashMap<String, Option<String>>,
    /// Who held these slugs when the batch began.
    slugs: HashMap<String, Option<String>>,
    /// Numbers drawn from the auths' sequence, not yet given.
    auth_numbers: VecDeque<i64>,
    /// Numbers drawn from the audit log's sequence, not yet given.
    audit_numbers: VecDeque<i64>,
    /// The writes queued, in order.
    queued: Vec<Queued>,
    /// The open savepoints: the queue's length when each began.
    pub(crate) marks: Vec<usize>,
}

/// Who holds each of `keys` (a name or slug id): the auth id read for it, or `None`.
fn holders(
    keys: &[&str],
    held: diesel::QueryResult<Vec<(String, String)>>,
) -> Result<HashMap<String, Option<String>>, RepoError> {
    let mut out: HashMap<String, Option<String>> =
        keys.iter().map(|k| ((*k).to_owned(), None)).collect();
    for (key, holder) in held.map_err(repo_error)? {
        out.insert(key, Some(holder));
    }
    Ok(out)
}

fn pg(tx: &mut StoreTx) -> Result<&mut diesel::PgConnection, RepoError> {
    match tx.raw_conn() {
        AnyConnection::Postgresql(c) => Ok(c),
        AnyConnection::Sqlite(_) => Err(RepoError::Internal("a batch on SQLite".into())),
    }
}

impl Batch {
    /// How many writes are queued.
    pub(crate) fn queued_len(&self) -> usize {
        self.queued.len()
    }

    fn cached(&self, id: &str) -> Option<&Cached> {
        self.entries.get(id).and_then(Option::as_ref)
    }

    /// Who holds the name `name_id`: a queued auth, or who held it when the batch
    /// began; `None` when the batch does not know.
    fn name_holder(&self, name_id: &str) -> Option<Option<String>> {
        let queued = self.queued.iter().find_map(|q| match q {
            Queued::Auth(x) if x.name_id == name_id => Some(x.auth_id.clone()),
            _ => None,
        });
        match queued {
            Some(holder) => Some(Some(holder)),
            None => self.names.get(name_id).cloned(),
        }
    }

    /// The queued owners of `slug_ids`.
    fn queued_slugs(&self, slug_ids: &[EntryId]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for q in &self.queued {
            if let Queued::Auth(x) = q {
                for (kind, id) in &x.links {
                    if *kind == CatalogKind::Slugs.as_str()
                        && slug_ids.iter().any(|s| s.as_str() == id)
                    {
                        out.push((id.clone(), x.auth_id.clone()));
                    }
                }
            }
        }
        out
    }
}

impl StoreTx {
    /// Begins a batch (PostgreSQL only: SQLite, in process, has no round trip to save).
    pub(crate) fn begin_batch_pg(&mut self, plan: &BatchPlan) -> Result<(), RepoError> {
        if !self.is_pg() || plan.is_empty() || self.batch.is_some() {
            return Ok(());
        }
        let mut batch = Batch::default();
        let made = insert_texts(self.raw_conn(), &plan.texts, plan.at)?;
        let made_ids: HashSet<&str> = made.iter().map(|m| m.id.as_str()).collect();
        // The texts that were there already: their ids by kind and key.
        let missing: Vec<&NewCatalogEntry> = plan
            .texts
            .iter()
            .filter(|t| !made_ids.contains(t.id.as_str()))
            .collect();
        let mut ids: Vec<String> = plan
            .entry_ids
            .iter()
            .map(|i| i.as_str().to_owned())
            .collect();
        if !missing.is_empty() {
            let keys: Vec<String> = missing.iter().map(|t| fold_case(&t.label)).collect();
            let found: Vec<(String, String, String)> = ce::table
                .filter(ce::kind.eq_any([
                    CatalogKind::Names.as_str(),
                    CatalogKind::Descriptions.as_str(),
                ]))
                .filter(ce::label_key.eq_any(&keys))
                .select((ce::id, ce::kind, ce::label_key))
                .load(pg(self)?)
                .map_err(repo_error)?;
            for (id, kind, key) in found {
                if let Ok(kind) = kind.parse::<CatalogKind>() {
                    batch.labels.insert((kind, key), id.clone());
                    ids.push(id);
                }
            }
        }
        // Every entry named, share-locked in id order (see `lock_entries`); those made
        // above are this transaction's own.
        ids.sort_unstable();
        ids.dedup();
        let rows: Vec<(EntryRow, String)> = ce::table
            .filter(ce::id.eq_any(&ids))
            .order(ce::id.asc())
            .select((EntryRow::as_select(), ce::label_key))
            .for_share()
            .load(pg(self)?)
            .map_err(repo_error)?;
        for id in &ids {
            batch.entries.insert(id.clone(), None);
        }
        for (row, key) in rows {
            let entry = row.into_entry()?;
            batch
                .entries
                .insert(entry.id.as_str().to_owned(), Some(Cached { entry, key }));
        }
        for (t, m) in plan
            .texts
            .iter()
            .filter_map(|t| made.iter().find(|m| m.id == t.id.as_str()).map(|m| (t, m)))
        {
            let key = fold_case(&t.label);
            let at = chrono::DateTime::from_timestamp_micros(plan.at.timestamp_micros())
                .unwrap_or(plan.at);
            batch.labels.insert((t.kind, key.clone()), m.id.clone());
            batch.made.push(m.id.clone());
            batch.entries.insert(
                m.id.clone(),
                Some(Cached {
                    entry: CatalogEntry {
                        id: t.id.clone(),
                        number: m.number,
                        kind: t.kind,
                        label: t.label.clone(),
                        item: None,
                        seeded: false,
                        created_at: at,
                        updated_at: at,
                        description: None,
                    },
                    key,
                }),
            );
        }
        // Who holds the names and slugs the items will ask about.
        let names: Vec<&str> = batch
            .entries
            .values()
            .flatten()
            .filter(|c| c.entry.kind == CatalogKind::Names)
            .map(|c| c.entry.id.as_str())
            .collect();
        let held = a::table
            .filter(a::name_id.eq_any(&names))
            .select((a::name_id, a::auth_id))
            .load(pg(self)?);
        batch.names = holders(&names, held)?;
        if !plan.slug_ids.is_empty() {
            let slugs: Vec<&str> = plan.slug_ids.iter().map(EntryId::as_str).collect();
            let held = al::table
                .inner_join(a::table)
                .filter(al::kind.eq(CatalogKind::Slugs.as_str()))
                .filter(al::entry_id.eq_any(&slugs))
                .select((al::entry_id, a::auth_id))
                .load(pg(self)?);
            batch.slugs = holders(&slugs, held)?;
        }
        draw_numbers(pg(self)?, &mut batch, plan.items)?;
        self.batch = Some(Box::new(batch));
        Ok(())
    }

    /// Runs `f` as if there were no batch: for reads of what a batch never queues
    /// (catalog entries), which need not settle it.
    pub(crate) fn unbatched<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let batch = self.batch.take();
        let out = f(self);
        self.batch = batch;
        out
    }

    /// A text's entry from the batch, if it knows the text.
    pub(crate) fn batched_text(&self, entry: &NewCatalogEntry) -> Option<CatalogEntry> {
        let batch = self.batch.as_ref()?;
        let id = batch.labels.get(&(entry.kind, fold_case(&entry.label)))?;
        batch.cached(id).map(|c| c.entry.clone())
    }

    /// The entries among `ids`, if the batch knows every one of them.
    pub(crate) fn batched_entries(&self, ids: &[EntryId]) -> Option<Vec<CatalogEntry>> {
        let batch = self.batch.as_ref()?;
        let mut out = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            match batch.entries.get(id.as_str())? {
                Some(c) if !ids[..i].contains(id) => out.push(c.entry.clone()),
                _ => {}
            }
        }
        Some(out)
    }

    /// Who holds the name: `None` when the batch does not know.
    pub(crate) fn batched_name_holder(&self, name_id: &EntryId) -> Option<Option<String>> {
        self.batch.as_ref()?.name_holder(name_id.as_str())
    }

    /// The owners of `slug_ids`, as the batch sees them (`None`: it does not know them
    /// all). Queued auths first; a slug is held once.
    pub(crate) fn batched_slug_owners(
        &self,
        slug_ids: &[EntryId],
    ) -> Option<Vec<(String, String)>> {
        let batch = self.batch.as_ref()?;
        let mut out = batch.queued_slugs(slug_ids);
        for s in slug_ids {
            if out.iter().any(|(id, _)| id == s.as_str()) {
                continue;
            }
            if let Some(holder) = batch.slugs.get(s.as_str())? {
                out.push((s.as_str().to_owned(), holder.clone()));
            }
        }
        Some(out)
    }

    /// Queues a new auth, when the batch holds every entry it names (locked) and a
    /// number for it; `None` otherwise (it is then written statement by statement).
    pub(crate) fn queue_auth(&mut self, auth: &NewAuth) -> Result<Option<i64>, RepoError> {
        let Some(batch) = self.batch.as_mut() else {
            return Ok(None);
        };
        let c = &auth.content;
        if !c
            .entries()
            .all(|(_, id)| batch.cached(id.as_str()).is_some())
        {
            return Ok(None);
        }
        let Some(name_key) = batch.cached(c.name_id.as_str()).map(|x| x.key.clone()) else {
            return Ok(None);
        };
        if batch.auth_numbers.is_empty() {
            self.draw_more()?;
        }
        let Some(batch) = self.batch.as_mut() else {
            return Ok(None);
        };
        let Some(number) = batch.auth_numbers.pop_front() else {
            return Ok(None);
        };
        let at = auth.at.naive_utc();
        let links = Section::MANY
            .into_iter()
            .flat_map(|section| {
                c.ids(section)
                    .iter()
                    .map(move |id| (section.kind().as_str(), id.as_str().to_owned()))
            })
            .collect();
        batch.queued.push(Queued::Auth(QueuedAuth {
            number,
            auth_id: auth.auth_id.as_str().to_owned(),
            group_id: auth.group_id.as_str().to_owned(),
            name_id: c.name_id.as_str().to_owned(),
            description_id: c.description_id.as_ref().map(|d| d.as_str().to_owned()),
            flag_id: c.flag_id.as_str().to_owned(),
            version: 1,
            created_at: at,
            updated_at: at,
            created_by: auth.by.clone(),
            updated_by: auth.by.clone(),
            name_key,
            links,
        }));
        Ok(Some(number))
    }

    /// Queues a version (nothing without a batch).
    pub(crate) fn queue_version(&mut self, v: &AuthVersion, content: String) {
        let Some(batch) = self.batch.as_mut() else {
            return;
        };
        batch.queued.push(Queued::Version(QueuedVersion {
            auth_id: v.auth_id.as_str().to_owned(),
            version: v.version,
            at: v.at.naive_utc(),
            actor_name: v.actor_name.clone(),
            channel: v.channel.as_str(),
            operation: v.operation.clone(),
            content,
        }));
    }

    /// Queues an audit record; `false` without a batch.
    pub(crate) fn queue_audit(&mut self, r: &NewAuditRecord) -> Result<bool, RepoError> {
        match self.batch.as_mut() {
            None => return Ok(false),
            Some(batch) if batch.audit_numbers.is_empty() => self.draw_more()?,
            Some(_) => {}
        }
        let Some(batch) = self.batch.as_mut() else {
            return Ok(false);
        };
        let Some(number) = batch.audit_numbers.pop_front() else {
            return Ok(false);
        };
        let mut departments: Vec<String> = r
            .department_ids
            .iter()
            .map(|d| d.as_str().to_owned())
            .collect();
        departments.sort();
        departments.dedup();
        batch.queued.push(Queued::Audit(QueuedAudit {
            number,
            at: r.at.naive_utc(),
            actor_id: r.actor_id.as_str().to_owned(),
            actor_name: r.actor_name.clone(),
            channel: r.channel.as_str(),
            operation: r.operation.clone(),
            auth_id: r.auth_id.as_ref().map(|x| AuthId::as_str(x).to_owned()),
            before: r.before.clone(),
            after: r.after.clone(),
            client: r.client.clone(),
            departments,
        }));
        Ok(true)
    }

    /// Draws a few more numbers, for items beyond the plan's count.
    fn draw_more(&mut self) -> Result<(), RepoError> {
        let mut more = Batch::default();
        draw_numbers(pg(self)?, &mut more, 16)?;
        if let Some(batch) = self.batch.as_mut() {
            batch.auth_numbers.extend(more.auth_numbers);
            batch.audit_numbers.extend(more.audit_numbers);
        }
        Ok(())
    }

    /// Removes the text entries added by a batch that settled which no auth uses (their
    /// items failed after the settle), before the commit.
    pub(crate) fn remove_settled_texts(&mut self) -> Result<(), RepoError> {
        if self.settled_texts.is_empty() {
            return Ok(());
        }
        let ids = std::mem::take(&mut self.settled_texts);
        let used = a::table.filter(
            a::name_id
                .eq(ce::id)
                .or(a::description_id.eq(ce::id.nullable())),
        );
        diesel::delete(
            ce::table
                .filter(ce::id.eq_any(&ids))
                .filter(diesel::dsl::not(diesel::dsl::exists(used))),
        )
        .execute(pg(self)?)
        .map_err(repo_error)?;
        Ok(())
    }

    /// Drops what was queued since the queue held `mark` items (a failed savepoint).
    pub(crate) fn unqueue(&mut self, mark: usize) {
        if let Some(batch) = self.batch.as_mut() {
            batch.queued.truncate(mark);
        }
    }

    /// Writes what the batch queued and ends it; removes the text entries it added
    /// that no written auth uses.
    pub(crate) fn end_batch_pg(&mut self) -> Result<(), RepoError> {
        let Some(batch) = self.batch.take() else {
            return Ok(());
        };
        let c = pg(self)?;
        write_queued(c, &batch.queued)?;
        let used: HashSet<&str> = batch
            .queued
            .iter()
            .filter_map(|q| match q {
                Queued::Auth(x) => Some([Some(x.name_id.as_str()), x.description_id.as_deref()]),
                _ => None,
            })
            .flatten()
            .flatten()
            .collect();
        let unused: Vec<&str> = batch
            .made
            .iter()
            .map(String::as_str)
            .filter(|id| !used.contains(id))
            .collect();
        if !unused.is_empty() {
            diesel::delete(ce::table.filter(ce::id.eq_any(&unused)))
                .execute(c)
                .map_err(repo_error)?;
        }
        Ok(())
    }

    /// Settles the batch before a statement it does not know: writes what the items
    /// before the open savepoints queued, makes each open savepoint real after what
    /// preceded it, and writes the rest; the transaction then goes on without a batch.
    /// Answers how many savepoints it made real. On failure the transaction is
    /// poisoned (it may not commit).
    pub(crate) fn settle_batch(&mut self) -> usize {
        let Some(batch) = self.batch.take() else {
            return 0;
        };
        tracing::debug!(queued = batch.queued.len(), "a bulk create's batch settles");
        // Its texts that no written auth will use are removed at the commit.
        self.settled_texts.extend(batch.made.iter().cloned());
        let mut made_real = 0;
        let mut from = 0;
        let outcome = (|| -> Result<(), RepoError> {
            for &mark in &batch.marks {
                write_queued(pg(self)?, &batch.queued[from..mark])?;
                crate::db::savepoint_begin(self.raw_conn()).map_err(repo_error)?;
                made_real += 1;
                from = mark;
            }
            write_queued(pg(self)?, &batch.queued[from..])
        })();
        if let Err(e) = outcome {
            // A concurrent writer took a name or slug since the batch read it, say: the
            // transaction can only roll back (and the use case tries again).
            tracing::warn!(error = %e, "writing a bulk create's queue failed");
            self.poison("a bulk create's queued writes failed");
        }
        made_real
    }
}
