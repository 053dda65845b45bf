//! Export auths as a denormalized CSV, and read the files back.
//!
//! Rows are read in batches of [`BATCH`] by keyset paging inside one read snapshot and
//! written as they come, so memory does not grow with the number of auths. The file is
//! written as `<id>.csv.part` and renamed to `<id>.csv` only when complete and synced:
//! a failed or interrupted export never leaves a file that can be offered.
//!
//! Files are bounded: one older than the retention ([`Settings::export_retention`])
//! answers 404 and is removed with its record at the next export and at start-up, and a
//! key keeps at most [`Settings::exports_per_key`] files, its oldest removed when it
//! makes another. A file is removed before its record, so that a failure in between
//! leaves a record without a file (a 404, removed again next time), never a file
//! nothing points at.
//!
//! [`Settings::export_retention`]: crate::Settings::export_retention
//! [`Settings::exports_per_key`]: crate::Settings::exports_per_key

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use auths_domain::prelude::*;
use auths_domain::{Auth, AuthId, Caller, EntryRef, Operation, PrincipalId, Role, Store, Upload};
use chrono::{DateTime, Utc};

use super::get::visible_auth;
use crate::{AppError, AuthService, clock};

/// Auths read at a time.
pub const BATCH: u32 = 500;

/// The columns, in order.
pub const HEADER: [&str; 16] = [
    "auth_id",
    "id",
    "name",
    "description",
    "flag",
    "protocols",
    "slugs",
    "items",
    "departments",
    "locations",
    "group_id",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
];

/// A finished export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// The upload's id.
    pub upload_id: String,
    /// The name offered for download.
    pub file_name: String,
    /// Data rows.
    pub row_count: u64,
}

/// A cell a spreadsheet would take for a formula gets a leading `'` (CSV injection).
fn cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}

/// One value of a multi-valued cell: a `;` or `\` inside it escaped with `\`, so that
/// a department "R;D" is not two (auths-v5 spec, `/export`).
fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, ';' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn joined(refs: &[EntryRef]) -> String {
    refs.iter()
        .map(|r| escaped(&r.label))
        .collect::<Vec<_>>()
        .join(";")
}

/// One auth as a CSV record. Secret items are left out entirely.
pub fn record(a: &Auth) -> Vec<String> {
    let items = a
        .items
        .iter()
        .filter(|i| !i.secret)
        .map(|i| {
            format!(
                "{}={}",
                escaped(&i.key),
                escaped(i.value.as_deref().unwrap_or(""))
            )
        })
        .collect::<Vec<_>>()
        .join(";");
    [
        a.auth_id.to_string(),
        a.number.to_string(),
        a.name.label.clone(),
        a.description
            .as_ref()
            .map(|d| d.label.clone())
            .unwrap_or_default(),
        a.flag.label.clone(),
        joined(&a.protocols),
        joined(&a.slugs),
        items,
        joined(&a.departments),
        joined(&a.locations),
        a.group_id.to_string(),
        a.version.to_string(),
        a.created_at.to_rfc3339(),
        a.created_by.clone(),
        a.updated_at.to_rfc3339(),
        a.updated_by.clone(),
    ]
    .iter()
    .map(|s| cell(s))
    .collect()
}

fn io(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("export file: {e}"))
}

impl<S: Store> AuthService<S> {
    /// Removes the `.part` files an interrupted export left (a crash or a kill mid-way):
    /// they were never offered for download, and would otherwise stay. Run at start-up,
    /// before any export can be under way. Answers how many were removed.
    ///
    /// # Errors
    /// When the uploads folder exists but cannot be read.
    pub fn remove_partial_exports(&self) -> std::io::Result<usize> {
        let dir = self.uploads_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut removed = 0;
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|x| x == "part") {
                fs::remove_file(&path)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    fn uploads_dir(&self) -> PathBuf {
        self.settings.data_dir.join("uploads")
    }

    /// The instant before which an export has expired.
    fn expiry_line(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        chrono::Duration::from_std(self.settings.export_retention)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// Removes the files of `uploads`, then their records; answers how many records
    /// went.
    fn remove_uploads(&self, uploads: &[Upload]) -> Result<usize, AppError> {
        let dir = self.uploads_dir();
        for u in uploads {
            match fs::remove_file(dir.join(format!("{}.csv", u.upload_id))) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            }
        }
        self.store.write(|tx| {
            let mut removed = 0;
            for u in uploads {
                if tx.delete_upload(&u.upload_id)? {
                    removed += 1;
                }
            }
            Ok(removed)
        })
    }

    /// Removes, in batches of 500, every export older than the retention, files
    /// and records. Run at start-up and before each export. Answers how many went.
    ///
    /// # Errors
    /// `Internal` when a file cannot be removed; storage failures.
    pub fn remove_expired_exports(&self) -> Result<usize, AppError> {
        let line = self.expiry_line(clock::now());
        let mut removed = 0;
        loop {
            let batch = self.store.read(|tx| tx.uploads_before(line, BATCH))?;
            if batch.is_empty() {
                return Ok(removed);
            }
            let gone = self.remove_uploads(&batch)?;
            removed += gone;
            if gone == 0 {
                // Someone else removed these records meanwhile; they will go on.
                return Ok(removed);
            }
        }
    }

    /// Removes the exports of `owner` past its newest [`Settings::exports_per_key`]
    /// (oldest first). Answers how many went.
    ///
    /// [`Settings::exports_per_key`]: crate::Settings::exports_per_key
    fn remove_exports_over_quota(&self, owner: &PrincipalId) -> Result<usize, AppError> {
        let keep = self.settings.exports_per_key;
        let mut removed = 0;
        loop {
            let batch = self
                .store
                .read(|tx| tx.uploads_beyond(owner, keep, BATCH))?;
            if batch.is_empty() {
                return Ok(removed);
            }
            let gone = self.remove_uploads(&batch)?;
            removed += gone;
            if gone == 0 {
                return Ok(removed);
            }
        }
    }

    /// Writes the CSV of the auths the caller may see (or of one) to `out`; answers the
    /// number of data rows.
    ///
    /// # Errors
    /// `Forbidden` (role, MCP), `NotFound` for an unknown or invisible `auth_id`,
    /// `Internal` when `out` fails.
    pub fn write_csv<W: Write>(
        &self,
        caller: &Caller,
        auth_id: Option<&AuthId>,
        out: W,
    ) -> Result<u64, AppError> {
        caller.may(Operation::Export)?;
        self.write_csv_allowed(caller, auth_id, out)
    }

    /// Writes the CSV for a caller already allowed to export.
    fn write_csv_allowed<W: Write>(
        &self,
        caller: &Caller,
        auth_id: Option<&AuthId>,
        out: W,
    ) -> Result<u64, AppError> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(HEADER).map_err(io)?;
        let rows = self.store.read(|tx| {
            if let Some(id) = auth_id {
                w.write_record(record(&visible_auth(tx, caller, id)?))
                    .map_err(io)?;
                return Ok(1);
            }
            let scope = caller.scope();
            let (mut after, mut rows) = (0_i64, 0_u64);
            loop {
                let numbers = tx.auth_numbers_after(after, BATCH, scope.as_deref())?;
                let Some(last) = numbers.last().copied() else {
                    break;
                };
                for a in tx.auths_by_numbers(&numbers)? {
                    w.write_record(record(&a)).map_err(io)?;
                    rows += 1;
                }
                after = last;
            }
            Ok::<_, AppError>(rows)
        })?;
        w.flush().map_err(io)?;
        Ok(rows)
    }

    /// Exports to a new upload file and records it for download.
    ///
    /// # Errors
    /// As [`AuthService::write_csv`]; `Internal` when the file cannot be written (then
    /// no file and no upload remain).
    pub fn export(&self, caller: &Caller, auth_id: Option<&AuthId>) -> Result<Export, AppError> {
        caller.may(Operation::Export)?;
        // Expired files go first; a failure to remove them must not stop the export
        // (the next one, or the next start, tries again).
        if let Err(e) = self.remove_expired_exports() {
            tracing::warn!(error = %e, "could not remove expired exports");
        }
        let dir = self.uploads_dir();
        fs::create_dir_all(&dir).map_err(io)?;
        let upload_id = clock::new_id();
        let part = dir.join(format!("{upload_id}.csv.part"));
        let done = dir.join(format!("{upload_id}.csv"));
        let written = (|| {
            let file = File::create(&part).map_err(io)?;
            let mut out = BufWriter::new(file);
            let rows = self.write_csv_allowed(caller, auth_id, &mut out)?;
            let file = out.into_inner().map_err(io)?;
            file.sync_all().map_err(io)?;
            fs::rename(&part, &done).map_err(io)?;
            Ok::<_, AppError>(rows)
        })();
        let rows = match written {
            Ok(rows) => rows,
            Err(e) => {
                let _ = fs::remove_file(&part);
                return Err(e);
            }
        };
        let now = clock::now();
        let upload = Upload {
            upload_id: upload_id.clone(),
            owner: caller.principal.id.clone(),
            file_name: format!("auths-{}.csv", now.format("%Y%m%d-%H%M%S")),
            row_count: rows,
            created_at: now,
        };
        let recorded = self.store.write(|tx| {
            tx.insert_upload(&upload)?;
            let after = serde_json::json!({"upload_id": upload.upload_id, "row_count": rows, "auth_id": auth_id.map(AuthId::as_str)});
            crate::audit::record_other(tx, caller, "auths.export", &after)
        });
        if let Err(e) = recorded {
            let _ = fs::remove_file(&done);
            return Err(e);
        }
        // The new file counts: past the quota, this key's oldest files go.
        if let Err(e) = self.remove_exports_over_quota(&upload.owner) {
            tracing::warn!(error = %e, "could not remove exports over a key's quota");
        }
        Ok(Export {
            upload_id,
            file_name: upload.file_name,
            row_count: rows,
        })
    }

    /// The file of an upload, for its creator or an admin (others: not found), under
    /// the export's own permission and MCP policy.
    ///
    /// # Errors
    /// `Forbidden` as for [`AuthService::export`]; `NotFound` for an unknown upload,
    /// one of another principal, an expired one, or a missing file.
    pub fn upload(&self, caller: &Caller, upload_id: &str) -> Result<(PathBuf, Upload), AppError> {
        caller.may(Operation::Export)?;
        let missing = || AppError::NotFound(crate::Missing::Upload(upload_id.to_owned()));
        if !upload_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            || upload_id.is_empty()
        {
            return Err(missing());
        }
        let upload = self
            .store
            .read(|tx| tx.upload_by_id(upload_id))?
            .ok_or_else(missing)?;
        if upload.owner != caller.principal.id && caller.principal.role != Role::Admin {
            return Err(missing());
        }
        // Expired: gone, even before the next clean-up removes it.
        if upload.created_at < self.expiry_line(clock::now()) {
            return Err(missing());
        }
        let path = self.uploads_dir().join(format!("{upload_id}.csv"));
        if !path.is_file() {
            return Err(missing());
        }
        Ok((path, upload))
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn a_separator_inside_a_value_is_escaped() {
        assert_eq!(super::escaped("R;D"), "R\\;D");
        assert_eq!(super::escaped(r"C:\dir"), r"C:\\dir");
        assert_eq!(super::escaped("plain"), "plain");
        let refs: Vec<auths_domain::EntryRef> = ["R;D", "Sales"]
            .iter()
            .map(|l| auths_domain::EntryRef {
                id: auths_domain::EntryId::parse("x").unwrap_or_else(|_| unreachable!()),
                label: (*l).to_owned(),
            })
            .collect();
        assert_eq!(super::joined(&refs), r"R\;D;Sales");
    }

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(cell("@cmd"), "'@cmd");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("Corp LDAP"), "Corp LDAP");
        assert_eq!(cell(""), "");
    }
}
