//! Published auths.

use auths_domain::catalog::{EntryRef, ItemRef, ItemView};
use auths_domain::{
    Auth, AuthContent, AuthId, AuthRepository, CatalogKind, Constraint, EntryId, GroupId, NewAuth,
    RepoError, Section,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;

use auths_domain::external::{ExternalHits, ExternalQuery};
use auths_domain::{AuthHits, AuthQuery};
use diesel::prelude::*;

use crate::db::{StoreTx, utc};
use crate::error::repo_error;
use crate::models::{AuthInsert, AuthRow, LinkInsert, RefRow};
use crate::pool::AnyConnection;
use crate::repo::One;
use crate::repo::search::Reindex;
use crate::schema::{auth_links as al, auths as a, catalog_entries as ce};

fn corrupt(what: &str) -> RepoError {
    RepoError::Internal(format!("corrupt auth row: {what}"))
}

/// The multi-valued sections of one auth, as they are collected.
#[derive(Default)]
struct Sections {
    protocols: Vec<EntryRef>,
    slugs: Vec<EntryRef>,
    items: Vec<ItemRef>,
    departments: Vec<EntryRef>,
    locations: Vec<EntryRef>,
}

impl StoreTx {
    /// Resolves auth rows in three queries whatever their number: the rows given, the
    /// entries of their single-valued sections, and their links with their entries.
    fn resolve_many(&mut self, rows: Vec<AuthRow>) -> Result<Vec<Auth>, RepoError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        if self.is_pg() {
            return self.resolve_pg(rows);
        }
        let mut singles: Vec<&str> = Vec::with_capacity(rows.len() * 3);
        for r in &rows {
            singles.push(&r.name_id);
            singles.push(&r.flag_id);
            singles.extend(r.description_id.as_deref());
        }
        singles.sort_unstable();
        singles.dedup();
        let single = ce::table
            .filter(ce::id.eq_any(&singles))
            .select(RefRow::as_select())
            .load(self.conn())
            .map_err(repo_error)?;
        let numbers: Vec<i64> = rows.iter().map(|r| r.number).collect();
        let linked: Vec<(i64, String, RefRow)> = al::table
            .inner_join(ce::table)
            .filter(al::auth_number.eq_any(&numbers))
            .select((al::auth_number, al::kind, RefRow::as_select()))
            .load(self.conn())
            .map_err(repo_error)?;
        assemble(rows, single, linked)
    }

    /// Resolves one auth row. The same as [`StoreTx::resolve_many`], with statements of
    /// a fixed shape, which the connection prepares once and keeps (an `IN` list of
    /// any length is prepared anew every time): this is the path of every `/get`.
    fn resolve(&mut self, row: AuthRow) -> Result<Auth, RepoError> {
        if self.is_pg() {
            return self
                .resolve_pg(vec![row])?
                .pop()
                .ok_or_else(|| corrupt("resolved nothing"));
        }
        let description = row.description_id.as_deref().unwrap_or(&row.name_id);
        let single = ce::table
            .filter(
                ce::id
                    .eq(&row.name_id)
                    .or(ce::id.eq(&row.flag_id))
                    .or(ce::id.eq(description)),
            )
            .select(RefRow::as_select())
            .load(self.conn())
            .map_err(repo_error)?;
        let linked: Vec<(i64, String, RefRow)> = al::table
            .inner_join(ce::table)
            .filter(al::auth_number.eq(row.number))
            .select((al::auth_number, al::kind, RefRow::as_select()))
            .load(self.conn())
            .map_err(repo_error)?;
        assemble(vec![row], single, linked)?
            .pop()
            .ok_or_else(|| corrupt("resolved nothing"))
    }

    /// Resolving on PostgreSQL: the links, then every entry by key (`= ANY`, one bound
    /// array, prepared once). Not a join: its plan depends on the table
    /// statistics, and before the first ANALYZE of a freshly loaded database
    /// PostgreSQL hash-joined the whole catalog for each auth (17 ms a `/get`).
    fn resolve_pg(&mut self, rows: Vec<AuthRow>) -> Result<Vec<Auth>, RepoError> {
        let numbers: Vec<i64> = rows.iter().map(|r| r.number).collect();
        let links: Vec<(i64, String, String)> = al::table
            .filter(al::auth_number.eq_any(&numbers))
            .select((al::auth_number, al::kind, al::entry_id))
            .load(self.conn())
            .map_err(repo_error)?;
        let mut ids: Vec<&str> = links.iter().map(|(_, _, id)| id.as_str()).collect();
        for row in &rows {
            ids.extend([row.name_id.as_str(), row.flag_id.as_str()]);
            ids.extend(row.description_id.as_deref());
        }
        ids.sort_unstable();
        ids.dedup();
        let entries: HashMap<String, RefRow> = ce::table
            .filter(ce::id.eq_any(&ids))
            .select(RefRow::as_select())
            .load::<RefRow>(self.conn())
            .map_err(repo_error)?
            .into_iter()
            .map(|e| (e.id.clone(), e))
            .collect();
        let linked = links
            .into_iter()
            .map(|(n, kind, id)| {
                entries
                    .get(&id)
                    .cloned()
                    .map(|e| (n, kind, e))
                    .ok_or_else(|| corrupt("dangling link"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        assemble(rows, entries.into_values().collect(), linked)
    }

    /// On PostgreSQL, share-locks every catalog entry `content` uses, before the auth
    /// row is touched. A concurrent rename of one of them (which takes the entry's row
    /// lock and then logs its users for the search index) then either commits first,
    /// and the index reloads this write's auth after it, with the new label, or waits
    /// for this write, and its re-index sees and logs the new link: the search index
    /// never keeps a stale label. Entries are always
    /// locked before auth rows, in id order, so the two paths cannot deadlock. SQLite
    /// writers are serialised already.
    /// Locks every entry `content` names against a concurrent delete (PostgreSQL: `FOR
    /// SHARE`, in id order; SQLite's writer holds the database) and answers the name
    /// key of its name, read in the same statement.
    fn lock_entries(&mut self, content: &AuthContent) -> Result<String, RepoError> {
        if !self.is_pg() {
            return self.name_key_of(&content.name_id);
        }
        let mut ids: Vec<&str> = content.entries().map(|(_, id)| id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let AnyConnection::Postgresql(c) = self.conn() else {
            return Err(RepoError::Internal("not PostgreSQL".into()));
        };
        let locked: Vec<(String, String)> = ce::table
            .filter(ce::id.eq_any(&ids))
            .order(ce::id.asc())
            .select((ce::id, ce::label_key))
            .for_share()
            .load(c)
            .map_err(repo_error)?;
        locked
            .into_iter()
            .find(|(id, _)| id == content.name_id.as_str())
            .map(|(_, key)| key)
            .ok_or(RepoError::Conflict(Constraint::InUse))
    }

    fn name_key_of(&mut self, name_id: &EntryId) -> Result<String, RepoError> {
        ce::table
            .find(name_id.as_str())
            .select(ce::label_key)
            .load(self.conn())
            .one()
            .map_err(repo_error)?
            .ok_or(RepoError::Conflict(Constraint::InUse))
    }

    /// Links every multi-valued section of `content` to the auth `number`.
    fn insert_sections(&mut self, number: i64, content: &AuthContent) -> Result<(), RepoError> {
        if let AnyConnection::Postgresql(c) = self.conn() {
            // Every link of the auth in one multi-row insert: one round trip.
            let rows: Vec<LinkInsert<'_>> = Section::MANY
                .into_iter()
                .flat_map(|section| {
                    content.ids(section).iter().map(move |id| LinkInsert {
                        auth_number: number,
                        kind: section.kind().as_str(),
                        entry_id: id.as_str(),
                    })
                })
                .collect();
            if rows.is_empty() {
                return Ok(());
            }
            return diesel::insert_into(al::table)
                .values(&rows)
                .execute(c)
                .map(drop)
                .map_err(repo_error);
        }
        for section in Section::MANY {
            self.insert_links(number, section.kind(), content.ids(section))?;
        }
        Ok(())
    }

    fn insert_links(
        &mut self,
        number: i64,
        kind: CatalogKind,
        ids: &[EntryId],
    ) -> Result<(), RepoError> {
        if ids.is_empty() {
            return Ok(());
        }
        let rows: Vec<LinkInsert<'_>> = ids
            .iter()
            .map(|id| LinkInsert {
                auth_number: number,
                kind: kind.as_str(),
                entry_id: id.as_str(),
            })
            .collect();
        match self.conn() {
            // SQLite has no multi-row INSERT with defaults in diesel: it would run one
            // insert a row inside a savepoint of its own. One cached statement a row,
            // without the savepoint, is cheaper.
            AnyConnection::Sqlite(c) => rows.iter().try_for_each(|row| {
                diesel::insert_into(al::table)
                    .values(row)
                    .execute(c)
                    .map(drop)
            }),
            AnyConnection::Postgresql(c) => diesel::insert_into(al::table)
                .values(&rows)
                .execute(c)
                .map(drop),
        }
        .map_err(repo_error)
    }
}

/// Builds auths from their rows, the entries of their single-valued sections and their
/// links.
fn assemble(
    rows: Vec<AuthRow>,
    single: Vec<RefRow>,
    linked: Vec<(i64, String, RefRow)>,
) -> Result<Vec<Auth>, RepoError> {
    let single: HashMap<String, EntryRef> = single
        .into_iter()
        .map(|e| e.entry_ref().map(|r| (e.id, r)))
        .collect::<Result<_, _>>()?;
    let mut sections: HashMap<i64, Sections> = HashMap::new();
    for (number, kind, entry) in linked {
        let s = sections.entry(number).or_default();
        match kind.parse::<CatalogKind>().map(Section::of_kind) {
            Ok(Section::Protocols) => s.protocols.push(entry.entry_ref()?),
            Ok(Section::Slugs) => s.slugs.push(entry.entry_ref()?),
            Ok(Section::Departments) => s.departments.push(entry.entry_ref()?),
            Ok(Section::Locations) => s.locations.push(entry.entry_ref()?),
            Ok(Section::Items) => {
                let id = entry.entry_ref()?.id;
                let item = entry.item_key.map(|key| {
                    ItemView::new(key, entry.item_value, entry.secret)
                        .with_fingerprint(entry.fingerprint)
                });
                s.items.push(ItemRef::new(id, entry.label, item));
            }
            _ => return Err(corrupt(&format!("link of kind {kind:?}"))),
        }
    }
    let find = |id: &str| {
        single
            .get(id)
            .cloned()
            .ok_or_else(|| corrupt("dangling section"))
    };
    rows.into_iter()
        .map(|row| {
            let s = sections.remove(&row.number).unwrap_or_default();
            let mut auth = Auth {
                number: row.number,
                auth_id: AuthId::parse(&row.auth_id).map_err(|_| corrupt("auth_id"))?,
                group_id: GroupId::parse(&row.group_id).map_err(|_| corrupt("group_id"))?,
                name: find(&row.name_id)?,
                description: row.description_id.as_deref().map(find).transpose()?,
                flag: find(&row.flag_id)?,
                protocols: s.protocols,
                slugs: s.slugs,
                items: s.items,
                departments: s.departments,
                locations: s.locations,
                version: row.version,
                created_at: utc(row.created_at),
                updated_at: utc(row.updated_at),
                created_by: row.created_by,
                updated_by: row.updated_by,
            };
            auth.order_sections();
            Ok(auth)
        })
        .collect()
}

impl AuthRepository for StoreTx {
    fn insert_auth(&mut self, auth: &NewAuth) -> Result<i64, RepoError> {
        if let Some(number) = self.queue_auth(auth)? {
            self.reindex(Reindex::New(number))?;
            return Ok(number);
        }
        let at = auth.at.naive_utc();
        let c = &auth.content;
        let name_key = self.lock_entries(c)?;
        let insert = diesel::insert_into(a::table)
            .values(AuthInsert {
                auth_id: auth.auth_id.as_str(),
                group_id: auth.group_id.as_str(),
                name_id: c.name_id.as_str(),
                description_id: c.description_id.as_ref().map(EntryId::as_str),
                flag_id: c.flag_id.as_str(),
                version: 1,
                created_at: at,
                updated_at: at,
                created_by: &auth.by,
                updated_by: &auth.by,
                name_key: &name_key,
            })
            .returning(a::number);
        let number: i64 = match self.conn() {
            AnyConnection::Sqlite(c) => insert.get_result(c),
            AnyConnection::Postgresql(c) => insert.get_result(c),
        }
        .map_err(repo_error)?;
        self.insert_sections(number, c)?;
        self.reindex(Reindex::New(number))?;
        Ok(number)
    }

    fn update_auth(
        &mut self,
        number: i64,
        expected_version: i64,
        content: &AuthContent,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<i64, RepoError> {
        // The version check and the write are one statement: of two writers that read
        // the same version, exactly one updates a row.
        let name_key = self.lock_entries(content)?;
        let changed = diesel::update(
            a::table
                .filter(a::number.eq(number))
                .filter(a::version.eq(expected_version)),
        )
        .set((
            a::name_id.eq(content.name_id.as_str()),
            a::description_id.eq(content.description_id.as_ref().map(EntryId::as_str)),
            a::flag_id.eq(content.flag_id.as_str()),
            a::version.eq(a::version + 1),
            a::updated_at.eq(at.naive_utc()),
            a::updated_by.eq(by),
            a::name_key.eq(&name_key),
        ))
        .execute(self.conn())
        .map_err(repo_error)?;
        if changed == 0 {
            return Err(RepoError::Stale);
        }
        diesel::delete(al::table.filter(al::auth_number.eq(number)))
            .execute(self.conn())
            .map_err(repo_error)?;
        self.insert_sections(number, content)?;
        self.reindex(Reindex::One(number))?;
        Ok(expected_version + 1)
    }

    fn delete_auth(&mut self, number: i64, expected_version: i64) -> Result<bool, RepoError> {
        // The condition on the version and the delete are one statement; the auth's
        // links go with it (ON DELETE CASCADE), its search row after.
        let deleted = diesel::delete(
            a::table
                .filter(a::number.eq(number))
                .filter(a::version.eq(expected_version)),
        )
        .execute(self.conn())
        .map_err(repo_error)?;
        if deleted == 0 {
            return Ok(false);
        }
        self.unindex(number);
        Ok(true)
    }

    fn auth_view(&mut self, auth_id: &AuthId) -> Result<Option<Arc<Auth>>, RepoError> {
        self.indexed_auth(auth_id)
    }

    fn search_auths(&mut self, query: &AuthQuery) -> Result<AuthHits, RepoError> {
        self.search(query)
    }

    fn auth_numbers_after(
        &mut self,
        after: i64,
        limit: u32,
        scope: Option<&[EntryId]>,
    ) -> Result<Vec<i64>, RepoError> {
        let mut q = a::table.filter(a::number.gt(after)).into_boxed();
        if let Some(scope) = scope {
            let ids: Vec<&str> = scope.iter().map(EntryId::as_str).collect();
            q = q.filter(
                a::number.eq_any(
                    al::table
                        .filter(al::kind.eq(CatalogKind::Departments.as_str()))
                        .filter(al::entry_id.eq_any(ids))
                        .select(al::auth_number),
                ),
            );
        }
        q.order(a::number.asc())
            .limit(i64::from(limit))
            .select(a::number)
            .load(self.conn())
            .map_err(repo_error)
    }

    fn search_externals(&mut self, query: &ExternalQuery) -> Result<ExternalHits, RepoError> {
        self.externals(query)
    }

    fn auths_by_numbers(&mut self, numbers: &[i64]) -> Result<Vec<Auth>, RepoError> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let mut by_number: HashMap<i64, Auth> = HashMap::with_capacity(numbers.len());
        for chunk in numbers.chunks(super::CHUNK) {
            let rows = a::table
                .filter(a::number.eq_any(chunk))
                .select(AuthRow::as_select())
                .load(self.conn())
                .map_err(repo_error)?;
            by_number.extend(self.resolve_many(rows)?.into_iter().map(|a| (a.number, a)));
        }
        Ok(numbers.iter().filter_map(|n| by_number.remove(n)).collect())
    }

    fn rebuild_search_index(&mut self) -> Result<u64, RepoError> {
        self.reindex(Reindex::All)?;
        self.drop_search_index();
        let n: i64 = a::table
            .count()
            .get_result(self.conn())
            .map_err(repo_error)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn auth_by_id(&mut self, auth_id: &AuthId) -> Result<Option<Auth>, RepoError> {
        let row = a::table
            .filter(a::auth_id.eq(auth_id.as_str()))
            .select(AuthRow::as_select())
            .load(self.conn())
            .one()
            .map_err(repo_error)?;
        row.map(|r| self.resolve(r)).transpose()
    }

    fn auth_by_number(&mut self, number: i64) -> Result<Option<Auth>, RepoError> {
        let row = a::table
            .find(number)
            .select(AuthRow::as_select())
            .load(self.conn())
            .one()
            .map_err(repo_error)?;
        row.map(|r| self.resolve(r)).transpose()
    }

    fn auth_named(&mut self, name_id: &EntryId) -> Result<Option<AuthId>, RepoError> {
        if let Some(holder) = self.batched_name_holder(name_id) {
            return holder
                .map(|s| AuthId::parse(&s).map_err(|_| corrupt("auth_id")))
                .transpose();
        }
        a::table
            .filter(a::name_id.eq(name_id.as_str()))
            .select(a::auth_id)
            .load::<String>(self.conn())
            .one()
            .map_err(repo_error)?
            .map(|s| AuthId::parse(&s).map_err(|_| corrupt("auth_id")))
            .transpose()
    }

    fn lock_auth(&mut self, number: i64) -> Result<bool, RepoError> {
        match self.conn() {
            // SQLite's writers hold the database's write lock: nothing to do.
            AnyConnection::Sqlite(_) => Ok(false),
            AnyConnection::Postgresql(c) => {
                use crate::schema::auths as a;
                a::table
                    .filter(a::number.eq(number))
                    .select(a::number)
                    .for_update()
                    .load::<i64>(c)
                    .map_err(repo_error)?;
                Ok(true)
            }
        }
    }

    fn slug_owners(&mut self, slug_ids: &[EntryId]) -> Result<Vec<(EntryId, AuthId)>, RepoError> {
        if slug_ids.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(owners) = self.batched_slug_owners(slug_ids) {
            return owners
                .into_iter()
                .map(|(s, x)| {
                    Ok((
                        EntryId::parse(&s).map_err(|_| corrupt("slug id"))?,
                        AuthId::parse(&x).map_err(|_| corrupt("auth_id"))?,
                    ))
                })
                .collect();
        }
        let ids: Vec<&str> = slug_ids.iter().map(EntryId::as_str).collect();
        al::table
            .inner_join(a::table)
            .filter(al::kind.eq(CatalogKind::Slugs.as_str()))
            .filter(al::entry_id.eq_any(ids))
            .select((al::entry_id, a::auth_id))
            .load::<(String, String)>(self.conn())
            .map_err(repo_error)?
            .into_iter()
            .map(|(s, x)| {
                Ok((
                    EntryId::parse(&s).map_err(|_| corrupt("slug id"))?,
                    AuthId::parse(&x).map_err(|_| corrupt("auth_id"))?,
                ))
            })
            .collect()
    }
}

impl RefRow {
    fn entry_ref(&self) -> Result<EntryRef, RepoError> {
        Ok(EntryRef {
            id: EntryId::parse(&self.id).map_err(|_| corrupt("entry id"))?,
            label: self.label.clone(),
        })
    }
}
