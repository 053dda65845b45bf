//! The versions of auths: one immutable row a published version, its content as JSON.

use auths_domain::history::{AuthVersion, VersionContent};
use auths_domain::{AuthId, Channel, Page, PageRequest, RepoError, VersionRepository};
use diesel::prelude::*;

use crate::db::{StoreTx, utc};
use crate::error::repo_error;
use crate::schema::auth_versions as av;

/// A version as stored.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = av)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct VersionRow {
    auth_id: String,
    version: i64,
    at: chrono::NaiveDateTime,
    actor_name: String,
    channel: String,
    operation: String,
    content: String,
}

fn corrupt(what: &str) -> RepoError {
    RepoError::Internal(format!("corrupt version row: {what}"))
}

impl VersionRow {
    fn into_version(self) -> Result<AuthVersion, RepoError> {
        Ok(AuthVersion {
            auth_id: AuthId::parse(&self.auth_id).map_err(|_| corrupt("auth_id"))?,
            version: self.version,
            at: utc(self.at),
            actor_name: self.actor_name,
            channel: match self.channel.as_str() {
                "mcp" => Channel::Mcp,
                _ => Channel::Api,
            },
            operation: self.operation,
            content: serde_json::from_str::<VersionContent>(&self.content)
                .map_err(|e| corrupt(&format!("content: {e}")))?,
        })
    }
}

impl VersionRepository for StoreTx {
    fn append_version(&mut self, v: &AuthVersion) -> Result<(), RepoError> {
        let content = serde_json::to_string(&v.content)
            .map_err(|e| RepoError::Internal(format!("version content: {e}")))?;
        if self.batch.is_some() {
            self.queue_version(v, content);
            return Ok(());
        }
        diesel::insert_into(av::table)
            .values((
                av::auth_id.eq(v.auth_id.as_str()),
                av::version.eq(v.version),
                av::at.eq(v.at.naive_utc()),
                av::actor_name.eq(&v.actor_name),
                av::channel.eq(v.channel.as_str()),
                av::operation.eq(&v.operation),
                av::content.eq(&content),
            ))
            .execute(self.conn())
            .map(|_| ())
            .map_err(repo_error)
    }

    fn versions(
        &mut self,
        auth_id: &AuthId,
        page: PageRequest,
    ) -> Result<Page<AuthVersion>, RepoError> {
        let total = av::table
            .filter(av::auth_id.eq(auth_id.as_str()))
            .count()
            .get_result::<i64>(self.conn())
            .map_err(repo_error)?;
        let rows = av::table
            .filter(av::auth_id.eq(auth_id.as_str()))
            .order(av::version.desc())
            .limit(i64::from(page.limit))
            .offset(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .select(VersionRow::as_select())
            .load(self.conn())
            .map_err(repo_error)?;
        Ok(Page {
            rows: rows
                .into_iter()
                .map(VersionRow::into_version)
                .collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    fn versions_numbered(
        &mut self,
        auth_id: &AuthId,
        numbers: &[i64],
    ) -> Result<Vec<AuthVersion>, RepoError> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        av::table
            .filter(av::auth_id.eq(auth_id.as_str()))
            .filter(av::version.eq_any(numbers.iter().take(super::CHUNK)))
            .select(VersionRow::as_select())
            .load(self.conn())
            .map_err(repo_error)?
            .into_iter()
            .map(VersionRow::into_version)
            .collect()
    }
}

impl crate::db::Db {
    /// Keeps a baseline version of every auth whose current version is not kept (auths
    /// published before versions were kept): its content now, as operation
    /// `auth.baseline` by whoever last changed it, so that its history, its diffs and a
    /// restore start from it. A batch of 500 auths a transaction; answers how many.
    ///
    /// # Errors
    /// Storage failures.
    pub fn backfill_versions(&self) -> Result<u64, crate::error::StoreError> {
        use crate::schema::auths as a;
        use auths_domain::{AuthRepository, Store, Transaction};
        let mut done = 0u64;
        loop {
            let batch = self.write_untracked(|tx| {
                let numbers: Vec<i64> = a::table
                    .filter(diesel::dsl::not(diesel::dsl::exists(
                        av::table
                            .filter(av::auth_id.eq(a::auth_id))
                            .filter(av::version.eq(a::version)),
                    )))
                    .order(a::number.asc())
                    .limit(i64::try_from(super::CHUNK).unwrap_or(500))
                    .select(a::number)
                    .load(tx.conn())
                    .map_err(repo_error)?;
                for auth in tx.auths_by_numbers(&numbers)? {
                    let content = VersionContent::of(&auth, |id| {
                        auth.items
                            .iter()
                            .find(|i| &i.id == id)
                            .and_then(|i| i.fingerprint.clone())
                    });
                    let baseline = AuthVersion {
                        auth_id: auth.auth_id.clone(),
                        version: auth.version,
                        at: auth.updated_at,
                        actor_name: auth.updated_by.clone(),
                        channel: Channel::Api,
                        operation: "auth.baseline".to_owned(),
                        content,
                    };
                    // Another instance starting on the same database may keep it first.
                    match tx.savepoint(|tx| tx.append_version(&baseline)) {
                        Ok(()) | Err(RepoError::Conflict(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok::<_, RepoError>(numbers.len() as u64)
            })?;
            done += batch;
            if batch < super::CHUNK as u64 {
                return Ok(done);
            }
        }
    }
}
