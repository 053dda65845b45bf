//! `POST /api/v5/artifacts/auths/create`: bulk create, one result per item, in input
//! order, each item atomic on its own (a savepoint each, one commit for all).

use actix_web::{HttpResponse, web};
use auths_app::{AppError, AuthService};
use auths_domain::{Operation, Store};
use serde::Deserialize;

use super::bulk::{BulkResponse, ItemResult, check_bulk_size};
use super::fields::{draft_or_fields, with_auth_fields};
use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::json::ApiJson;

with_auth_fields! {
    #[derive(Debug, Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct CreateItem {
        pub draft_id: Option<String>,
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    auths: Vec<CreateItem>,
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
    let sources: Vec<_> = body
        .auths
        .iter()
        .map(|item| draft_or_fields(item.draft_id.as_deref(), item.auth_fields()))
        .collect();
    let results = blocking(move || svc.create_many(&caller, &sources))
        .await?
        .into_iter()
        .enumerate()
        .map(|(index, outcome)| ItemResult::of(index, outcome.map(|o| (o.auth_id, o.version))))
        .collect();
    Ok(HttpResponse::Ok().json(BulkResponse { results }))
}
