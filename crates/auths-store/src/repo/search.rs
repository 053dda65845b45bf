//! Full-text search and its index: SQLite FTS5, PostgreSQL tsvector with GIN.
//!
//! The index is derived data: one row an auth, holding the labels of its name,
//! description, slugs, protocols and departments. Every write that changes what an
//! auth's row would hold re-indexes that auth in the same transaction, so a search
//! reflects every committed write. [`StoreTx::reindex`] is the only code that writes it.
//!
//! Queries are built as text with bind parameters only: search terms (already reduced
//! to letters and digits by the domain), ids and numbers are always bound, never
//! spliced.

use auths_domain::{AuthHits, AuthQuery, EntryId, RepoError};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::StoreTx;
use crate::pool::AnyConnection;

/// A bound value.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Text(String),
    Int(i64),
}

/// SQL text and its binds, with the backend's placeholder style.
#[derive(Debug)]
pub(crate) struct Sql {
    pub(crate) pg: bool,
    pub(crate) text: String,
    pub(crate) binds: Vec<Bind>,
}

impl Sql {
    pub(crate) fn new(pg: bool) -> Self {
        Self {
            pg,
            text: String::new(),
            binds: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    pub(crate) fn bind(&mut self, b: Bind) -> &mut Self {
        self.binds.push(b);
        if self.pg {
            let n = self.binds.len();
            self.text.push_str(&format!("${n}"));
        } else {
            self.text.push('?');
        }
        self
    }

    /// Appends `tail`, a fragment built on its own, to a head that binds nothing yet (so
    /// that PostgreSQL's numbered placeholders stay right).
    pub(crate) fn append(&mut self, tail: &Self) -> &mut Self {
        debug_assert!(
            self.binds.is_empty(),
            "a head with binds would renumber them"
        );
        self.text.push_str(&tail.text);
        self.binds.extend(tail.binds.iter().cloned());
        self
    }

    pub(crate) fn in_list(&mut self, ids: &[EntryId]) -> &mut Self {
        if ids.is_empty() {
            return self.push("(NULL)");
        }
        self.push("(");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(Bind::Text(id.as_str().to_owned()));
        }
        self.push(")")
    }
}

/// An [`Sql`] of a fixed shape (the same text whatever the values bound), run so that
/// the connection prepares it once and keeps it: diesel's `sql_query` is never cached,
/// and a statement prepared for every row written was the larger part of a write's
/// cost. Only for statements whose placeholders appear once each, in bind order, and
/// whose text takes no more than a few shapes (the cache is per connection and keyed by
/// the text).
pub(crate) struct Fixed<'a>(pub(crate) &'a Sql);

impl diesel::query_builder::QueryId for Fixed<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB> diesel::query_builder::QueryFragment<DB> for Fixed<'_>
where
    DB: diesel::backend::Backend
        + diesel::sql_types::HasSqlType<Text>
        + diesel::sql_types::HasSqlType<BigInt>,
    String: diesel::serialize::ToSql<Text, DB>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        let mut rest = self.0.text.as_str();
        let mut binds = self.0.binds.iter();
        while let Some((start, end)) = placeholder(rest, self.0.pg) {
            out.push_sql(&rest[..start]);
            match binds.next() {
                Some(Bind::Text(s)) => out.push_bind_param::<Text, _>(s)?,
                Some(Bind::Int(n)) => out.push_bind_param::<BigInt, _>(n)?,
                None => {
                    return Err(diesel::result::Error::QueryBuilderError(
                        "a placeholder without a bound value".into(),
                    ));
                }
            }
            rest = &rest[end..];
        }
        if binds.next().is_some() {
            return Err(diesel::result::Error::QueryBuilderError(
                "a bound value without a placeholder".into(),
            ));
        }
        out.push_sql(rest);
        Ok(())
    }
}

impl<Conn> diesel::RunQueryDsl<Conn> for Fixed<'_> {}

/// Where the next placeholder of `text` is: `?` (SQLite) or `$n` (PostgreSQL).
fn placeholder(text: &str, pg: bool) -> Option<(usize, usize)> {
    if pg {
        let start = text.find('$')?;
        let digits = text[start + 1..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        Some((start, start + 1 + digits))
    } else {
        text.find('?').map(|start| (start, start + 1))
    }
}

/// Executes a [`Fixed`] statement on the concrete backend.
pub(crate) fn execute_fixed(conn: &mut AnyConnection, sql: &Sql) -> Result<usize, RepoError> {
    match conn {
        AnyConnection::Sqlite(c) => Fixed(sql).execute(c),
        AnyConnection::Postgresql(c) => Fixed(sql).execute(c),
    }
    .map_err(crate::error::repo_error)
}

/// Runs an [`Sql`] on the concrete backend with its binds.
macro_rules! run_sql {
    ($conn:expr, $sql:expr, $method:ident $(::<$t:ty>)?) => {{
        let sql: &$crate::repo::search::Sql = $sql;
        match $conn {
            $crate::pool::AnyConnection::Sqlite(c) => {
                let mut q = diesel::sql_query(sql.text.as_str()).into_boxed::<diesel::sqlite::Sqlite>();
                for b in &sql.binds {
                    q = match b {
                        $crate::repo::search::Bind::Text(s) => q.bind::<diesel::sql_types::Text, _>(s.clone()),
                        $crate::repo::search::Bind::Int(n) => q.bind::<diesel::sql_types::BigInt, _>(*n),
                    };
                }
                q.$method$(::<$t>)?(c)
            }
            $crate::pool::AnyConnection::Postgresql(c) => {
                let mut q = diesel::sql_query(sql.text.as_str()).into_boxed::<diesel::pg::Pg>();
                for b in &sql.binds {
                    q = match b {
                        $crate::repo::search::Bind::Text(s) => q.bind::<diesel::sql_types::Text, _>(s.clone()),
                        $crate::repo::search::Bind::Int(n) => q.bind::<diesel::sql_types::BigInt, _>(*n),
                    };
                }
                q.$method$(::<$t>)?(c)
            }
        }
        .map_err($crate::error::repo_error)
    }};
}
pub(crate) use run_sql;

#[derive(QueryableByName)]
pub(crate) struct Count {
    #[diesel(sql_type = BigInt)]
    pub(crate) n: i64,
}

#[derive(QueryableByName)]
pub(crate) struct Number {
    #[diesel(sql_type = BigInt)]
    pub(crate) number: i64,
}

#[derive(QueryableByName)]
struct FacetRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Which auths to re-index.
#[derive(Debug, Clone)]
pub(crate) enum Reindex<'a> {
    /// An auth just inserted (its name key is set, it has no search row yet).
    New(i64),
    /// One auth.
    One(i64),
    /// Every auth that uses this catalog entry in any section.
    Using(&'a EntryId),
    /// Every auth.
    All,
}

/// The labels of one kind of link of auth `a`, joined by spaces.
///
/// On PostgreSQL each label is a subquery by primary key rather than a join: a join's
/// plan depends on the table statistics, and before the first ANALYZE of a freshly
/// loaded database PostgreSQL hash-joined the whole catalog for every auth written
/// (17 ms an auth, three times). A lookup by key has one plan.
fn labels(kind: &str, pg: bool) -> String {
    if pg {
        format!(
            "COALESCE((SELECT string_agg((SELECT e.label FROM catalog_entries e WHERE e.id = l.entry_id), ' ') \
             FROM auth_links l WHERE l.auth_number = a.number AND l.kind = '{kind}'), '')"
        )
    } else {
        format!(
            "COALESCE((SELECT group_concat(e.label, ' ') FROM auth_links l JOIN catalog_entries e ON e.id = l.entry_id \
             WHERE l.auth_number = a.number AND l.kind = '{kind}'), '')"
        )
    }
}

/// PostgreSQL's parser keeps `ldap.example.com` or `a-b` as one token; SQLite's
/// unicode61 splits them. Splitting on anything but letters and digits first makes both
/// backends index the same words.
fn pg_words(expr: &str, weight: char) -> String {
    format!(
        "setweight(to_tsvector('simple', regexp_replace({expr}, '[^[:alnum:]]+', ' ', 'g')), '{weight}')"
    )
}

impl StoreTx {
    pub(crate) fn is_pg(&mut self) -> bool {
        matches!(self.conn(), AnyConnection::Postgresql(_))
    }

    /// Rewrites the search rows (and name keys) of the auths `which` names.
    pub(crate) fn reindex(&mut self, which: Reindex<'_>) -> Result<(), RepoError> {
        match which {
            Reindex::New(n) if self.savepoints > 0 => {
                // Inside a savepoint (an item of a bulk write): written once, before the
                // commit. An FTS5 table written inside a savepoint flushes its pending
                // index at every later savepoint; deferred, it flushes once.
                self.index_later.push(n);
                return Ok(());
            }
            Reindex::One(n) => self.index_later.retain(|x| *x != n),
            Reindex::Using(_) | Reindex::All => self.index_deferred()?,
            Reindex::New(_) => {}
        }
        let pg = self.is_pg();
        let mut filter = Sql::new(pg);
        match &which {
            Reindex::One(n) | Reindex::New(n) => {
                filter.push("a.number = ").bind(Bind::Int(*n));
            }
            Reindex::Using(id) => {
                let id = id.as_str().to_owned();
                filter
                    .push("(a.name_id = ")
                    .bind(Bind::Text(id.clone()))
                    .push(" OR a.description_id = ")
                    .bind(Bind::Text(id.clone()))
                    .push(" OR a.number IN (SELECT auth_number FROM auth_links WHERE entry_id = ")
                    .bind(Bind::Text(id))
                    .push("))");
            }
            Reindex::All => {
                filter.push("1 = 1");
            }
        }

        if !matches!(which, Reindex::New(_)) {
            self.drop_search_rows(&which, &filter)?;
        }
        let mut sql = Sql::new(pg);
        if pg {
            sql.push(&format!(
                "INSERT INTO auth_search (auth_number, document) SELECT a.number, {} || {} || {} || {} || {} \
                 FROM auths a JOIN catalog_entries n ON n.id = a.name_id \
                 LEFT JOIN catalog_entries d ON d.id = a.description_id WHERE ",
                pg_words("n.label", 'A'),
                pg_words("COALESCE(d.label, '')", 'B'),
                pg_words(&labels("slugs", true), 'B'),
                pg_words(&labels("protocols", true), 'C'),
                pg_words(&labels("departments", true), 'C'),
            ));
        } else {
            sql.push(&format!(
                "INSERT INTO auth_fts (rowid, name, description, slugs, protocols, departments) \
                 SELECT a.number, n.label, COALESCE(d.label, ''), {}, {}, {} \
                 FROM auths a JOIN catalog_entries n ON n.id = a.name_id \
                 LEFT JOIN catalog_entries d ON d.id = a.description_id WHERE ",
                labels("slugs", false),
                labels("protocols", false),
                labels("departments", false),
            ));
        }
        sql.text.push_str(&filter.text);
        sql.binds.extend(filter.binds);
        execute_fixed(self.conn(), &sql)?;
        Ok(())
    }

    /// Writes the search rows deferred by [`StoreTx::reindex`] (a no-op when none are).
    /// An auth inserted and then undone by its savepoint has no row to index: nothing
    /// is written for it.
    pub(crate) fn index_deferred(&mut self) -> Result<(), RepoError> {
        let mut numbers = std::mem::take(&mut self.index_later);
        numbers.sort_unstable();
        numbers.dedup();
        let depth = std::mem::replace(&mut self.savepoints, 0);
        let out = numbers
            .into_iter()
            .try_for_each(|n| self.reindex(Reindex::New(n)));
        self.savepoints = depth;
        out
    }

    /// Sets the name keys of the auths `which` names from their names, and drops their
    /// search rows, before they are written again.
    fn drop_search_rows(&mut self, which: &Reindex<'_>, filter: &Sql) -> Result<(), RepoError> {
        let pg = self.is_pg();
        let mut sql = Sql::new(pg);
        sql.push("UPDATE auths SET name_key = (SELECT label_key FROM catalog_entries WHERE catalog_entries.id = auths.name_id) WHERE number IN (SELECT a.number FROM auths a WHERE ");
        sql.text.push_str(&filter.text);
        sql.binds.extend(filter.binds.iter().cloned());
        sql.push(")");
        execute_fixed(self.conn(), &sql)?;

        // Drop the old rows (PostgreSQL's would go by cascade only on delete).
        let mut sql = Sql::new(pg);
        let table = if pg {
            "auth_search WHERE auth_number"
        } else {
            "auth_fts WHERE rowid"
        };
        sql.push(&format!(
            "DELETE FROM {table} IN (SELECT a.number FROM auths a WHERE "
        ));
        sql.text.push_str(&filter.text);
        sql.binds.extend(filter.binds.iter().cloned());
        sql.push(")");
        if matches!(which, Reindex::All) {
            sql = Sql::new(pg);
            sql.push(if pg {
                "DELETE FROM auth_search"
            } else {
                "DELETE FROM auth_fts"
            });
        }
        execute_fixed(self.conn(), &sql)?;
        Ok(())
    }

    /// Removes a deleted auth's search row (SQLite's virtual table has no cascade).
    pub(crate) fn unindex(&mut self, number: i64) -> Result<(), RepoError> {
        let pg = self.is_pg();
        let mut sql = Sql::new(pg);
        sql.push(if pg {
            "DELETE FROM auth_search WHERE auth_number = "
        } else {
            "DELETE FROM auth_fts WHERE rowid = "
        })
        .bind(Bind::Int(number));
        execute_fixed(self.conn(), &sql).map(drop)
    }

    /// How many auths are indexed.
    pub(crate) fn indexed_count(&mut self) -> Result<i64, RepoError> {
        let pg = self.is_pg();
        let mut sql = Sql::new(pg);
        sql.push(if pg {
            "SELECT COUNT(*) AS n FROM auth_search"
        } else {
            "SELECT COUNT(*) AS n FROM auth_fts"
        });
        let rows: Vec<Count> = run_sql!(self.conn(), &sql, load::<Count>)?;
        Ok(rows.first().map_or(0, |c| c.n))
    }

    /// `FROM ... WHERE ...` of the auths matching the terms and the scope, plus the
    /// department filter when `with_filter`; the expression of their number; and the
    /// ranking expression, if any. With `join`, `auths a` is joined (for ordering by
    /// name); without, a search reads the index alone (counting 20,000 matches costs
    /// 2 ms instead of 20).
    fn matching(
        &mut self,
        q: &AuthQuery,
        with_filter: bool,
        join: bool,
    ) -> (Sql, &'static str, Option<&'static str>) {
        let pg = self.is_pg();
        let mut sql = Sql::new(pg);
        let (number, rank) = if q.terms.is_empty() {
            sql.push(" FROM auths a WHERE 1 = 1");
            ("a.number", None)
        } else if pg {
            let tsquery: Vec<String> = q.terms.iter().map(|t| format!("{t}:*")).collect();
            sql.push(" FROM auth_search s");
            if join {
                sql.push(" JOIN auths a ON a.number = s.auth_number");
            }
            sql.push(" WHERE s.document @@ to_tsquery('simple', ")
                .bind(Bind::Text(tsquery.join(" & ")))
                .push(")");
            (
                "s.auth_number",
                Some("ts_rank(s.document, to_tsquery('simple', $1)) DESC"),
            )
        } else {
            let fts: Vec<String> = q.terms.iter().map(|t| format!("\"{t}\"*")).collect();
            sql.push(" FROM auth_fts");
            if join {
                sql.push(" JOIN auths a ON a.number = auth_fts.rowid");
            }
            sql.push(" WHERE auth_fts MATCH ")
                .bind(Bind::Text(fts.join(" AND ")));
            (
                "auth_fts.rowid",
                Some("bm25(auth_fts, 10.0, 4.0, 3.0, 2.0, 2.0)"),
            )
        };
        let filters = q
            .scope
            .iter()
            .chain(q.departments.iter().filter(|_| with_filter));
        for ids in filters {
            sql.push(&format!(
                " AND {number} IN (SELECT auth_number FROM auth_links WHERE kind = 'departments' AND entry_id IN "
            ))
            .in_list(ids)
            .push(")");
        }
        (sql, number, rank)
    }

    pub(crate) fn search(&mut self, q: &AuthQuery) -> Result<AuthHits, RepoError> {
        let (from, _, rank) = self.matching(q, true, true);
        let pg = from.pg;

        let (hits, _, _) = self.matching(q, true, false);
        let mut count = Sql::new(pg);
        count.push("SELECT COUNT(*) AS n");
        count.text.push_str(&hits.text);
        count.binds.extend(hits.binds);
        let total = run_sql!(self.conn(), &count, load::<Count>)?
            .first()
            .map_or(0, |c| c.n);

        let mut page = Sql::new(pg);
        page.push("SELECT a.number AS number");
        page.text.push_str(&from.text);
        page.binds.extend(from.binds.iter().cloned());
        page.push(" ORDER BY ");
        if let Some(r) = rank {
            page.push(r).push(", ");
        }
        page.push("a.name_key, a.number LIMIT ")
            .bind(Bind::Int(i64::from(q.page.limit)))
            .push(" OFFSET ")
            .bind(Bind::Int(i64::try_from(q.page.offset).unwrap_or(i64::MAX)));
        let numbers = run_sql!(self.conn(), &page, load::<Number>)?
            .into_iter()
            .map(|n| n.number)
            .collect();

        // The facet ignores the department filter itself. It walks from the matches to
        // their links (CROSS JOIN keeps SQLite from turning it around: scanning every
        // department link and probing the matches was 160 ms at 100k auths, for any
        // search); with neither words nor scope it counts the links alone.
        let mut facet = Sql::new(pg);
        if q.terms.is_empty() && q.scope.is_none() {
            facet.push("SELECT l.entry_id AS id, COUNT(*) AS n FROM auth_links l WHERE l.kind = 'departments' GROUP BY l.entry_id");
        } else {
            let (unfiltered, number, _) = self.matching(q, false, false);
            facet.push(&format!(
                "SELECT l.entry_id AS id, COUNT(*) AS n FROM (SELECT {number} AS number"
            ));
            facet.text.push_str(&unfiltered.text);
            facet.binds.extend(unfiltered.binds);
            facet.push(") m CROSS JOIN auth_links l WHERE l.auth_number = m.number AND l.kind = 'departments' GROUP BY l.entry_id");
        }
        let departments = run_sql!(self.conn(), &facet, load::<FacetRow>)?
            .into_iter()
            .map(|r| {
                Ok((
                    EntryId::parse(&r.id)
                        .map_err(|_| RepoError::Internal("corrupt department link".into()))?,
                    u64::try_from(r.n).unwrap_or(0),
                ))
            })
            .collect::<Result<Vec<_>, RepoError>>()?;

        Ok(AuthHits {
            numbers,
            total: u64::try_from(total).unwrap_or(0),
            departments,
        })
    }
}
