//! `POST /api/v5/artifacts/auths/create`: bulk create, one result per item, in input
//! order, each item atomic on its own (a savepoint each, one commit for all).

use actix_web::{HttpResponse, web};
use auths_app::{AppError, AuthService, NewAuthSource};
use auths_domain::{DraftId, Operation, Store};
use serde::Deserialize;

use super::bulk::{BulkResponse, ItemResult, check_bulk_size};
use super::fields::with_auth_fields;
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

/// One item: a draft to publish, or the fields of a new auth.
fn source(item: &CreateItem) -> Result<NewAuthSource, AppError> {
    let fields = item.auth_fields();
    match &item.draft_id {
        Some(_) if fields != auths_domain::RawFields::default() => Err(AppError::invalid(
            "draft_id",
            "give draft_id alone, or the fields, not both",
        )),
        Some(d) => DraftId::parse(d)
            .map(NewAuthSource::Draft)
            .map_err(|_| AppError::NotFound(format!("draft {d} not found"))),
        None => Ok(NewAuthSource::Fields(fields.parse()?)),
    }
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
    let sources: Vec<_> = body.auths.iter().map(source).collect();
    let results = blocking(move || svc.create_many(&caller, &sources))
        .await?
        .into_iter()
        .enumerate()
        .map(|(index, outcome)| ItemResult::of(index, outcome.map(|o| (o.auth_id, o.version))))
        .collect();
    Ok(HttpResponse::Ok().json(BulkResponse { results }))
}
