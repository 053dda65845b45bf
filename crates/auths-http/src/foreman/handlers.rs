//! The handlers of the Foreman-compatible API.

use std::collections::HashMap;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::web::{self, BytesMut};
use actix_web::{HttpRequest, HttpResponse};
use auths_app::foreman::{ExternalChanges, IndexRequest, Taxonomy as Tax, leading_number};
use auths_app::{AppError, AuthService};
use auths_domain::{CatalogEntry, Operation, PageRequest, Store};
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::error::ForemanError;
use super::views::{self, Envelope, Sort, Taxonomy};
use crate::auth::ReqCaller;

type Params = web::Query<HashMap<String, String>>;

const VIEW: &str = "view_authenticators";
const EDIT: &str = "edit_authenticators";
/// Largest body the Foreman API reads.
const BODY_LIMIT: usize = 1024 * 1024;

async fn run<T, F>(f: F, permission: &'static str, record: Option<i64>) -> Result<T, ForemanError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
{
    let span = tracing::Span::current();
    web::block(move || span.in_scope(f))
        .await
        .map_err(|e| {
            ForemanError::from_app(
                AppError::Internal(format!("blocking task failed: {e}")),
                permission,
                record,
            )
        })?
        .map_err(|e| ForemanError::from_app(e, permission, record))
}

/// A taxonomy id from the query or path: empty means any; otherwise its leading digits.
fn taxonomy_id(t: Tax, raw: Option<&String>) -> Result<Option<i64>, ForemanError> {
    match raw.map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => leading_number(s).map(Some).ok_or_else(|| {
            ForemanError::from_app(
                AppError::NotFound(format!("{} with id {s} not found", t.label())),
                VIEW,
                None,
            )
        }),
    }
}

/// `page` and `per_page`: positive integers (any size), `per_page` also `all`.
fn paging(q: &HashMap<String, String>) -> Result<(u64, Option<u64>), ForemanError> {
    let page = match q.get("page").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => 1,
        Some(s) => s.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            ForemanError::bad_request(format!("page must be a positive integer, not '{s}'"))
        })?,
    };
    let per_page = match q
        .get("per_page")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        None => Some(20),
        Some(s) if s.eq_ignore_ascii_case("all") => None,
        Some(s) => Some(s.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            ForemanError::bad_request(format!(
                "per_page must be a positive integer or 'all', not '{s}'"
            ))
        })?),
    };
    Ok((page, per_page))
}

fn page_request(page: u64, per_page: Option<u64>) -> Option<PageRequest> {
    per_page.map(|n| PageRequest {
        limit: u32::try_from(n).unwrap_or(u32::MAX),
        offset: (page - 1).saturating_mul(n),
    })
}

fn current(res: &mut HttpResponse, name: &'static str, entry: Option<&CatalogEntry>) {
    if let Some(e) = entry
        && let Ok(v) = HeaderValue::from_str(&format!("{}; {}", e.number, e.label))
    {
        res.headers_mut().insert(HeaderName::from_static(name), v);
    }
}

fn with_current(
    mut res: HttpResponse,
    location: Option<&CatalogEntry>,
    organization: Option<&CatalogEntry>,
) -> HttpResponse {
    current(&mut res, "foreman_current_location", location);
    current(&mut res, "foreman_current_organization", organization);
    res
}

async fn index_with<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    q: HashMap<String, String>,
    location: Option<i64>,
    organization: Option<i64>,
) -> Result<HttpResponse, ForemanError> {
    let caller = caller.0;
    caller
        .may(Operation::Search)
        .map_err(|_| ForemanError::forbidden(VIEW))?;
    let (page, per_page) = paging(&q)?;
    let search = q.get("search").filter(|s| !s.trim().is_empty()).cloned();
    let order = q.get("order").filter(|s| !s.trim().is_empty()).cloned();
    let request = IndexRequest {
        search: search.clone(),
        order: order.clone(),
        page: page_request(page, per_page),
        location,
        organization,
    };
    let svc = service.into_inner();
    let found = run(move || svc.external_index(&caller, &request), VIEW, None).await?;
    let sort = match order.as_deref() {
        None => Sort {
            by: None,
            order: None,
        },
        Some(o) => {
            let mut words = o.split_whitespace();
            Sort {
                by: words.next().map(str::to_owned),
                order: Some(words.next().unwrap_or("ASC").to_owned()),
            }
        }
    };
    let body = Envelope {
        total: found.total,
        subtotal: found.subtotal,
        page,
        per_page: per_page.unwrap_or(found.total),
        search,
        sort,
        results: found
            .rows
            .iter()
            .map(|a| views::item(a, &found.entries))
            .collect(),
    };
    let (loc, org) = split(&found.scope, location, organization);
    Ok(with_current(HttpResponse::Ok().json(body), loc, org))
}

/// `GET /api/auth_source_externals`.
///
/// # Errors
/// Foreman's 400, 403, 404.
pub async fn index<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    q: Params,
) -> Result<HttpResponse, ForemanError> {
    let q = q.into_inner();
    let location = taxonomy_id(Tax::Location, q.get("location_id"))?;
    let organization = taxonomy_id(Tax::Organization, q.get("organization_id"))?;
    index_with(service, caller, q, location, organization).await
}

/// `GET /api/locations/:location_id/auth_source_externals`.
///
/// # Errors
/// As [`index`].
pub async fn index_in_location<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
    q: Params,
) -> Result<HttpResponse, ForemanError> {
    let q = q.into_inner();
    let location = taxonomy_id(Tax::Location, Some(&path.into_inner()))?;
    let organization = taxonomy_id(Tax::Organization, q.get("organization_id"))?;
    index_with(service, caller, q, location, organization).await
}

/// `GET /api/organizations/:organization_id/auth_source_externals`.
///
/// # Errors
/// As [`index`].
pub async fn index_in_organization<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
    q: Params,
) -> Result<HttpResponse, ForemanError> {
    let q = q.into_inner();
    let organization = taxonomy_id(Tax::Organization, Some(&path.into_inner()))?;
    let location = taxonomy_id(Tax::Location, q.get("location_id"))?;
    index_with(service, caller, q, location, organization).await
}

/// `GET /api/auth_source_externals/:id`.
///
/// # Errors
/// Foreman's 403, 404.
pub async fn show<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
    q: Params,
) -> Result<HttpResponse, ForemanError> {
    let caller = caller.0;
    caller
        .may(Operation::Get)
        .map_err(|_| ForemanError::forbidden(VIEW))?;
    let raw = path.into_inner();
    let q = q.into_inner();
    let location = taxonomy_id(Tax::Location, q.get("location_id"))?;
    let organization = taxonomy_id(Tax::Organization, q.get("organization_id"))?;
    let svc = service.into_inner();
    let view = run(
        move || svc.external(&caller, &raw, location, organization),
        VIEW,
        None,
    )
    .await?;
    let (loc, org) = split(&view.scope, location, organization);
    Ok(with_current(
        HttpResponse::Ok().json(views::record(&view.auth, &view.entries)),
        loc,
        org,
    ))
}

fn split(
    taxonomies: &[CatalogEntry],
    location: Option<i64>,
    organization: Option<i64>,
) -> (Option<&CatalogEntry>, Option<&CatalogEntry>) {
    let find = |kind, n: Option<i64>| {
        n.and_then(|n| taxonomies.iter().find(|e| e.kind == kind && e.number == n))
    };
    (
        find(auths_domain::CatalogKind::Locations, location),
        find(auths_domain::CatalogKind::Departments, organization),
    )
}

async fn read_body(mut payload: web::Payload) -> Result<BytesMut, ForemanError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match crate::deadline::timed_out(&e) {
            Some(why) => {
                ForemanError::request_timeout(format!("the request body came too slowly: {why}"))
            }
            None => ForemanError::bad_request(format!("could not read the request body: {e}")),
        })?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(ForemanError::from_app(
                AppError::PayloadTooLarge(format!(
                    "the request body is larger than {BODY_LIMIT} bytes"
                )),
                EDIT,
                None,
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        })
}

/// One element of a `*_ids` or `*_names` list.
enum ListItem {
    Id(i64),
    Name(String),
}

/// The changes an update body asks for; other keys are ignored, as Foreman does.
fn changes(body: &Value) -> Result<ExternalChanges, Vec<auths_domain::FieldProblem>> {
    let src = body
        .get("auth_source_external")
        .filter(|v| v.is_object())
        .unwrap_or(body);
    let mut problems = Vec::new();
    let mut bad =
        |field: &str, message: &str| problems.push(auths_domain::FieldProblem::new(field, message));
    let name = match src.get("name") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) => Some(String::new()),
        Some(_) => {
            bad("name", "must be a String");
            None
        }
    };
    // `*_ids` and `*_names`: an array (of ids, or of names), or null for none.
    let mut list = |field: &str,
                    what: &str,
                    item: &dyn Fn(&Value) -> Option<ListItem>|
     -> Option<Vec<ListItem>> {
        match src.get(field) {
            None => None,
            Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(a)) if a.len() > auths_domain::auth::MAX_SECTION_ENTRIES => {
                bad(field, &format!("lists too many {what}"));
                None
            }
            Some(Value::Array(a)) => {
                let parsed: Option<Vec<ListItem>> = a.iter().map(item).collect();
                if parsed.is_none() {
                    bad(field, &format!("must be an array of {what}"));
                }
                parsed
            }
            Some(_) => {
                bad(field, &format!("must be an array of {what}"));
                None
            }
        }
    };
    let as_id = |v: &Value| match v {
        Value::Number(n) => n.as_i64().map(ListItem::Id),
        Value::String(s) => s.trim().parse().ok().map(ListItem::Id),
        _ => None,
    };
    let as_name = |v: &Value| v.as_str().map(|s| ListItem::Name(s.to_owned()));
    let ids_of = |l: Option<Vec<ListItem>>| {
        l.map(|l| {
            l.into_iter()
                .filter_map(|i| {
                    if let ListItem::Id(n) = i {
                        Some(n)
                    } else {
                        None
                    }
                })
                .collect()
        })
    };
    let names_of = |l: Option<Vec<ListItem>>| {
        l.map(|l| {
            l.into_iter()
                .filter_map(|i| {
                    if let ListItem::Name(n) = i {
                        Some(n)
                    } else {
                        None
                    }
                })
                .collect()
        })
    };
    let location_ids = ids_of(list("location_ids", "ids", &as_id));
    let organization_ids = ids_of(list("organization_ids", "ids", &as_id));
    let location_names = names_of(list("location_names", "names", &as_name));
    let organization_names = names_of(list("organization_names", "names", &as_name));
    if problems.is_empty() {
        Ok(ExternalChanges {
            name,
            location_ids,
            organization_ids,
            location_names,
            organization_names,
        })
    } else {
        Err(problems)
    }
}

/// `PUT /api/auth_source_externals/:id`, checked in Foreman's order: credentials and
/// permission, taxonomy, media type, record, validation.
///
/// # Errors
/// Foreman's 400, 403, 404, 415, 422.
pub async fn update<S: Store>(
    req: HttpRequest,
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
    q: Params,
    payload: web::Payload,
) -> Result<HttpResponse, ForemanError> {
    let caller = caller.0;
    caller
        .may(Operation::Update)
        .map_err(|_| ForemanError::forbidden(EDIT))?;
    let raw = path.into_inner();
    let record = leading_number(&raw);
    let q = q.into_inner();
    let location = taxonomy_id(Tax::Location, q.get("location_id"))?;
    let organization = taxonomy_id(Tax::Organization, q.get("organization_id"))?;
    let svc = service.into_inner();
    let (s1, c1) = (svc.clone(), caller.clone());
    // The taxonomy is checked before the media type (Foreman's order).
    run(
        move || s1.check_taxonomies(&c1, location, organization),
        EDIT,
        record,
    )
    .await?;
    if !is_json(&req) {
        return Err(ForemanError::unsupported_media_type());
    }
    let bytes = read_body(payload).await?;
    let body: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(&bytes).map_err(ForemanError::bad_json)?
    };
    let changes =
        changes(&body).map_err(|p| ForemanError::from_app(AppError::Invalid(p), EDIT, record))?;
    let view = run(
        move || svc.update_external(&caller, &raw, location, organization, &changes),
        EDIT,
        record,
    )
    .await?;
    let (loc, org) = split(&view.scope, location, organization);
    Ok(with_current(
        HttpResponse::Ok().json(views::record(&view.auth, &view.entries)),
        loc,
        org,
    ))
}

async fn taxonomy_index<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    q: Params,
    t: Tax,
) -> Result<HttpResponse, ForemanError> {
    let q = q.into_inner();
    let (page, per_page) = paging(&q)?;
    let svc = service.into_inner();
    let caller = caller.0;
    let (rows, total) = run(
        move || svc.taxonomies(&caller, t, page_request(page, per_page)),
        VIEW,
        None,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Envelope {
        total,
        subtotal: total,
        page,
        per_page: per_page.unwrap_or(total),
        search: None,
        sort: Sort {
            by: None,
            order: None,
        },
        results: rows.iter().map(Taxonomy::of).collect::<Vec<_>>(),
    }))
}

async fn taxonomy_show<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
    t: Tax,
) -> Result<HttpResponse, ForemanError> {
    let raw = path.into_inner();
    let Some(n) = leading_number(&raw) else {
        return Err(ForemanError::from_app(
            AppError::NotFound(format!("{} with id {raw} not found", t.label())),
            VIEW,
            None,
        ));
    };
    let svc = service.into_inner();
    let caller = caller.0;
    let e = run(move || svc.taxonomy(&caller, t, n), VIEW, None).await?;
    Ok(HttpResponse::Ok().json(Taxonomy::of(&e)))
}

async fn taxonomy_create<S: Store>(
    req: HttpRequest,
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    payload: web::Payload,
    t: Tax,
) -> Result<HttpResponse, ForemanError> {
    let permission = if t == Tax::Location {
        "create_locations"
    } else {
        "create_organizations"
    };
    let caller = caller.0;
    caller
        .may(Operation::CatalogWrite)
        .map_err(|_| ForemanError::forbidden(permission))?;
    if !is_json(&req) {
        return Err(ForemanError::unsupported_media_type());
    }
    let bytes = read_body(payload).await?;
    let body: Value = serde_json::from_slice(&bytes).map_err(ForemanError::bad_json)?;
    let key = if t == Tax::Location {
        "location"
    } else {
        "organization"
    };
    let name = body
        .get(key)
        .unwrap_or(&body)
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let svc = service.into_inner();
    let created = run(
        move || {
            svc.create_taxonomy(&caller, t, &name).map_err(|e| match e {
                AppError::Conflict { .. } => {
                    AppError::Invalid(vec![auths_domain::FieldProblem::new(
                        "name",
                        "has already been taken",
                    )])
                }
                AppError::Invalid(_) => AppError::Invalid(vec![auths_domain::FieldProblem::new(
                    "name",
                    "can't be blank",
                )]),
                other => other,
            })
        },
        permission,
        None,
    )
    .await?;
    Ok(HttpResponse::Created().json(Taxonomy::of(&created)))
}

/// `GET /api/locations`.
///
/// # Errors
/// Foreman's 400, 403.
pub async fn locations<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    q: Params,
) -> Result<HttpResponse, ForemanError> {
    taxonomy_index(service, caller, q, Tax::Location).await
}

/// `GET /api/organizations`.
///
/// # Errors
/// Foreman's 400, 403.
pub async fn organizations<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    q: Params,
) -> Result<HttpResponse, ForemanError> {
    taxonomy_index(service, caller, q, Tax::Organization).await
}

/// `GET /api/locations/:id`.
///
/// # Errors
/// Foreman's 403, 404.
pub async fn location<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ForemanError> {
    taxonomy_show(service, caller, path, Tax::Location).await
}

/// `GET /api/organizations/:id`.
///
/// # Errors
/// Foreman's 403, 404.
pub async fn organization<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ForemanError> {
    taxonomy_show(service, caller, path, Tax::Organization).await
}

/// `POST /api/locations` `{"location": {"name"}}`: 201.
///
/// # Errors
/// Foreman's 400, 403, 415, 422.
pub async fn create_location<S: Store>(
    req: HttpRequest,
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    payload: web::Payload,
) -> Result<HttpResponse, ForemanError> {
    taxonomy_create(req, service, caller, payload, Tax::Location).await
}

/// `POST /api/organizations` `{"organization": {"name"}}`: 201.
///
/// # Errors
/// Foreman's 400, 403, 415, 422.
pub async fn create_organization<S: Store>(
    req: HttpRequest,
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    payload: web::Payload,
) -> Result<HttpResponse, ForemanError> {
    taxonomy_create(req, service, caller, payload, Tax::Organization).await
}

/// `GET /api/status`.
pub async fn status() -> HttpResponse {
    HttpResponse::Ok().json(json!({"result": "ok", "status": 200, "version": env!("CARGO_PKG_VERSION"), "api_version": 2}))
}
