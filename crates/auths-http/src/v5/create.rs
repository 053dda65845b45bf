//! `POST /api/v5/artifacts/auths/create`: bulk create, one result per item, in input
//! order, each item in its own transaction.

use actix_web::{HttpResponse, web};
use auths_app::{AppError, AuthService};
use auths_domain::{Operation, Store};
use serde::{Deserialize, Serialize};

use super::fields::AuthFieldsIn;
use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::{ApiError, ErrorObject};
use crate::json::ApiJson;

/// Most items one bulk request may carry.
pub const MAX_BULK_ITEMS: usize = 1000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    auths: Vec<AuthFieldsIn>,
}

#[derive(Debug, Serialize)]
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

#[derive(Debug, Serialize)]
struct CreateResponse {
    results: Vec<ItemResult>,
}

/// The handler.
///
/// # Errors
/// 413 above [`MAX_BULK_ITEMS`]; otherwise 200 with per-item results.
pub async fn create<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    ApiJson(body): ApiJson<CreateRequest>,
) -> Result<HttpResponse, ApiError> {
    if body.auths.len() > MAX_BULK_ITEMS {
        return Err(AppError::PayloadTooLarge(format!(
            "{} items given; at most {MAX_BULK_ITEMS} are allowed in one request",
            body.auths.len()
        ))
        .into());
    }
    let caller = caller.0;
    // Role and MCP policy refuse the whole request; department scope is per item.
    caller.may(Operation::Create).map_err(AppError::from)?;
    let svc = service.into_inner();
    let results = blocking(move || {
        Ok(body
            .auths
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let outcome = item
                    .to_domain()
                    .map_err(AppError::from)
                    .and_then(|fields| svc.create_one(&caller, &fields));
                match outcome {
                    Ok(o) => ItemResult {
                        index,
                        success: true,
                        auth_id: Some(o.auth_id.to_string()),
                        version: Some(o.version),
                        error: None,
                    },
                    Err(e) => ItemResult {
                        index,
                        success: false,
                        auth_id: None,
                        version: None,
                        error: Some(ApiError::from(e).into_object()),
                    },
                }
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(CreateResponse { results }))
}
