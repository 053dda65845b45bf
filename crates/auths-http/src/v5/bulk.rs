//! What the bulk endpoints (create, update, delete) share: the per-item result. (The
//! rules of a bulk request, its limit and what refuses it whole, are the app's.)

use auths_app::AppError;
use auths_domain::AuthId;
use serde::Serialize;

use crate::error::{ApiError, ErrorObject};

/// One item's result: `{index, success, auth_id?, version?, error?}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemResult {
    index: usize,
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorObject>,
}

impl ItemResult {
    /// The result of item `index`.
    pub fn of(index: usize, outcome: Result<(AuthId, i64), AppError>) -> Self {
        match outcome {
            Ok((auth_id, version)) => Self {
                index,
                success: true,
                auth_id: Some(auth_id.to_string()),
                version: Some(version),
                error: None,
            },
            Err(e) => Self {
                index,
                success: false,
                auth_id: None,
                version: None,
                error: Some(ApiError::from(e).into_object()),
            },
        }
    }
}

/// `{results: [...]}`: one result per item, in input order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkResponse {
    pub results: Vec<ItemResult>,
}
