//! What the bulk endpoints (create, update, delete) share: the item limit and the
//! per-item result.

use auths_app::AppError;
use auths_domain::AuthId;
use serde::Serialize;

use crate::error::{ApiError, ErrorObject};

/// Most items one bulk request may carry.
pub const MAX_BULK_ITEMS: usize = 1000;

/// 413 above [`MAX_BULK_ITEMS`].
///
/// # Errors
/// When `n` is over the limit.
pub fn check_bulk_size(n: usize) -> Result<(), ApiError> {
    if n > MAX_BULK_ITEMS {
        return Err(AppError::PayloadTooLarge(format!(
            "{n} items given; at most {MAX_BULK_ITEMS} are allowed in one request"
        ))
        .into());
    }
    Ok(())
}

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

    /// An item that failed before it named an auth we could echo.
    pub fn failed(index: usize, error: AppError) -> Self {
        Self::of(index, Err(error))
    }
}

/// `{results: [...]}`: one result per item, in input order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkResponse {
    pub results: Vec<ItemResult>,
}
