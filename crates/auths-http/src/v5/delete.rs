//! `POST /api/v5/artifacts/auths/delete`: bulk delete.

use actix_web::{HttpResponse, web};
use auths_app::AuthService;
use auths_domain::Store;
use serde::{Deserialize, Serialize};

use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::{ApiError, ErrorObject};
use crate::json::ApiJson;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteRequest {
    auth_ids: Vec<String>,
    /// True: check and answer what would be deleted, write nothing.
    dry_run: Option<bool>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeleteResponse {
    results: Vec<DeleteResult>,
    /// True in a dry run: nothing was deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    dry_run: Option<bool>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeleteResult {
    auth_id: String,
    success: bool,
    /// In a dry run: what the delete would remove.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    changes: Option<Vec<auths_domain::history::Change>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorObject>,
}

/// The handler.
///
/// # Errors
/// 403 without the delete permission, 413 above the bulk limit; otherwise 200 with
/// per-item results.
pub async fn delete<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    ApiJson(body): ApiJson<DeleteRequest>,
) -> Result<HttpResponse, ApiError> {
    let svc = service.into_inner();
    let ids = body.auth_ids;
    if body.dry_run == Some(true) {
        let (ids, outcomes) = blocking(move || {
            let outcomes = svc.delete_dry_run(&caller.0, &ids)?;
            Ok((ids, outcomes))
        })
        .await?;
        let results = ids
            .into_iter()
            .zip(outcomes)
            .map(|(auth_id, outcome)| {
                let (changes, error) = match outcome {
                    Ok(o) => (Some(o.changes), None),
                    Err(e) => (None, Some(ApiError::from(e).into_object())),
                };
                DeleteResult {
                    auth_id: crate::error::bounded_id(auth_id),
                    success: error.is_none(),
                    changes,
                    error,
                }
            })
            .collect();
        return Ok(HttpResponse::Ok().json(DeleteResponse {
            results,
            dry_run: Some(true),
        }));
    }
    let (ids, outcomes) = blocking(move || {
        let outcomes = svc.delete_many(&caller.0, &ids)?;
        Ok((ids, outcomes))
    })
    .await?;
    let results = ids
        .into_iter()
        .zip(outcomes)
        .map(|(auth_id, outcome)| DeleteResult {
            // An id as given, but never a huge one: no id is longer than 128 characters.
            auth_id: crate::error::bounded_id(auth_id),
            success: outcome.is_ok(),
            changes: None,
            error: outcome.err().map(|e| ApiError::from(e).into_object()),
        })
        .collect();
    Ok(HttpResponse::Ok().json(DeleteResponse {
        results,
        dry_run: None,
    }))
}
