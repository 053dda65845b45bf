//! What the bulk endpoints (create, update, delete) share: the per-item result. (The
//! rules of a bulk request, its limit and what refuses it whole, are the app's.)

use auths_app::{AppError, DryOutcome};
use auths_domain::AuthId;
use auths_domain::history::Change;
use serde::Serialize;

use crate::error::{ApiError, ErrorObject};

/// One item's result: `{index, success, auth_id?, version?, changed?, changes?,
/// error?}`. `changed` is false for a write that changed nothing (the version it
/// already had); `changes` is in dry runs only.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemResult {
    index: usize,
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    changed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    changes: Option<Vec<Change>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorObject>,
}

impl ItemResult {
    /// The result of item `index`: the auth, its version, whether it changed.
    pub fn of(index: usize, outcome: Result<(AuthId, i64, bool), AppError>) -> Self {
        match outcome {
            Ok((auth_id, version, changed)) => Self {
                index,
                success: true,
                auth_id: Some(auth_id.to_string()),
                version: Some(version),
                changed: Some(changed),
                changes: None,
                error: None,
            },
            Err(e) => Self::failed(index, e),
        }
    }

    /// The result of item `index` of a dry run.
    pub fn dry(index: usize, outcome: Result<DryOutcome, AppError>) -> Self {
        match outcome {
            Ok(o) => Self {
                index,
                success: true,
                auth_id: Some(o.auth_id.to_string()),
                version: Some(o.version),
                changed: Some(o.changed),
                changes: Some(o.changes),
                error: None,
            },
            Err(e) => Self::failed(index, e),
        }
    }

    fn failed(index: usize, e: AppError) -> Self {
        Self {
            index,
            success: false,
            auth_id: None,
            version: None,
            changed: None,
            changes: None,
            error: Some(ApiError::from(e).into_object()),
        }
    }
}

/// `{results: [...], dry_run?}`: one result per item, in input order; `dry_run: true`
/// when nothing was written.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkResponse {
    pub results: Vec<ItemResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}
