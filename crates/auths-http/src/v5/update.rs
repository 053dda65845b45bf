//! `POST /api/v5/artifacts/auths/update`: bulk update, one result per item, in input
//! order, each item in its own transaction.

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

/// One item of a bulk update: the auth (`auth_id`), the version the change was made
/// against (`expected_version`), and a draft of it to publish (`draft_id`, alone) or the
/// fields to change.
#[derive(Debug, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOwn {
    #[schema(value_type = String)]
    auth_id: Option<String>,
    expected_version: Option<i64>,
    draft_id: Option<String>,
}

impl OwnFields for UpdateOwn {
    const NAMES: &'static [&'static str] = &["auth_id", "expected_version", "draft_id"];

    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "auth_id" => self.auth_id = Some(map.next_value()?),
            "expected_version" => self.expected_version = map.next_value()?,
            "draft_id" => self.draft_id = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn missing(&self) -> Option<&'static str> {
        self.auth_id.is_none().then_some("auth_id")
    }
}

item!(
    /// One item of a bulk update.
    UpdateItem,
    UpdateOwn,
    RawFields
);

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRequest {
    auths: Vec<UpdateItem>,
    /// True: check and answer what would change, write nothing.
    dry_run: Option<bool>,
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
    let items: Vec<auths_app::UpdateItem> = body
        .auths
        .into_iter()
        .map(|UpdateItem(i)| auths_app::UpdateItem {
            auth_id: i.own.auth_id.unwrap_or_default(),
            expected_version: i.own.expected_version,
            draft_id: i.own.draft_id,
            fields: i.fields,
        })
        .collect();
    let svc = service.into_inner();
    if body.dry_run == Some(true) {
        let results = blocking(move || svc.update_dry_run(&caller.0, &items))
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
    let results = blocking(move || svc.update_many(&caller.0, &items))
        .await?
        .into_iter()
        .enumerate()
        .map(|(index, outcome)| {
            ItemResult::of(index, outcome.map(|o| (o.auth_id, o.version, o.changed)))
        })
        .collect();
    Ok(HttpResponse::Ok().json(BulkResponse {
        results,
        dry_run: None,
    }))
}
