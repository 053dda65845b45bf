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

/// Runs `one` on each item in order until the database turns out to be unavailable:
/// the items after that fail with the same error without being tried, so that a
/// thousand-item request does not wait out the connection timeout a thousand times.
/// When every item failed so (nothing was written), the whole request is answered
/// 503 instead.
///
/// # Errors
/// `Unavailable` when no item could reach the database.
pub fn each_until_down<T, O>(
    items: impl IntoIterator<Item = T>,
    mut one: impl FnMut(T) -> Result<O, AppError>,
) -> Result<Vec<Result<O, AppError>>, AppError> {
    let mut down: Option<AppError> = None;
    let out: Vec<Result<O, AppError>> = items
        .into_iter()
        .map(|item| match &down {
            Some(e) => Err(e.clone()),
            None => {
                let r = one(item);
                if let Err(e @ AppError::Unavailable(_)) = &r {
                    down = Some(e.clone());
                }
                r
            }
        })
        .collect();
    match down {
        Some(e)
            if out
                .iter()
                .all(|r| matches!(r, Err(AppError::Unavailable(_)))) =>
        {
            Err(e)
        }
        _ => Ok(out),
    }
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
}

/// `{results: [...]}`: one result per item, in input order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkResponse {
    pub results: Vec<ItemResult>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_the_database_is_down_the_rest_is_not_tried() {
        let mut tried = Vec::new();
        let out = each_until_down([1, 2, 3, 4], |n| {
            tried.push(n);
            match n {
                1 => Ok(n),
                2 => Err(AppError::Unavailable("down".into())),
                _ => Ok(n),
            }
        });
        assert_eq!(tried, [1, 2]);
        let out = out.unwrap_or_default();
        assert_eq!(out.len(), 4);
        assert_eq!(out[0], Ok(1));
        assert!(
            out[1..]
                .iter()
                .all(|r| matches!(r, Err(AppError::Unavailable(_))))
        );
    }

    #[test]
    fn when_nothing_reached_the_database_the_request_fails_whole() {
        let out = each_until_down([1, 2], |_| -> Result<i32, AppError> {
            Err(AppError::Unavailable("down".into()))
        });
        assert!(matches!(out, Err(AppError::Unavailable(_))));
        let out = each_until_down([1], |_| -> Result<i32, AppError> {
            Err(AppError::NotFound("x".into()))
        });
        assert!(matches!(out.as_deref(), Ok([Err(AppError::NotFound(_))])));
    }
}
