//! `/api/auth_source_externals`: index (also under a location or an organization),
//! show and update.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};
use auths_app::{AuthService, ExternalChanges, IndexRequest, Taxonomy};
use auths_domain::ldap::SourceKind;
use auths_domain::{Auth, CatalogEntry, CatalogKind, Store};
use serde::Serialize;

use super::error::{Context, ForemanError};
use super::params::{self, Query, leading_number, page_request, paging};
use super::request::ExternalBody;
use super::views::{self, Envelope, Sort};
use super::{VIEW, run, run_request, stream};
use crate::auth::ReqCaller;
use crate::blocking::run_blocking;
use crate::rejection::Rejection;
use auths_domain::PageRequest;
use serde_json::Value;
use std::sync::Arc;

const EDIT: &str = "edit_authenticators";

fn current(res: &mut HttpResponse, name: &'static str, entry: Option<&CatalogEntry>) {
    if let Some(e) = entry
        && let Ok(v) = HeaderValue::from_str(&format!("{}; {}", e.number, e.label))
    {
        res.headers_mut().insert(HeaderName::from_static(name), v);
    }
}

/// The answer with `Foreman_current_location` and `..._organization` naming the
/// taxonomies the request was scoped to.
pub(super) fn with_current(mut res: HttpResponse, scope: &[CatalogEntry]) -> HttpResponse {
    let of = |kind| scope.iter().find(|e| e.kind == kind);
    current(
        &mut res,
        "foreman_current_location",
        of(CatalogKind::Locations),
    );
    current(
        &mut res,
        "foreman_current_organization",
        of(CatalogKind::Departments),
    );
    res
}

/// An index of the sources of `kind` (`None`: every kind), each rendered by `render`.
pub(super) async fn index_in<S: Store, T: Serialize + 'static>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    q: Query,
    path: Option<(Taxonomy, &String)>,
    kind: Option<SourceKind>,
    render: fn(&Auth, &[CatalogEntry]) -> T,
) -> Result<HttpResponse, ForemanError> {
    let (location, organization) = params::scope(&q, path)?;
    let (page, per_page) = paging(&q)?;
    let given = |key: &str| q.get(key).filter(|s| !s.trim().is_empty()).cloned();
    let (search, order) = (given("search"), given("order"));
    let long = stream::streamed(per_page);
    let (start, wanted) = stream::span(page, per_page);
    let request = IndexRequest {
        kind,
        search: search.clone(),
        order: order.clone(),
        page: if long {
            Some(PageRequest {
                limit: stream::limit(wanted),
                offset: start,
            })
        } else {
            page_request(page, per_page)
        },
        location,
        organization,
    };
    let svc = service.into_inner();
    let (first_svc, first_caller, first_request) =
        (Arc::clone(&svc), caller.0.clone(), request.clone());
    let found = run(
        move || first_svc.external_index(&first_caller, &first_request),
        Context::new(VIEW),
    )
    .await?;
    let sort = Sort::of(order.as_deref());
    if long {
        let head = stream::Head {
            total: found.total,
            subtotal: found.subtotal,
            page,
            per_page: per_page.unwrap_or(found.total),
            search,
            sort,
        };
        let first: Vec<T> = found
            .rows
            .iter()
            .map(|a| render(a, &found.entries))
            .collect();
        let caller = Arc::new(caller.0);
        let next = move |offset: u64, limit: u32| -> stream::Batch<T> {
            let (svc, caller) = (Arc::clone(&svc), Arc::clone(&caller));
            let mut request = request.clone();
            request.page = Some(PageRequest { limit, offset });
            Box::pin(async move {
                let batch = run_blocking(move || svc.external_batch(&caller, &request))
                    .await
                    .and_then(|r| r)?;
                Ok(batch
                    .rows
                    .iter()
                    .map(|a| render(a, &batch.entries))
                    .collect())
            })
        };
        let res = stream::answer(&head, first, start, wanted, next);
        return Ok(with_current(res, &found.scope));
    }
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
            .map(|a| render(a, &found.entries))
            .collect::<Vec<T>>(),
    };
    Ok(with_current(HttpResponse::Ok().json(body), &found.scope))
}

/// `GET /api/auth_source_externals`.
///
/// # Errors
/// Foreman's 400, 403, 404.
pub async fn index<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    q: web::Query<Query>,
) -> Result<HttpResponse, ForemanError> {
    index_in(
        service,
        caller,
        q.into_inner(),
        None,
        Some(SourceKind::External),
        views::item,
    )
    .await
}

/// `GET /api/locations/:location_id/auth_source_externals`, and likewise under an
/// organization (`t`).
///
/// # Errors
/// As [`index`].
pub async fn index_under<S: Store>(
    t: Taxonomy,
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
    q: web::Query<Query>,
) -> Result<HttpResponse, ForemanError> {
    let path = path.into_inner();
    index_in(
        service,
        caller,
        q.into_inner(),
        Some((t, &path)),
        Some(SourceKind::External),
        views::item,
    )
    .await
}

/// `GET /api/auth_source_externals/:id`.
///
/// # Errors
/// Foreman's 403, 404.
pub async fn show<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
    q: web::Query<Query>,
) -> Result<HttpResponse, ForemanError> {
    let raw = path.into_inner();
    let number = leading_number(&raw);
    let (location, organization) = params::scope(&q, None)?;
    let svc = service.into_inner();
    let view = run(
        move || {
            svc.external(
                &caller.0,
                Some(SourceKind::External),
                number,
                location,
                organization,
            )
        },
        Context::new(VIEW).record(&raw, None),
    )
    .await?;
    Ok(with_current(
        HttpResponse::Ok().json(views::record(&view.auth, &view.entries)),
        &view.scope,
    ))
}

/// The changes a request body asks for, or the reason it cannot be read: its media
/// type, its size or pace, its JSON, the shape of its fields. A body that is not an
/// object asks for nothing, as Foreman ignores what it does not know.
async fn read_changes(
    req: &HttpRequest,
    payload: web::Payload,
    ctx: Context<'_>,
) -> Result<ExternalChanges, ForemanError> {
    let value = super::read_json(req, payload, true).await?;
    let body: ExternalBody = match value {
        Value::Object(_) => serde_json::from_value(value)
            .map_err(|e| ForemanError::from(Rejection::MalformedJson(e.to_string())))?,
        _ => ExternalBody::default(),
    };
    body.changes().map_err(|problems| ctx.invalid(problems))
}

/// `PUT /api/auth_source_externals/:id`, checked in Foreman's order: credentials and
/// permission, taxonomy, media type, record, validation (the body is read first, and
/// its problems are answered where that order puts them).
///
/// # Errors
/// Foreman's 400, 403, 404, 415, 422.
pub async fn update<S: Store>(
    req: HttpRequest,
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
    q: web::Query<Query>,
    payload: web::Payload,
) -> Result<HttpResponse, ForemanError> {
    let raw = path.into_inner();
    let number = leading_number(&raw);
    let ctx = Context::new(EDIT).record(&raw, number);
    let scope = params::scope(&q, None);
    let changes = read_changes(&req, payload, ctx).await;
    let svc = service.into_inner();
    let view = run_request(
        move || svc.update_external(&caller.0, number, scope, changes),
        ctx,
    )
    .await?;
    Ok(with_current(
        HttpResponse::Ok().json(views::record(&view.auth, &view.entries)),
        &view.scope,
    ))
}
