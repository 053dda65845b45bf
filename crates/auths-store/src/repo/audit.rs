//! The audit log.

use auths_domain::audit::KEY_OPERATIONS;
use auths_domain::{
    AuditFilter, AuditRecord, AuditRepository, AuthId, Channel, EntryId, NewAuditRecord, Page,
    PageRequest, PrincipalId, RepoError,
};
use diesel::prelude::*;

use crate::db::{StoreTx, utc};
use crate::error::repo_error;
use crate::models::{AuditInsert, AuditRow};
use crate::pool::AnyConnection;
use crate::schema::{audit_departments as ad, audit_log as al};

fn corrupt(what: &str) -> RepoError {
    RepoError::Internal(format!("corrupt audit row: {what}"))
}

impl AuditRow {
    fn into_record(self) -> Result<AuditRecord, RepoError> {
        Ok(AuditRecord {
            id: self.number,
            at: utc(self.at),
            actor_id: PrincipalId::parse(&self.actor_id).map_err(|_| corrupt("actor_id"))?,
            actor_name: self.actor_name,
            channel: match self.channel.as_str() {
                "mcp" => Channel::Mcp,
                _ => Channel::Api,
            },
            operation: self.operation,
            auth_id: self
                .auth_id
                .map(|a| AuthId::parse(&a).map_err(|_| corrupt("auth_id")))
                .transpose()?,
            before: self.before,
            after: self.after,
            client: self.client,
        })
    }
}

impl AuditRepository for StoreTx {
    fn append_audit(&mut self, record: &NewAuditRecord) -> Result<(), RepoError> {
        if self.queue_audit(record)? {
            return Ok(());
        }
        let insert = diesel::insert_into(al::table).values(AuditInsert {
            at: record.at.naive_utc(),
            actor_id: record.actor_id.as_str(),
            actor_name: &record.actor_name,
            channel: record.channel.as_str(),
            operation: &record.operation,
            auth_id: record.auth_id.as_ref().map(AuthId::as_str),
            before: record.before.as_deref(),
            after: record.after.as_deref(),
            client: record.client.as_deref(),
        });
        // RETURNING, on the concrete backend (MultiBackend has no RETURNING): the row's
        // own number, never another transaction's.
        let returning = insert.returning(al::number);
        let number: i64 = match self.conn() {
            AnyConnection::Sqlite(c) => returning.get_result(c),
            AnyConnection::Postgresql(c) => returning.get_result(c),
        }
        .map_err(repo_error)?;
        let mut departments: Vec<&EntryId> = record.department_ids.iter().collect();
        departments.sort();
        departments.dedup();
        for d in departments {
            diesel::insert_into(ad::table)
                .values((ad::audit_number.eq(number), ad::entry_id.eq(d.as_str())))
                .execute(self.conn())
                .map_err(repo_error)?;
        }
        Ok(())
    }

    fn list_audit(
        &mut self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, RepoError> {
        let departments: Option<Vec<&str>> = filter
            .departments
            .as_ref()
            .map(|ds| ds.iter().map(EntryId::as_str).collect());
        let matching = || {
            let mut q = al::table.into_boxed();
            if let Some(a) = &filter.auth_id {
                q = q.filter(al::auth_id.eq(a.as_str()));
            }
            if !filter.key_management {
                q = q.filter(al::operation.ne_all(KEY_OPERATIONS));
            }
            if let Some(ds) = &departments {
                q = q.filter(
                    al::number.eq_any(
                        ad::table
                            .filter(ad::entry_id.eq_any(ds.clone()))
                            .select(ad::audit_number),
                    ),
                );
            }
            q
        };
        let total: i64 = matching()
            .count()
            .get_result(self.conn())
            .map_err(repo_error)?;
        let rows = matching()
            .order(al::number.desc())
            .limit(i64::from(page.limit))
            .offset(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .select(AuditRow::as_select())
            .load(self.conn())
            .map_err(repo_error)?
            .into_iter()
            .map(AuditRow::into_record)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            rows,
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}
