//! What an exact read must ask PostgreSQL first, for many requests at once: the data
//! generation and, for each form view among them, its reader's newest draft of the
//! auth. One statement of one shape (the keys bound as two arrays), which the
//! connection prepares once; the requests share it through [`crate::coalesce`].

use std::collections::HashMap;

use auths_domain::RepoError;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Nullable, Text};

/// A request's key: `None` for the generation alone, or the auth and reader of a form
/// view.
pub(crate) type Key = Option<(String, String)>;

/// What a shared read answers.
#[derive(Debug)]
pub(crate) struct Fresh {
    /// The data generation.
    pub(crate) generation: i64,
    /// By (auth id, reader): the version of the reader's newest draft of the auth.
    drafts: HashMap<(String, String), i64>,
}

impl Fresh {
    /// The version of `owner`'s newest draft of `auth_id`, as read.
    pub(crate) fn draft_version(&self, auth_id: &str, owner: &str) -> Option<i64> {
        self.drafts
            .get(&(auth_id.to_owned(), owner.to_owned()))
            .copied()
    }
}

struct Statement {
    auths: Vec<String>,
    owners: Vec<String>,
}

impl QueryId for Statement {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for Statement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // At least one row (the generation), with or without keys.
        out.push_sql(
            "SELECT g.value AS generation, k.auth_id, k.owner_id, \
             (SELECT d.version FROM drafts d WHERE d.owner_id = k.owner_id \
             AND d.auth_id = k.auth_id ORDER BY d.updated_at DESC, d.draft_id DESC LIMIT 1) \
             AS draft_version FROM data_generation g LEFT JOIN unnest(",
        );
        out.push_bind_param::<Array<Text>, _>(&self.auths)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.owners)?;
        out.push_sql(") AS k (auth_id, owner_id) ON TRUE WHERE g.id = 1");
        Ok(())
    }
}

impl Query for Statement {
    type SqlType = diesel::sql_types::Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Statement {}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    generation: i64,
    #[diesel(sql_type = Nullable<Text>)]
    auth_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    owner_id: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    draft_version: Option<i64>,
}

/// Reads the generation and the drafts of `keys` in one statement.
///
/// # Errors
/// Storage failures.
pub(crate) fn read(c: &mut PgConnection, keys: Vec<Key>) -> Result<Fresh, RepoError> {
    let mut pairs: Vec<(String, String)> = keys.into_iter().flatten().collect();
    pairs.sort_unstable();
    pairs.dedup();
    let (auths, owners) = pairs.into_iter().unzip();
    let rows: Vec<Row> = Statement { auths, owners }
        .load(c)
        .map_err(crate::error::repo_error)?;
    let generation = rows
        .first()
        .map(|r| r.generation)
        .ok_or_else(|| RepoError::Internal("no data generation".into()))?;
    let drafts = rows
        .into_iter()
        .filter_map(|r| Some(((r.auth_id?, r.owner_id?), r.draft_version?)))
        .collect();
    Ok(Fresh { generation, drafts })
}
