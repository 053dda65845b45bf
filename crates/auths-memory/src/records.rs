//! Keys, drafts, uploads and the audit log.

use auths_domain::audit::{AuditFilter, AuditRecord, KEY_OPERATIONS, NewAuditRecord};
use auths_domain::{
    AuditRepository, AuthId, Constraint, Draft, DraftId, DraftRepository, EntryId, KeyRecord,
    NewPrincipal, Page, PageRequest, Principal, PrincipalId, PrincipalRepository, RepoError,
    Upload, UploadRepository,
};
use chrono::{DateTime, Utc};

use crate::{MemoryTx, StoredKey};

fn page_of<T>(rows: Vec<T>, page: PageRequest) -> Page<T> {
    let total = rows.len() as u64;
    let rows = rows
        .into_iter()
        .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
        .take(page.limit as usize)
        .collect();
    Page { rows, total }
}

impl MemoryTx {
    fn key_record(&self, k: &StoredKey) -> Result<KeyRecord, RepoError> {
        let p = &k.principal;
        let departments = if p.department_ids.is_empty() {
            None
        } else {
            let mut refs = self.refs(&p.department_ids)?;
            auths_domain::catalog::order_refs(&mut refs);
            Some(refs)
        };
        Ok(KeyRecord {
            principal: Principal {
                id: p.id.clone(),
                name: p.name.clone(),
                role: p.role,
                departments,
                allow_mcp_writes: p.allow_mcp_writes,
            },
            key_hash: p.key_hash.clone(),
            created_at: p.at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
            expires_at: p.expires_at,
        })
    }
}

impl PrincipalRepository for MemoryTx {
    fn insert_principal(&mut self, principal: &NewPrincipal) -> Result<(), RepoError> {
        if self
            .keys
            .iter()
            .any(|k| k.revoked_at.is_none() && k.principal.name == principal.name)
        {
            return Err(RepoError::Conflict(Constraint::PrincipalName));
        }
        self.keys.push(StoredKey {
            principal: principal.clone(),
            last_used_at: None,
            revoked_at: None,
        });
        Ok(())
    }

    fn active_keys_by_lookup(&mut self, key_lookup: &str) -> Result<Vec<KeyRecord>, RepoError> {
        self.keys
            .iter()
            .filter(|k| k.revoked_at.is_none() && k.principal.key_lookup == key_lookup)
            .map(|k| self.key_record(k))
            .collect()
    }

    fn list_keys(&mut self) -> Result<Vec<KeyRecord>, RepoError> {
        let mut all = self
            .keys
            .iter()
            .map(|k| self.key_record(k))
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_by(|a, b| {
            a.principal
                .name
                .cmp(&b.principal.name)
                .then(a.created_at.cmp(&b.created_at))
        });
        Ok(all)
    }

    fn keys_page(&mut self, page: PageRequest) -> Result<Page<KeyRecord>, RepoError> {
        let all = self.list_keys()?;
        let total = all.len() as u64;
        let rows = all
            .into_iter()
            .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
            .take(page.limit as usize)
            .collect();
        Ok(Page { rows, total })
    }

    fn revoke_key(&mut self, name: &str, at: DateTime<Utc>) -> Result<bool, RepoError> {
        match self
            .keys
            .iter_mut()
            .find(|k| k.revoked_at.is_none() && k.principal.name == name)
        {
            Some(k) => {
                k.revoked_at = Some(at);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn count_revoked_keys(&mut self) -> Result<u64, RepoError> {
        Ok(self.keys.iter().filter(|k| k.revoked_at.is_some()).count() as u64)
    }

    fn count_active_keys(&mut self) -> Result<u64, RepoError> {
        Ok(self.keys.iter().filter(|k| k.revoked_at.is_none()).count() as u64)
    }

    fn record_key_use(&mut self, uses: &[(PrincipalId, DateTime<Utc>)]) -> Result<(), RepoError> {
        for (id, at) in uses {
            for k in self.keys.iter_mut().filter(|k| &k.principal.id == id) {
                k.last_used_at = Some(k.last_used_at.map_or(*at, |t| t.max(*at)));
            }
        }
        Ok(())
    }
}

impl UploadRepository for MemoryTx {
    fn insert_upload(&mut self, upload: &Upload) -> Result<(), RepoError> {
        self.uploads.push(upload.clone());
        Ok(())
    }

    fn upload_by_id(&mut self, upload_id: &str) -> Result<Option<Upload>, RepoError> {
        Ok(self
            .uploads
            .iter()
            .find(|u| u.upload_id == upload_id)
            .cloned())
    }

    fn uploads_before(
        &mut self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Upload>, RepoError> {
        let mut found: Vec<Upload> = self
            .uploads
            .iter()
            .filter(|u| u.created_at < before)
            .cloned()
            .collect();
        found.sort_by(|a, b| (a.created_at, &a.upload_id).cmp(&(b.created_at, &b.upload_id)));
        found.truncate(limit as usize);
        Ok(found)
    }

    fn uploads_beyond(
        &mut self,
        owner: &PrincipalId,
        keep: u32,
        limit: u32,
    ) -> Result<Vec<Upload>, RepoError> {
        let mut found: Vec<Upload> = self
            .uploads
            .iter()
            .filter(|u| &u.owner == owner)
            .cloned()
            .collect();
        found.sort_by(|a, b| (b.created_at, &b.upload_id).cmp(&(a.created_at, &a.upload_id)));
        let mut found: Vec<Upload> = found
            .into_iter()
            .skip(keep as usize)
            .take(limit as usize)
            .collect();
        found.reverse();
        Ok(found)
    }

    fn delete_upload(&mut self, upload_id: &str) -> Result<bool, RepoError> {
        let before = self.uploads.len();
        self.uploads.retain(|u| u.upload_id != upload_id);
        Ok(self.uploads.len() < before)
    }
}

impl DraftRepository for MemoryTx {
    fn insert_draft(&mut self, draft: &Draft) -> Result<(), RepoError> {
        self.drafts.push(draft.clone());
        Ok(())
    }

    fn draft_by_id(&mut self, draft_id: &DraftId) -> Result<Option<Draft>, RepoError> {
        Ok(self
            .drafts
            .iter()
            .find(|d| &d.draft_id == draft_id)
            .cloned())
    }

    fn update_draft(&mut self, draft: &Draft, expected_version: i64) -> Result<bool, RepoError> {
        match self
            .drafts
            .iter_mut()
            .find(|d| d.draft_id == draft.draft_id && d.version == expected_version)
        {
            Some(d) => {
                *d = draft.clone();
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn delete_draft(&mut self, draft_id: &DraftId) -> Result<bool, RepoError> {
        let before = self.drafts.len();
        self.drafts.retain(|d| &d.draft_id != draft_id);
        Ok(self.drafts.len() < before)
    }

    fn drafts_of(
        &mut self,
        owner: &PrincipalId,
        auth_id: Option<&AuthId>,
    ) -> Result<Vec<Draft>, RepoError> {
        let mut found: Vec<Draft> = self
            .drafts
            .iter()
            .filter(|d| &d.owner == owner && auth_id.is_none_or(|a| d.auth_id.as_ref() == Some(a)))
            .cloned()
            .collect();
        found.sort_by(|a, b| {
            b.updated_at
                .cmp(&a.updated_at)
                .then(b.draft_id.cmp(&a.draft_id))
        });
        Ok(found)
    }

    fn count_drafts(&mut self, owner: &PrincipalId) -> Result<u64, RepoError> {
        Ok(self.drafts.iter().filter(|d| &d.owner == owner).count() as u64)
    }

    fn list_drafts(
        &mut self,
        owner: &PrincipalId,
        scope: Option<&[EntryId]>,
        page: PageRequest,
    ) -> Result<Page<Draft>, RepoError> {
        let mut found = self.drafts_of(owner, None)?;
        if scope.is_some() {
            found.retain(|d| {
                d.auth_id.as_ref().is_none_or(|id| {
                    self.auths
                        .iter()
                        .any(|a| &a.auth_id == id && Self::in_scope(a, scope))
                })
            });
        }
        Ok(page_of(found, page))
    }
}

impl AuditRepository for MemoryTx {
    fn append_audit(&mut self, record: &NewAuditRecord) -> Result<(), RepoError> {
        let n = self.bump();
        self.audit.push((n, record.clone()));
        Ok(())
    }

    fn list_audit(
        &mut self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, RepoError> {
        let mut rows: Vec<_> = self
            .audit
            .iter()
            .filter(|(_, r)| {
                filter
                    .auth_id
                    .as_ref()
                    .is_none_or(|a| r.auth_id.as_ref() == Some(a))
            })
            .filter(|(_, r)| {
                filter
                    .departments
                    .as_ref()
                    .is_none_or(|mine| r.department_ids.iter().any(|d| mine.contains(d)))
            })
            .filter(|(_, r)| {
                filter.key_management || !KEY_OPERATIONS.contains(&r.operation.as_str())
            })
            .map(|(n, r)| AuditRecord {
                id: *n,
                at: r.at,
                actor_id: r.actor_id.clone(),
                actor_name: r.actor_name.clone(),
                channel: r.channel,
                client: r.client.clone(),
                operation: r.operation.clone(),
                auth_id: r.auth_id.clone(),
                before: r.before.clone(),
                after: r.after.clone(),
            })
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.id));
        Ok(page_of(rows, page))
    }
}

impl auths_domain::VersionRepository for MemoryTx {
    fn append_version(&mut self, v: &auths_domain::history::AuthVersion) -> Result<(), RepoError> {
        if self
            .versions
            .iter()
            .any(|k| k.auth_id == v.auth_id && k.version == v.version)
        {
            return Err(RepoError::Internal(format!(
                "version {} of {} is kept already",
                v.version, v.auth_id
            )));
        }
        self.versions.push(v.clone());
        Ok(())
    }

    fn versions(
        &mut self,
        auth_id: &auths_domain::AuthId,
        page: auths_domain::PageRequest,
    ) -> Result<auths_domain::Page<auths_domain::history::AuthVersion>, RepoError> {
        let mut all: Vec<_> = self
            .versions
            .iter()
            .filter(|v| &v.auth_id == auth_id)
            .cloned()
            .collect();
        all.sort_by_key(|v| std::cmp::Reverse(v.version));
        let total = all.len() as u64;
        let rows = all
            .into_iter()
            .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
            .take(page.limit as usize)
            .collect();
        Ok(auths_domain::Page { rows, total })
    }

    fn versions_numbered(
        &mut self,
        auth_id: &auths_domain::AuthId,
        numbers: &[i64],
    ) -> Result<Vec<auths_domain::history::AuthVersion>, RepoError> {
        Ok(self
            .versions
            .iter()
            .filter(|v| &v.auth_id == auth_id && numbers.contains(&v.version))
            .cloned()
            .collect())
    }
}
