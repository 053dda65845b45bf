//! Uploads (export files).

use auths_domain::{PrincipalId, RepoError, Upload, UploadRepository};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::{StoreTx, utc};
use crate::error::repo_error;
use crate::models::UploadRow;
use crate::repo::One;
use crate::schema::uploads as u;

impl UploadRepository for StoreTx {
    fn insert_upload(&mut self, upload: &Upload) -> Result<(), RepoError> {
        diesel::insert_into(u::table)
            .values(UploadRow {
                upload_id: upload.upload_id.clone(),
                owner_id: upload.owner.to_string(),
                file_name: upload.file_name.clone(),
                row_count: i64::try_from(upload.row_count).unwrap_or(i64::MAX),
                created_at: upload.created_at.naive_utc(),
            })
            .execute(self.conn())
            .map(drop)
            .map_err(repo_error)
    }

    fn upload_by_id(&mut self, upload_id: &str) -> Result<Option<Upload>, RepoError> {
        let row = u::table
            .find(upload_id)
            .select(UploadRow::as_select())
            .load(self.conn())
            .one()
            .map_err(repo_error)?;
        row.map(UploadRow::into_upload).transpose()
    }

    fn uploads_before(
        &mut self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Upload>, RepoError> {
        u::table
            .filter(u::created_at.lt(before.naive_utc()))
            .order((u::created_at.asc(), u::upload_id.asc()))
            .limit(i64::from(limit))
            .select(UploadRow::as_select())
            .load(self.conn())
            .map_err(repo_error)?
            .into_iter()
            .map(UploadRow::into_upload)
            .collect()
    }

    fn uploads_beyond(
        &mut self,
        owner: &PrincipalId,
        keep: u32,
        limit: u32,
    ) -> Result<Vec<Upload>, RepoError> {
        // Newest first past the `keep` newest, then oldest first.
        let mut rows = u::table
            .filter(u::owner_id.eq(owner.as_str()))
            .order((u::created_at.desc(), u::upload_id.desc()))
            .limit(i64::from(limit))
            .offset(i64::from(keep))
            .select(UploadRow::as_select())
            .load(self.conn())
            .map_err(repo_error)?;
        rows.reverse();
        rows.into_iter().map(UploadRow::into_upload).collect()
    }

    fn delete_upload(&mut self, upload_id: &str) -> Result<bool, RepoError> {
        diesel::delete(u::table.find(upload_id))
            .execute(self.conn())
            .map(|n| n > 0)
            .map_err(repo_error)
    }
}

impl UploadRow {
    fn into_upload(self) -> Result<Upload, RepoError> {
        Ok(Upload {
            upload_id: self.upload_id,
            owner: PrincipalId::parse(&self.owner_id)
                .map_err(|_| RepoError::Internal("corrupt upload owner".into()))?,
            file_name: self.file_name,
            row_count: u64::try_from(self.row_count).unwrap_or(0),
            created_at: utc(self.created_at),
        })
    }
}
