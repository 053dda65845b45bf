//! Export files kept for download.

use chrono::{DateTime, Utc};

use crate::ids::PrincipalId;

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
