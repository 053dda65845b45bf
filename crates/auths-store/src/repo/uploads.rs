//! Uploads (export files).

use auths_domain::{PrincipalId, RepoError, Upload, UploadRepository};
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
        row.map(|r| {
            Ok(Upload {
                upload_id: r.upload_id,
                owner: PrincipalId::parse(&r.owner_id)
                    .map_err(|_| RepoError::Internal("corrupt upload owner".into()))?,
                file_name: r.file_name,
                row_count: u64::try_from(r.row_count).unwrap_or(0),
                created_at: utc(r.created_at),
            })
        })
        .transpose()
    }
}
