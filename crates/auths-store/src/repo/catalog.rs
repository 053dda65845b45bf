//! Catalog entries.

use auths_domain::catalog::EntryUsage;
use auths_domain::values::fold_case;
use auths_domain::{
    CatalogEntry, CatalogKind, CatalogRepository, EntryId, ItemData, NewCatalogEntry, Page,
    PageRequest, RepoError,
};
use chrono::{DateTime, Utc};
use diesel::RunQueryDsl as _;
use diesel::prelude::*;

use crate::db::StoreTx;
use crate::error::repo_error;
use crate::models::{EntryInsert, EntryRow};
use crate::pool::AnyConnection;
use crate::repo::One;
use crate::schema::catalog_entries as ce;

/// On SQLite, up to this many ids are looked up one by one with a statement of one shape
/// (prepared once per connection: an auth's few dozen entries cost microseconds each);
/// more go as `IN` lists of [`super::CHUNK`].
const FEW: usize = 64;

fn ids_text(ids: &[EntryId]) -> Vec<&str> {
    ids.iter().map(EntryId::as_str).collect()
}

impl CatalogRepository for StoreTx {
    fn set_description(
        &mut self,
        kind: CatalogKind,
        id: &EntryId,
        description: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Option<CatalogEntry>, RepoError> {
        diesel::update(
            ce::table
                .filter(ce::id.eq(id.as_str()))
                .filter(ce::kind.eq(kind.as_str())),
        )
        .set((
            ce::description.eq(description),
            ce::updated_at.eq(at.naive_utc()),
        ))
        .execute(self.conn())
        .map_err(repo_error)?;
        Ok(self.entries_by_ids(kind, std::slice::from_ref(id))?.pop())
    }

    fn entries_by_ids(
        &mut self,
        kind: CatalogKind,
        ids: &[EntryId],
    ) -> Result<Vec<CatalogEntry>, RepoError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Ids are unique across catalogs: those of another kind are dropped here.
        let mut found = self.entries_by_any_ids(ids)?;
        found.retain(|e| e.kind == kind);
        Ok(found)
    }

    fn entries_by_any_ids(&mut self, ids: &[EntryId]) -> Result<Vec<CatalogEntry>, RepoError> {
        if self.batch.is_some() {
            return match self.batched_entries(ids) {
                Some(found) => Ok(found),
                None => self.unbatched(|tx| tx.entries_by_any_ids(ids)),
            };
        }
        let mut out = Vec::with_capacity(ids.len());
        // On PostgreSQL `= ANY($1)` binds the whole list as one array: one shape, one
        // round trip. SQLite spells a list as `IN (?, ?, ...)`, a shape per length: for
        // the few ids a write checks, a statement of one shape a key, prepared once per
        // connection, costs less (in process, a lookup costs no round trip).
        if ids.len() <= FEW && !self.is_pg() {
            for (i, id) in ids.iter().enumerate() {
                if ids[..i].contains(id) {
                    continue;
                }
                if let Some(row) = ce::table
                    .filter(ce::id.eq(id.as_str()))
                    .select(EntryRow::as_select())
                    .load(self.conn())
                    .one()
                    .map_err(repo_error)?
                {
                    out.push(row.into_entry()?);
                }
            }
            return Ok(out);
        }
        for chunk in ids.chunks(super::CHUNK) {
            let rows = ce::table
                .filter(ce::id.eq_any(ids_text(chunk)))
                .select(EntryRow::as_select())
                .load(self.conn())
                .map_err(repo_error)?;
            for row in rows {
                out.push(row.into_entry()?);
            }
        }
        Ok(out)
    }

    fn entry_by_label(
        &mut self,
        kind: CatalogKind,
        label: &str,
    ) -> Result<Option<CatalogEntry>, RepoError> {
        if self.batch.is_some() {
            return self.unbatched(|tx| tx.entry_by_label(kind, label));
        }
        ce::table
            .filter(ce::kind.eq(kind.as_str()))
            .filter(ce::label_key.eq(fold_case(label.trim())))
            .order(ce::number.asc())
            .select(EntryRow::as_select())
            .load(self.conn())
            .one()
            .map_err(repo_error)?
            .map(EntryRow::into_entry)
            .transpose()
    }

    fn insert_entry(
        &mut self,
        entry: &NewCatalogEntry,
        at: DateTime<Utc>,
    ) -> Result<CatalogEntry, RepoError> {
        let key = fold_case(&entry.label);
        let at = at.naive_utc();
        let cols = self.item_values(entry.id.as_str(), entry.item.as_ref())?;
        let values = EntryInsert {
            id: entry.id.as_str(),
            kind: entry.kind.as_str(),
            label: &entry.label,
            label_key: &key,
            item_key: entry.item.as_ref().map(|i| i.key.as_str()),
            item_value: cols.plain,
            secret: entry.item.as_ref().is_some_and(|i| i.secret),
            sealed_value: cols.sealed.as_deref(),
            fingerprint: cols.fingerprint.as_deref(),
            seeded: false,
            created_at: at,
            updated_at: at,
        };
        let insert = || diesel::insert_into(ce::table).values(&values);
        // The row as written (its number given by the database), read by RETURNING.
        match self.conn() {
            AnyConnection::Sqlite(c) => insert().returning(EntryRow::as_returning()).get_result(c),
            AnyConnection::Postgresql(c) => {
                insert().returning(EntryRow::as_returning()).get_result(c)
            }
        }
        .map_err(repo_error)?
        .into_entry()
    }

    fn ensure_entry(
        &mut self,
        entry: &NewCatalogEntry,
        at: DateTime<Utc>,
    ) -> Result<CatalogEntry, RepoError> {
        use super::search::{Bind, Sql, execute_fixed};
        // A text a batch knows is answered from it; any other is a statement the
        // batch does not know, which settles it (`StoreTx::conn`), so that the insert
        // is inside the item's real savepoint.
        if let Some(known) = self.batched_text(entry) {
            return Ok(known);
        }
        if !entry.kind.unique_labels() || entry.item.is_some() {
            return self.insert_entry(entry, at);
        }
        let key = fold_case(&entry.label);
        // The same statement on both backends: ON CONFLICT on the partial unique index
        // of labels. On PostgreSQL a concurrent insert of the same label makes this
        // wait for it, then do nothing; the read below (a new statement) sees it.
        let pg = self.is_pg();
        let ts = |sql: &mut Sql| {
            if pg {
                sql.push("CAST(")
                    .bind(Bind::Text(
                        at.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
                    ))
                    .push(" AS TIMESTAMP)");
            } else {
                sql.bind(Bind::Text(
                    at.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
                ));
            }
        };
        let mut sql = Sql::new(pg);
        sql.push("INSERT INTO catalog_entries (id, kind, label, label_key, secret, seeded, created_at, updated_at) VALUES (")
            .bind(Bind::Text(entry.id.as_str().to_owned()))
            .push(", ")
            .bind(Bind::Text(entry.kind.as_str().to_owned()))
            .push(", ")
            .bind(Bind::Text(entry.label.clone()))
            .push(", ")
            .bind(Bind::Text(key.clone()))
            .push(if pg { ", FALSE, FALSE, " } else { ", 0, 0, " });
        ts(&mut sql);
        sql.push(", ");
        ts(&mut sql);
        sql.push(") ON CONFLICT (kind, label_key) WHERE kind <> 'items' DO NOTHING");
        if pg {
            // On PostgreSQL (a round trip a statement), the insert says what it made;
            // only a label that was there already is read back.
            sql.push(" RETURNING number");
            let made: Vec<super::search::Number> = match self.conn() {
                AnyConnection::Postgresql(c) => super::search::Fixed(&sql).load(c),
                AnyConnection::Sqlite(c) => super::search::Fixed(&sql).load(c),
            }
            .map_err(repo_error)?;
            if let Some(made) = made.first() {
                // As stored: timestamps to the microsecond.
                let at = DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at);
                return Ok(CatalogEntry {
                    id: entry.id.clone(),
                    number: made.number,
                    kind: entry.kind,
                    label: entry.label.clone(),
                    item: None,
                    seeded: false,
                    created_at: at,
                    updated_at: at,
                    description: None,
                });
            }
        } else {
            execute_fixed(self.conn(), &sql)?;
        }
        self.entry_by_label(entry.kind, &entry.label)?
            .ok_or_else(|| {
                RepoError::Internal(format!(
                    "the {} entry {:?} vanished",
                    entry.kind, entry.label
                ))
            })
    }

    fn entry_usage(
        &mut self,
        id: &EntryId,
        scope: Option<&[EntryId]>,
    ) -> Result<EntryUsage, RepoError> {
        use super::search::{Bind, Count, Sql, run_sql};
        #[derive(diesel::QueryableByName)]
        struct IdRow {
            #[diesel(sql_type = diesel::sql_types::Text)]
            id: String,
        }
        let pg = self.is_pg();
        // The auths that use the entry in any section.
        let users = |sql: &mut Sql| {
            let t = || Bind::Text(id.as_str().to_owned());
            sql.push("SELECT number AS x FROM auths WHERE name_id = ")
                .bind(t())
                .push(" OR description_id = ")
                .bind(t())
                .push(" OR flag_id = ")
                .bind(t())
                .push(" UNION SELECT auth_number AS x FROM auth_links WHERE entry_id = ")
                .bind(t());
        };
        let mut sql = Sql::new(pg);
        sql.push("SELECT DISTINCT d.entry_id AS id FROM auth_links d WHERE d.kind = 'departments' AND d.auth_number IN (");
        users(&mut sql);
        sql.push(") ORDER BY id");
        let departments = run_sql!(self.conn(), &sql, load::<IdRow>)?
            .into_iter()
            .map(|r| {
                EntryId::parse(&r.id)
                    .map_err(|_| RepoError::Internal("corrupt department link".into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let outside_scope = match scope {
            None => 0,
            Some(scope) => {
                let mut sql = Sql::new(pg);
                sql.push("SELECT COUNT(*) AS n FROM (");
                users(&mut sql);
                sql.push(") u WHERE u.x NOT IN (SELECT auth_number FROM auth_links WHERE kind = 'departments' AND entry_id IN ")
                    .in_list(scope)
                    .push(")");
                let rows: Vec<Count> = run_sql!(self.conn(), &sql, load::<Count>)?;
                rows.first().map_or(0, |c| u64::try_from(c.n).unwrap_or(0))
            }
        };
        let mut count = Sql::new(pg);
        count.push("SELECT COUNT(*) AS n FROM (");
        users(&mut count);
        count.push(") u");
        let users = run_sql!(self.conn(), &count, load::<Count>)?
            .first()
            .map_or(0, |c| u64::try_from(c.n).unwrap_or(0));
        // A home counts only while no auth uses the entry.
        let home = if users == 0 { self.home_of(id)? } else { None };
        Ok(EntryUsage {
            departments,
            users,
            outside_scope,
            home,
        })
    }

    fn home_unused(&mut self, ids: &[EntryId], home: &[EntryId]) -> Result<(), RepoError> {
        use super::search::{Sql, run_sql};
        use crate::schema::entry_homes as eh;
        #[derive(diesel::QueryableByName)]
        struct IdRow {
            #[diesel(sql_type = diesel::sql_types::Text)]
            id: String,
        }
        if ids.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new(self.is_pg());
        sql.push("SELECT ce.id AS id FROM catalog_entries ce WHERE ce.id IN ")
            .in_list(ids)
            .push(" AND NOT EXISTS (SELECT 1 FROM auths a WHERE a.name_id = ce.id OR a.description_id = ce.id OR a.flag_id = ce.id)")
            .push(" AND NOT EXISTS (SELECT 1 FROM auth_links l WHERE l.kind = ce.kind AND l.entry_id = ce.id)");
        let unused: Vec<String> = run_sql!(self.conn(), &sql, load::<IdRow>)?
            .into_iter()
            .map(|r| r.id)
            .collect();
        if unused.is_empty() {
            return Ok(());
        }
        diesel::update(ce::table.filter(ce::id.eq_any(&unused)))
            .set(ce::homed.eq(true))
            .execute(self.conn())
            .map_err(repo_error)?;
        diesel::delete(eh::table.filter(eh::entry_id.eq_any(&unused)))
            .execute(self.conn())
            .map_err(repo_error)?;
        let rows: Vec<_> = unused
            .iter()
            .flat_map(|e| {
                home.iter().map(move |d| {
                    (
                        eh::entry_id.eq(e.clone()),
                        eh::department_id.eq(d.as_str().to_owned()),
                    )
                })
            })
            .collect();
        if !rows.is_empty() {
            match self.conn() {
                AnyConnection::Sqlite(c) => diesel::insert_into(eh::table).values(&rows).execute(c),
                AnyConnection::Postgresql(c) => {
                    diesel::insert_into(eh::table).values(&rows).execute(c)
                }
            }
            .map_err(repo_error)?;
        }
        Ok(())
    }

    fn entry_by_number(
        &mut self,
        kind: CatalogKind,
        number: i64,
    ) -> Result<Option<CatalogEntry>, RepoError> {
        ce::table
            .filter(ce::kind.eq(kind.as_str()))
            .filter(ce::number.eq(number))
            .select(EntryRow::as_select())
            .load(self.conn())
            .one()
            .map_err(repo_error)?
            .map(EntryRow::into_entry)
            .transpose()
    }

    fn update_entry(
        &mut self,
        kind: CatalogKind,
        id: &EntryId,
        label: &str,
        item: Option<&ItemData>,
        at: DateTime<Utc>,
    ) -> Result<Option<CatalogEntry>, RepoError> {
        let target = ce::table
            .filter(ce::kind.eq(kind.as_str()))
            .filter(ce::id.eq(id.as_str()));
        let key = fold_case(label);
        let at = at.naive_utc();
        let cols = self.item_values(id.as_str(), item)?;
        let (plain, sealed, fingerprint) = (cols.plain, cols.sealed, cols.fingerprint);
        let base = (
            ce::label.eq(label),
            ce::label_key.eq(&key),
            ce::updated_at.eq(at),
        );
        // The row as changed, read by RETURNING; none when there is no such entry.
        let rows: Vec<EntryRow> = match (self.conn(), item) {
            (AnyConnection::Sqlite(c), Some(i)) => diesel::update(target)
                .set((
                    base,
                    ce::item_key.eq(i.key.as_str()),
                    ce::item_value.eq(plain),
                    ce::secret.eq(i.secret),
                    ce::sealed_value.eq(sealed.as_deref()),
                    ce::fingerprint.eq(fingerprint.as_deref()),
                ))
                .returning(EntryRow::as_returning())
                .get_results(c),
            (AnyConnection::Postgresql(c), Some(i)) => diesel::update(target)
                .set((
                    base,
                    ce::item_key.eq(i.key.as_str()),
                    ce::item_value.eq(plain),
                    ce::secret.eq(i.secret),
                    ce::sealed_value.eq(sealed.as_deref()),
                    ce::fingerprint.eq(fingerprint.as_deref()),
                ))
                .returning(EntryRow::as_returning())
                .get_results(c),
            (AnyConnection::Sqlite(c), None) => diesel::update(target)
                .set(base)
                .returning(EntryRow::as_returning())
                .get_results(c),
            (AnyConnection::Postgresql(c), None) => diesel::update(target)
                .set(base)
                .returning(EntryRow::as_returning())
                .get_results(c),
        }
        .map_err(repo_error)?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        // The auths that show this entry must be found by it and shown with it (search
        // rows and the form view come from the index) at once.
        self.reindex(crate::repo::search::Reindex::Using(id))?;
        row.into_entry().map(Some)
    }

    fn delete_entry(&mut self, kind: CatalogKind, id: &EntryId) -> Result<bool, RepoError> {
        diesel::delete(
            ce::table
                .filter(ce::kind.eq(kind.as_str()))
                .filter(ce::id.eq(id.as_str())),
        )
        .execute(self.conn())
        .map(|n| n > 0)
        .map_err(repo_error)
    }

    fn search_taxonomies(
        &mut self,
        kind: CatalogKind,
        query: &auths_domain::external::TaxonomyQuery,
    ) -> Result<Page<CatalogEntry>, RepoError> {
        self.taxonomies_page(kind, query)
    }

    fn list_entries(
        &mut self,
        kind: CatalogKind,
        search: Option<&str>,
        scope: Option<&[EntryId]>,
        page: PageRequest,
    ) -> Result<Page<CatalogEntry>, RepoError> {
        if let Some(scope) = scope
            && !matches!(kind, CatalogKind::Flags | CatalogKind::Protocols)
        {
            return self.list_visible(kind, search, scope, page);
        }
        let pattern = super::like_pattern(&fold_case(search.unwrap_or("").trim()));
        let matching = || {
            ce::table
                .filter(ce::kind.eq(kind.as_str()))
                .filter(ce::label_key.like(pattern.clone()).escape('\\'))
        };
        let total: i64 = matching()
            .count()
            .get_result(self.conn())
            .map_err(repo_error)?;
        let rows = matching()
            .order((ce::label_key.asc(), ce::number.asc()))
            .limit(i64::from(page.limit))
            .offset(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .select(EntryRow::as_select())
            .load(self.conn())
            .map_err(repo_error)?
            .into_iter()
            .map(EntryRow::into_entry)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            rows,
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}

/// The condition, on `catalog_entries ce`, that a caller limited to `scope` sees the
/// entry (`auths_domain::principal::entry_visible`): departments of the scope; other
/// entries used by an auth with a department of the scope, or unused and either not
/// homed (everyone's) or homed in a department of the scope.
pub(crate) fn visible(sql: &mut super::search::Sql, kind: CatalogKind, scope: &[EntryId]) {
    if kind == CatalogKind::Departments {
        sql.push("ce.id IN ").in_list(scope);
        return;
    }
    // The auths that use the entry (`u.n`), from the table its section is kept in.
    let users = |sql: &mut super::search::Sql| match kind {
        CatalogKind::Names => {
            sql.push("SELECT a.number AS n FROM auths a WHERE a.name_id = ce.id");
        }
        CatalogKind::Descriptions => {
            sql.push("SELECT a.number AS n FROM auths a WHERE a.description_id = ce.id");
        }
        _ => {
            sql.push("SELECT l.auth_number AS n FROM auth_links l WHERE l.kind = '")
                .push(kind.as_str())
                .push("' AND l.entry_id = ce.id");
        }
    };
    sql.push("((NOT EXISTS (");
    users(sql);
    sql.push(") AND (NOT ce.homed OR EXISTS (SELECT 1 FROM entry_homes h WHERE h.entry_id = ce.id AND h.department_id IN ")
        .in_list(scope)
        .push("))) OR EXISTS (SELECT 1 FROM (");
    users(sql);
    sql.push(") u JOIN auth_links d ON d.auth_number = u.n WHERE d.kind = 'departments' AND d.entry_id IN ")
        .in_list(scope)
        .push("))");
}

impl StoreTx {
    /// Where the entry `id` belongs while unused (`EntryUsage::home`).
    fn home_of(&mut self, id: &EntryId) -> Result<Option<Vec<EntryId>>, RepoError> {
        use crate::schema::entry_homes as eh;
        let homed: Option<bool> = ce::table
            .filter(ce::id.eq(id.as_str()))
            .select(ce::homed)
            .first(self.conn())
            .optional()
            .map_err(repo_error)?;
        if homed != Some(true) {
            return Ok(None);
        }
        let ids: Vec<String> = eh::table
            .filter(eh::entry_id.eq(id.as_str()))
            .select(eh::department_id)
            .order(eh::department_id.asc())
            .load(self.conn())
            .map_err(repo_error)?;
        ids.iter()
            .map(|d| {
                EntryId::parse(d).map_err(|_| RepoError::Internal("corrupt entry home".into()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A catalog's entries that a caller limited to `scope` sees, by label.
    fn list_visible(
        &mut self,
        kind: CatalogKind,
        search: Option<&str>,
        scope: &[EntryId],
        page: PageRequest,
    ) -> Result<Page<CatalogEntry>, RepoError> {
        use super::search::Bind;
        let pattern = super::like_pattern(&fold_case(search.unwrap_or("").trim()));
        self.entries_where(
            kind,
            |sql| {
                sql.push("ce.label_key LIKE ")
                    .bind(Bind::Text(pattern.clone()))
                    .push(" ESCAPE '\\' AND ");
                visible(sql, kind, scope);
            },
            "ce.label_key, ce.number",
            page,
        )
    }

    /// One page of the entries of `kind` meeting `condition` (SQL on
    /// `catalog_entries ce`), in `order` (SQL), and how many meet it.
    pub(crate) fn entries_where(
        &mut self,
        kind: CatalogKind,
        condition: impl Fn(&mut super::search::Sql),
        order: &str,
        page: PageRequest,
    ) -> Result<Page<CatalogEntry>, RepoError> {
        use super::search::{Bind, Count, Number, Sql, run_sql};
        let pg = self.is_pg();
        let mut from = Sql::new(pg);
        from.push(" FROM catalog_entries ce WHERE ce.kind = ")
            .bind(Bind::Text(kind.as_str().to_owned()))
            .push(" AND (");
        condition(&mut from);
        from.push(")");
        let mut count = Sql::new(pg);
        count.push("SELECT COUNT(*) AS n");
        count.append(&from);
        let total = run_sql!(self.conn(), &count, load::<Count>)?
            .first()
            .map_or(0, |c| u64::try_from(c.n).unwrap_or(0));
        let mut numbers = Sql::new(pg);
        numbers.push("SELECT ce.number AS number");
        numbers.append(&from);
        numbers
            .push(" ORDER BY ")
            .push(order)
            .push(" LIMIT ")
            .bind(Bind::Int(i64::from(page.limit)))
            .push(" OFFSET ")
            .bind(Bind::Int(i64::try_from(page.offset).unwrap_or(i64::MAX)));
        let numbers: Vec<i64> = run_sql!(self.conn(), &numbers, load::<Number>)?
            .into_iter()
            .map(|n| n.number)
            .collect();
        let mut by_number = std::collections::HashMap::with_capacity(numbers.len());
        for chunk in numbers.chunks(super::CHUNK) {
            let rows = ce::table
                .filter(ce::number.eq_any(chunk))
                .select(EntryRow::as_select())
                .load(self.conn())
                .map_err(repo_error)?;
            by_number.extend(rows.into_iter().map(|r| (r.number, r)));
        }
        Ok(Page {
            rows: numbers
                .iter()
                .filter_map(|n| by_number.remove(n))
                .map(EntryRow::into_entry)
                .collect::<Result<Vec<_>, _>>()?,
            total,
        })
    }
}
