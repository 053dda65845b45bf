//! Export files kept for download.

use chrono::{DateTime, Utc};

use crate::ids::PrincipalId;

/// How long an export file is kept by default (a day): long enough to download it,
/// short enough that files of secrets-adjacent configuration do not pile up.
pub const DEFAULT_EXPORT_RETENTION: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Most export files one principal keeps: making another removes its oldest ones.
pub const MAX_EXPORTS_PER_PRINCIPAL: u32 = 20;

/// A finished export file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Its id (also its file name on disk, with `.csv`).
    pub upload_id: String,
    /// Who made it: only they, and admins, may download it.
    pub owner: PrincipalId,
    /// The name offered for download.
    pub file_name: String,
    /// Data rows (without the header).
    pub row_count: u64,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}
