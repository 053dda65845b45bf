//! `POST /api/v5/artifacts/auths/create`: bulk create, one result per item, in input
//! order, each item atomic on its own (a savepoint each, one commit for all).

use actix_web::{HttpResponse, web};
use auths_app::AuthService;
use auths_domain::{RawFields, Store};
use serde::Deserialize;
use serde::de::MapAccess;

use super::bulk::{BulkResponse, ItemResult};
use super::fields::{OwnFields, item};
use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::json::ApiJson;

/// One item of a bulk create: a draft of a new auth to publish (`draft_id`, alone), or
/// the fields of a new auth.
#[derive(Debug, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOwn {
    draft_id: Option<String>,
}

impl OwnFields for CreateOwn {
    const NAMES: &'static [&'static str] = &["draft_id"];

    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "draft_id" => self.draft_id = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

item!(
    /// One item of a bulk create.
    CreateItem,
    CreateOwn,
    RawFields
);

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    auths: Vec<CreateItem>,
    /// True: check and answer what would be created, write nothing.
    dry_run: Option<bool>,
}

/// The handler.
///
/// # Errors
/// 413 above the bulk limit, 403 when the caller may not create; otherwise 200 with
/// per-item results.
pub async fn create<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    ApiJson(body): ApiJson<CreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let items: Vec<auths_app::CreateItem> = body
        .auths
        .into_iter()
        .map(|CreateItem(i)| auths_app::CreateItem {
            draft_id: i.own.draft_id,
            fields: i.fields,
        })
        .collect();
    let svc = service.into_inner();
    if body.dry_run == Some(true) {
        let results = blocking(move || svc.create_dry_run(&caller.0, &items))
            .await?
            .into_iter()
            .enumerate()
            .map(|(index, outcome)| ItemResult::dry(index, outcome))
            .collect();
        return Ok(HttpResponse::Ok().json(BulkResponse {
            results,
            dry_run: Some(true),
        }));
    }
    let results = blocking(move || svc.create_many(&caller.0, &items))
        .await?
        .into_iter()
        .enumerate()
        .map(|(index, outcome)| {
            ItemResult::of(index, outcome.map(|o| (o.auth_id, o.version, true)))
        })
        .collect();
    Ok(HttpResponse::Ok().json(BulkResponse {
        results,
        dry_run: None,
    }))
}
