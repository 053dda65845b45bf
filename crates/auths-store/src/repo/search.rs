//! What a write tells the search index (which auths changed, their name keys), and the
//! SQL helpers the store's raw statements use. `/search` answers from memory
//! ([`super::search_index`]); the database keeps no full-text index of its own.
//!
//! The index is derived data: one row an auth, holding the labels of its name,
//! description, slugs, protocols and departments. Every write that changes what an
//! auth's row would hold re-indexes that auth in the same transaction, so a search
//! reflects every committed write. [`StoreTx::reindex`] is the only code that writes it.
//!
//! Queries are built as text with bind parameters only: search terms (already reduced
//! to letters and digits by the domain), ids and numbers are always bound, never
//! spliced.

use auths_domain::{EntryId, RepoError};
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

/// Rows of a [`Fixed`] statement load by name (`QueryableByName`), like `sql_query`'s.
impl diesel::query_builder::Query for Fixed<'_> {
    type SqlType = diesel::sql_types::Untyped;
}

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

/// Which auths to re-index.
#[derive(Debug, Clone)]
pub(crate) enum Reindex<'a> {
    /// An auth just inserted (its insert set its name key).
    New(i64),
    /// One auth.
    One(i64),
    /// Every auth that uses this catalog entry in any section.
    Using(&'a EntryId),
    /// Every auth.
    All,
}

impl StoreTx {
    pub(crate) fn is_pg(&mut self) -> bool {
        matches!(self.raw_conn(), AnyConnection::Postgresql(_))
    }

    /// Marks the auths `which` names as changed for every instance's search index
    /// ([`super::search_index`]), and sets the name keys (the order of names) of those
    /// whose name may have changed. A new auth's key was set by its insert.
    pub(crate) fn reindex(&mut self, which: Reindex<'_>) -> Result<(), RepoError> {
        let pg = self.is_pg();
        let mut filter = Sql::new(pg);
        match which {
            Reindex::New(n) => {
                self.search_touched(Some(n));
                return Ok(());
            }
            Reindex::One(n) => {
                self.search_touched(Some(n));
                filter.push("a.number = ").bind(Bind::Int(n));
            }
            Reindex::Using(id) => {
                let id = id.as_str().to_owned();
                filter
                    .push("(a.name_id = ")
                    .bind(Bind::Text(id.clone()))
                    .push(" OR a.description_id = ")
                    .bind(Bind::Text(id.clone()))
                    .push(" OR a.flag_id = ")
                    .bind(Bind::Text(id.clone()))
                    .push(" OR a.number IN (SELECT auth_number FROM auth_links WHERE entry_id = ")
                    .bind(Bind::Text(id))
                    .push("))");
                let mut numbers = Sql::new(pg);
                numbers.push("SELECT a.number AS number FROM auths a WHERE ");
                numbers.text.push_str(&filter.text);
                numbers.binds.extend(filter.binds.iter().cloned());
                for n in run_sql!(self.conn(), &numbers, load::<Number>)? {
                    self.search_touched(Some(n.number));
                }
            }
            Reindex::All => {
                self.search_touched(None);
                filter.push("1 = 1");
            }
        }
        let mut sql = Sql::new(pg);
        sql.push("UPDATE auths SET name_key = (SELECT label_key FROM catalog_entries WHERE catalog_entries.id = auths.name_id) WHERE number IN (SELECT a.number FROM auths a WHERE ");
        sql.text.push_str(&filter.text);
        sql.binds.extend(filter.binds);
        sql.push(")");
        execute_fixed(self.conn(), &sql).map(drop)
    }

    /// Marks a deleted auth as changed for every instance's search index.
    pub(crate) fn unindex(&mut self, number: i64) {
        self.search_touched(Some(number));
    }
}
