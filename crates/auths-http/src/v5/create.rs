//! `POST /api/v5/artifacts/auths/create`: bulk create, one result per item, in input
//! order, each item in its own transaction.

use actix_web::{HttpResponse, web};
use auths_app::{AppError, AuthService, CreateOutcome};
use auths_domain::{Caller, DraftId, Operation, Store};
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

/// One item: publish a draft, or create from the fields.
fn create_item<S: Store>(
    svc: &AuthService<S>,
    caller: &Caller,
    item: &CreateItem,
) -> Result<CreateOutcome, AppError> {
    let fields = item.auth_fields();
    match &item.draft_id {
        Some(_) if fields != auths_domain::RawFields::default() => Err(AppError::invalid(
            "draft_id",
            "give draft_id alone, or the fields, not both",
        )),
        Some(d) => {
            let id = DraftId::parse(d)
                .map_err(|_| AppError::NotFound(format!("draft {d} not found")))?;
            svc.publish_new(caller, &id)
        }
        None => svc.create_one(caller, &fields.parse()?),
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
    let results = blocking(move || {
        Ok(body
            .auths
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let outcome = create_item(&svc, &caller, item);
                ItemResult::of(index, outcome.map(|o| (o.auth_id, o.version)))
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(BulkResponse { results }))
}
