//! API keys and principals.

use std::collections::HashMap;

use auths_domain::{
    EntryRef, KeyRecord, NewPrincipal, Page, PageRequest, Principal, PrincipalId,
    PrincipalRepository, RepoError,
};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::{StoreTx, utc};
use crate::error::repo_error;
use crate::models::{EntryRow, PrincipalInsert, PrincipalRow};
use crate::schema::{catalog_entries as ce, principal_departments as pd, principals as p};

fn corrupt(what: &str) -> RepoError {
    RepoError::Internal(format!("corrupt principal row: {what}"))
}

impl StoreTx {
    /// Builds key records for rows, loading their departments in one query.
    fn key_records(&mut self, rows: Vec<PrincipalRow>) -> Result<Vec<KeyRecord>, RepoError> {
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let mut scopes: HashMap<String, Vec<EntryRef>> = HashMap::new();
        if !ids.is_empty() {
            let links: Vec<(String, EntryRow)> = pd::table
                .inner_join(ce::table)
                .filter(pd::principal_id.eq_any(&ids))
                .select((pd::principal_id, EntryRow::as_select()))
                .load(self.conn())
                .map_err(repo_error)?;
            for (pid, entry) in links {
                scopes
                    .entry(pid)
                    .or_default()
                    .push(entry.into_entry()?.to_ref());
            }
        }
        rows.into_iter()
            .map(|r| {
                let mut departments = scopes.remove(&r.id);
                if let Some(ds) = departments.as_mut() {
                    ds.sort_by(|a, b| a.label.cmp(&b.label));
                }
                Ok(KeyRecord {
                    principal: Principal {
                        id: PrincipalId::parse(&r.id).map_err(|_| corrupt("id"))?,
                        name: r.name,
                        role: r.role.parse().map_err(|_| corrupt("role"))?,
                        departments,
                        allow_mcp_writes: r.allow_mcp_writes,
                    },
                    key_hash: r.key_hash,
                    created_at: utc(r.created_at),
                    last_used_at: r.last_used_at.map(utc),
                    revoked_at: r.revoked_at.map(utc),
                    expires_at: r.expires_at.map(utc),
                })
            })
            .collect()
    }
}

impl PrincipalRepository for StoreTx {
    fn insert_principal(&mut self, principal: &NewPrincipal) -> Result<(), RepoError> {
        diesel::insert_into(p::table)
            .values(PrincipalInsert {
                id: principal.id.as_str(),
                name: &principal.name,
                role: principal.role.as_str(),
                allow_mcp_writes: principal.allow_mcp_writes,
                key_lookup: &principal.key_lookup,
                key_hash: &principal.key_hash,
                created_at: principal.at.naive_utc(),
                expires_at: principal.expires_at.map(|e| e.naive_utc()),
            })
            .execute(self.conn())
            .map_err(repo_error)?;
        for d in &principal.department_ids {
            diesel::insert_into(pd::table)
                .values((
                    pd::principal_id.eq(principal.id.as_str()),
                    pd::entry_id.eq(d.as_str()),
                ))
                .execute(self.conn())
                .map_err(repo_error)?;
        }
        Ok(())
    }

    fn active_keys_by_lookup(&mut self, key_lookup: &str) -> Result<Vec<KeyRecord>, RepoError> {
        let rows = p::table
            .filter(p::key_lookup.eq(key_lookup))
            .filter(p::revoked_at.is_null())
            .select(PrincipalRow::as_select())
            .load(self.conn())
            .map_err(repo_error)?;
        self.key_records(rows)
    }

    fn list_keys(&mut self) -> Result<Vec<KeyRecord>, RepoError> {
        let rows = p::table
            .order((p::name.asc(), p::number.asc()))
            .select(PrincipalRow::as_select())
            .load(self.conn())
            .map_err(repo_error)?;
        self.key_records(rows)
    }

    fn keys_page(&mut self, page: PageRequest) -> Result<Page<KeyRecord>, RepoError> {
        let total = p::table
            .count()
            .get_result::<i64>(self.conn())
            .map_err(repo_error)?;
        let rows = p::table
            .order((p::name.asc(), p::number.asc()))
            .limit(i64::from(page.limit))
            .offset(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .select(PrincipalRow::as_select())
            .load(self.conn())
            .map_err(repo_error)?;
        Ok(Page {
            rows: self.key_records(rows)?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    fn revoke_key(&mut self, name: &str, at: DateTime<Utc>) -> Result<bool, RepoError> {
        diesel::update(
            p::table
                .filter(p::name.eq(name))
                .filter(p::revoked_at.is_null()),
        )
        .set(p::revoked_at.eq(at.naive_utc()))
        .execute(self.conn())
        .map(|n| n > 0)
        .map_err(repo_error)
    }

    fn count_active_keys(&mut self) -> Result<u64, RepoError> {
        p::table
            .filter(p::revoked_at.is_null())
            .count()
            .get_result::<i64>(self.conn())
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(repo_error)
    }

    fn count_revoked_keys(&mut self) -> Result<u64, RepoError> {
        p::table
            .filter(p::revoked_at.is_not_null())
            .count()
            .get_result::<i64>(self.conn())
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(repo_error)
    }

    fn record_key_use(&mut self, uses: &[(PrincipalId, DateTime<Utc>)]) -> Result<(), RepoError> {
        for (id, at) in uses {
            let at = at.naive_utc();
            // Never move last_used_at backwards (batches may arrive out of order).
            diesel::update(
                p::table
                    .filter(p::id.eq(id.as_str()))
                    .filter(p::last_used_at.is_null().or(p::last_used_at.lt(at))),
            )
            .set(p::last_used_at.eq(at))
            .execute(self.conn())
            .map_err(repo_error)?;
        }
        Ok(())
    }
}
