//! The rows a batch queues and the statements that read and write them at once.

use std::collections::HashSet;

use auths_domain::values::fold_case;
use auths_domain::{NewCatalogEntry, RepoError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::Batch;
use crate::error::repo_error;
use crate::repo::search::{Bind, Sql, run_sql};
use crate::schema::{
    audit_departments as ad, audit_log as au, auth_links as al, auth_versions as av, auths as a,
};

/// Rows a multi-row insert writes at most (PostgreSQL binds at most 65,535 values a
/// statement; an auth row binds 12).
pub(super) const ROWS: usize = 1_000;

/// A queued write.
pub(super) enum Queued {
    Auth(QueuedAuth),
    Version(QueuedVersion),
    Audit(QueuedAudit),
}

#[derive(Insertable)]
#[diesel(table_name = a)]
pub(super) struct QueuedAuth {
    pub(super) number: i64,
    pub(super) auth_id: String,
    pub(super) group_id: String,
    pub(super) name_id: String,
    pub(super) description_id: Option<String>,
    pub(super) flag_id: String,
    pub(super) version: i64,
    pub(super) created_at: NaiveDateTime,
    pub(super) updated_at: NaiveDateTime,
    pub(super) created_by: String,
    pub(super) updated_by: String,
    pub(super) name_key: String,
    #[diesel(skip_insertion)]
    pub(super) links: Vec<(&'static str, String)>,
}

#[derive(Insertable)]
#[diesel(table_name = av)]
pub(super) struct QueuedVersion {
    pub(super) auth_id: String,
    pub(super) version: i64,
    pub(super) at: NaiveDateTime,
    pub(super) actor_name: String,
    pub(super) channel: &'static str,
    pub(super) operation: String,
    pub(super) content: String,
}

#[derive(Insertable)]
#[diesel(table_name = au)]
pub(super) struct QueuedAudit {
    pub(super) number: i64,
    pub(super) at: NaiveDateTime,
    pub(super) actor_id: String,
    pub(super) actor_name: String,
    pub(super) channel: &'static str,
    pub(super) operation: String,
    pub(super) auth_id: Option<String>,
    pub(super) before: Option<String>,
    pub(super) after: Option<String>,
    pub(super) client: Option<String>,
    #[diesel(skip_insertion)]
    pub(super) departments: Vec<String>,
}

#[derive(QueryableByName)]
pub(super) struct Made {
    #[diesel(sql_type = BigInt)]
    pub(super) number: i64,
    #[diesel(sql_type = Text)]
    pub(super) id: String,
}

#[derive(QueryableByName)]
pub(super) struct Drawn {
    #[diesel(sql_type = BigInt)]
    pub(super) auth: i64,
    #[diesel(sql_type = BigInt)]
    pub(super) audit: i64,
}

/// Adds the texts' entries that are missing, in one statement; answers those it added
/// (a text that is there already, or added concurrently, is not in the answer).
pub(super) fn insert_texts(
    c: &mut crate::pool::AnyConnection,
    texts: &[NewCatalogEntry],
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Made>, RepoError> {
    let mut seen = HashSet::new();
    let mut texts: Vec<(String, &NewCatalogEntry)> = texts
        .iter()
        .filter(|t| t.kind.unique_labels() && seen.insert((t.kind, fold_case(&t.label))))
        .map(|t| (fold_case(&t.label), t))
        .collect();
    // In the order of every other writer of texts (names before descriptions, as an
    // item adds them; then by key): two writers adding the same texts wait for each
    // other instead of deadlocking.
    let rank = |t: &NewCatalogEntry| u8::from(t.kind != auths_domain::CatalogKind::Names);
    texts.sort_by(|a, b| (rank(a.1), &a.0).cmp(&(rank(b.1), &b.0)));
    let texts: Vec<&NewCatalogEntry> = texts.into_iter().map(|(_, t)| t).collect();
    let mut made = Vec::new();
    let stamp = at.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string();
    for chunk in texts.chunks(ROWS) {
        let mut sql = Sql::new(true);
        sql.push("INSERT INTO catalog_entries (id, kind, label, label_key, secret, seeded, created_at, updated_at) VALUES ");
        for (i, t) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind(Bind::Text(t.id.as_str().to_owned()))
                .push(", ")
                .bind(Bind::Text(t.kind.as_str().to_owned()))
                .push(", ")
                .bind(Bind::Text(t.label.clone()))
                .push(", ")
                .bind(Bind::Text(fold_case(&t.label)))
                .push(", FALSE, FALSE, CAST(")
                .bind(Bind::Text(stamp.clone()))
                .push(" AS TIMESTAMP), CAST(")
                .bind(Bind::Text(stamp.clone()))
                .push(" AS TIMESTAMP))");
        }
        sql.push(
            " ON CONFLICT (kind, label_key) WHERE kind <> 'items' DO NOTHING RETURNING number, id",
        );
        made.extend(run_sql!(&mut *c, &sql, load::<Made>)?);
    }
    Ok(made)
}

/// Draws `n` numbers from the sequences of auths and audit records, in one statement.
pub(super) fn draw_numbers(
    c: &mut diesel::PgConnection,
    batch: &mut Batch,
    n: usize,
) -> Result<(), RepoError> {
    let drawn: Vec<Drawn> = diesel::sql_query(
        "SELECT nextval(pg_get_serial_sequence('auths', 'number')) AS auth, \
         nextval(pg_get_serial_sequence('audit_log', 'number')) AS audit \
         FROM generate_series(1, $1)",
    )
    .bind::<BigInt, _>(i64::try_from(n.max(1)).unwrap_or(i64::MAX))
    .load(c)
    .map_err(repo_error)?;
    for d in drawn {
        batch.auth_numbers.push_back(d.auth);
        batch.audit_numbers.push_back(d.audit);
    }
    Ok(())
}

/// Writes queued rows: the auths, then their links, versions, audit records and the
/// records' departments, each table in multi-row inserts.
pub(super) fn write_queued(
    c: &mut diesel::PgConnection,
    queued: &[Queued],
) -> Result<(), RepoError> {
    let (mut auths, mut versions, mut audits) = (Vec::new(), Vec::new(), Vec::new());
    for q in queued {
        match q {
            Queued::Auth(x) => auths.push(x),
            Queued::Version(x) => versions.push(x),
            Queued::Audit(x) => audits.push(x),
        }
    }
    // Rows with unique keys in one order for every batch (names, slugs), so that two
    // batches naming the same free names wait for each other, not deadlock.
    auths.sort_by(|x, y| x.name_id.cmp(&y.name_id));
    for chunk in auths.chunks(ROWS) {
        diesel::insert_into(a::table)
            .values(chunk.to_vec())
            .execute(c)
            .map_err(repo_error)?;
    }
    let mut keys: Vec<(&str, &str, i64)> = auths
        .iter()
        .flat_map(|x| {
            x.links
                .iter()
                .map(|(kind, id)| (id.as_str(), *kind, x.number))
        })
        .collect();
    keys.sort_unstable();
    let links: Vec<_> = keys
        .into_iter()
        .map(|(id, kind, number)| {
            (
                al::auth_number.eq(number),
                al::kind.eq(kind),
                al::entry_id.eq(id),
            )
        })
        .collect();
    for chunk in links.chunks(ROWS) {
        diesel::insert_into(al::table)
            .values(chunk)
            .execute(c)
            .map_err(repo_error)?;
    }
    for chunk in versions.chunks(ROWS) {
        diesel::insert_into(av::table)
            .values(chunk.to_vec())
            .execute(c)
            .map_err(repo_error)?;
    }
    for chunk in audits.chunks(ROWS) {
        diesel::insert_into(au::table)
            .values(chunk.to_vec())
            .execute(c)
            .map_err(repo_error)?;
    }
    let departments: Vec<_> = audits
        .iter()
        .flat_map(|x| {
            x.departments
                .iter()
                .map(|d| (ad::audit_number.eq(x.number), ad::entry_id.eq(d.as_str())))
        })
        .collect();
    for chunk in departments.chunks(ROWS) {
        diesel::insert_into(ad::table)
            .values(chunk)
            .execute(c)
            .map_err(repo_error)?;
    }
    Ok(())
}
