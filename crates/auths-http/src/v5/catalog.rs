//! `/api/v5/catalog/{kind}`: list, create; `/api/v5/catalog/{kind}/{id}`: rename, delete.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use auths_app::{AppError, AuthService, Missing};
use auths_domain::{CatalogEntry, CatalogKind, EntryId, EntryText, Store};
use serde::{Deserialize, Serialize};

use super::paging::page;
use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::json::ApiJson;

/// A catalog entry as shown: `{id, label}`, plus `key`, `value` (null when secret),
/// `secret` and, for a secret, its `fingerprint` (16 hex characters of a keyed HMAC of
/// the value: two secrets of one key told apart without their values) for items, and
/// whether it is seeded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EntryOut {
    id: String,
    label: String,
    seeded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprint: Option<String>,
}

impl From<CatalogEntry> for EntryOut {
    fn from(e: CatalogEntry) -> Self {
        let item = e.item;
        Self {
            id: e.id.to_string(),
            label: e.label,
            seeded: e.seeded,
            key: item.as_ref().map(|i| i.key.clone()),
            secret: item.as_ref().map(|i| i.secret),
            fingerprint: item.as_ref().and_then(|i| i.fingerprint.clone()),
            value: item.map(|i| i.value),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogQuery {
    search: Option<String>,
    page_size: Option<i64>,
    page_offset: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CatalogList {
    entries: Vec<EntryOut>,
    total_count: u64,
}

/// The longest catalog search text accepted (400 beyond).
pub const MAX_SEARCH_CHARS: usize = 255;

fn kind_of(raw: &str) -> Result<CatalogKind, ApiError> {
    raw.parse::<CatalogKind>()
        .map_err(|_| AppError::NotFound(Missing::Catalog(raw.to_owned())).into())
}

fn entry_id(kind: CatalogKind, raw: &str) -> Result<EntryId, ApiError> {
    EntryId::parse(raw).map_err(|_| {
        AppError::NotFound(Missing::Entry {
            kind,
            id: raw.to_owned(),
        })
        .into()
    })
}

/// `GET /api/v5/catalog/{kind}`.
///
/// # Errors
/// 400 (paging), 404 (unknown catalog).
pub async fn list<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
    query: web::Query<CatalogQuery>,
) -> Result<HttpResponse, ApiError> {
    let kind = kind_of(&path)?;
    let q = query.into_inner();
    let page = page(q.page_size, q.page_offset)?;
    if q.search
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_SEARCH_CHARS)
    {
        return Err(ApiError::bad_request(format!(
            "search is longer than {MAX_SEARCH_CHARS} characters"
        )));
    }
    let svc = service.into_inner();
    let found =
        blocking(move || svc.list_catalog(&caller.0, kind, q.search.as_deref(), page)).await?;
    Ok(HttpResponse::Ok().json(CatalogList {
        entries: found.rows.into_iter().map(EntryOut::from).collect(),
        total_count: found.total,
    }))
}

/// `POST /api/v5/catalog/{kind}`: 201 and the entry.
///
/// # Errors
/// 403, 404 (unknown catalog), 409 (label taken), 422.
pub async fn create<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
    ApiJson(input): ApiJson<EntryText>,
) -> Result<HttpResponse, ApiError> {
    let kind = kind_of(&path)?;
    let svc = service.into_inner();
    let entry = blocking(move || svc.create_entry(&caller.0, kind, &input)).await?;
    let location = format!("/api/v5/catalog/{kind}/{}", entry.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(EntryOut::from(entry)))
}

/// `PATCH /api/v5/catalog/{kind}/{id}`.
///
/// # Errors
/// 403, 404, 409, 422.
pub async fn update<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<(String, String)>,
    ApiJson(input): ApiJson<EntryText>,
) -> Result<HttpResponse, ApiError> {
    let (kind, id) = path.into_inner();
    let kind = kind_of(&kind)?;
    let id = entry_id(kind, &id)?;
    let svc = service.into_inner();
    let entry = blocking(move || svc.update_entry(&caller.0, kind, &id, &input)).await?;
    Ok(HttpResponse::Ok().json(EntryOut::from(entry)))
}

/// `DELETE /api/v5/catalog/{kind}/{id}`: 204.
///
/// # Errors
/// 403, 404, 409 (in use, seeded).
pub async fn delete<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (kind, id) = path.into_inner();
    let kind = kind_of(&kind)?;
    let id = entry_id(kind, &id)?;
    let svc = service.into_inner();
    blocking(move || svc.delete_entry(&caller.0, kind, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
