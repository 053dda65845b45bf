//! `POST /api/v5/artifacts/auths/update`: bulk update, one result per item, in input
//! order, each item in its own transaction.

use actix_web::{HttpResponse, web};
use auths_app::{AppError, AuthService, NewAuthSource};
use auths_domain::{AuthId, Operation, Store};
use serde::Deserialize;

use super::bulk::{BulkResponse, ItemResult, check_bulk_size, each_until_down};
use super::fields::{draft_or_fields, with_auth_fields};
use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::json::ApiJson;

with_auth_fields! {
    #[derive(Debug, Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct UpdateItem {
        pub auth_id: String,
        pub expected_version: Option<i64>,
        pub draft_id: Option<String>,
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRequest {
    auths: Vec<UpdateItem>,
}

/// The handler.
///
/// # Errors
/// 403 without the update permission, 413 above the bulk limit; otherwise 200 with
/// per-item results.
pub async fn update<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    ApiJson(body): ApiJson<UpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    check_bulk_size(body.auths.len())?;
    let caller = caller.0;
    caller.may(Operation::Update).map_err(AppError::from)?;
    let svc = service.into_inner();
    let results = blocking(move || {
        each_until_down(&body.auths, |item| {
            let Ok(auth_id) = AuthId::parse(&item.auth_id) else {
                return Err(AppError::NotFound(format!(
                    "auth {} not found",
                    item.auth_id
                )));
            };
            match draft_or_fields(item.draft_id.as_deref(), item.auth_fields())? {
                NewAuthSource::Draft(id) => {
                    svc.publish_update(&caller, &auth_id, &id, item.expected_version)
                }
                NewAuthSource::Fields(patch) => {
                    svc.update_one(&caller, &auth_id, item.expected_version, &patch)
                }
            }
        })
    })
    .await?
    .into_iter()
    .enumerate()
    .map(|(index, outcome)| ItemResult::of(index, outcome.map(|o| (o.auth_id, o.version))))
    .collect();
    Ok(HttpResponse::Ok().json(BulkResponse { results }))
}
