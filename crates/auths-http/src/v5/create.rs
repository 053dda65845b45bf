//! `POST /api/v5/artifacts/auths/create`: bulk create, one result per item, in input
//! order, each item in its own transaction.

use actix_web::{HttpResponse, web};
use auths_app::{AppError, AuthService};
use auths_domain::{Operation, Store};
use serde::Deserialize;

use super::bulk::{BulkResponse, ItemResult, check_bulk_size};
use super::fields::AuthFieldsIn;
use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::json::ApiJson;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    auths: Vec<AuthFieldsIn>,
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
    check_bulk_size(body.auths.len())?;
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
                ItemResult::of(index, outcome.map(|o| (o.auth_id, o.version)))
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(BulkResponse { results }))
}
