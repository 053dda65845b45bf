//! `/api/locations` and `/api/organizations`: index, show, create, update, destroy.

use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};
use auths_app::{AuthService, Taxonomy, TaxonomyChanges};
use auths_domain::Store;

use super::error::{Context, ForemanError};
use super::params::{Query, leading_number, page_request, paging};
use super::request::TaxonomyBody;
use super::views::{Envelope, Sort, Taxonomy as TaxonomyView};
use super::{VIEW, run, run_request, stream};
use crate::auth::ReqCaller;
use crate::blocking::run_blocking;
use auths_domain::PageRequest;
use std::sync::Arc;

/// What a write does to a taxonomy, for the permission Foreman names.
#[derive(Debug, Clone, Copy)]
enum Action {
    Create,
    Edit,
    Destroy,
}

/// Foreman's name of the permission to `action` a `t` (`edit_locations`, ...).
const fn permission(t: Taxonomy, action: Action) -> &'static str {
    match (t, action) {
        (Taxonomy::Location, Action::Create) => "create_locations",
        (Taxonomy::Location, Action::Edit) => "edit_locations",
        (Taxonomy::Location, Action::Destroy) => "destroy_locations",
        (Taxonomy::Organization, Action::Create) => "create_organizations",
        (Taxonomy::Organization, Action::Edit) => "edit_organizations",
        (Taxonomy::Organization, Action::Destroy) => "destroy_organizations",
    }
}

/// `GET /api/locations`, `GET /api/organizations`, with `search` (fields `name`,
/// `title`, `id`) and `order`.
///
/// # Errors
/// Foreman's 400, 403.
pub async fn index<S: Store>(
    t: Taxonomy,
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    q: web::Query<Query>,
) -> Result<HttpResponse, ForemanError> {
    let (page, per_page) = paging(&q)?;
    let given = |key: &str| q.get(key).filter(|s| !s.trim().is_empty()).cloned();
    let (search, order) = (given("search"), given("order"));
    let sort = Sort::of(order.as_deref());
    let svc = service.into_inner();
    let caller = Arc::new(caller.0);
    let long = stream::streamed(per_page);
    let (start, wanted) = stream::span(page, per_page);
    let first_page = if long {
        Some(PageRequest {
            limit: stream::limit(wanted),
            offset: start,
        })
    } else {
        page_request(page, per_page)
    };
    let (first_svc, first_caller) = (Arc::clone(&svc), Arc::clone(&caller));
    let (s, o) = (search.clone(), order.clone());
    let (rows, total, subtotal) = run(
        move || first_svc.taxonomies(&first_caller, t, s.as_deref(), o.as_deref(), first_page),
        Context::new(VIEW),
    )
    .await?;
    if long {
        // Served in batches, each its own read (see `stream`).
        let head = stream::Head {
            total,
            subtotal,
            page,
            per_page: per_page.unwrap_or(total),
            search: search.clone(),
            sort,
        };
        let first = rows.iter().map(TaxonomyView::of).collect();
        let next = move |offset: u64, limit: u32| -> stream::Batch<TaxonomyView> {
            let (svc, caller) = (Arc::clone(&svc), Arc::clone(&caller));
            let (s, o) = (search.clone(), order.clone());
            Box::pin(async move {
                let (rows, _, _) = run_blocking(move || {
                    svc.taxonomies(
                        &caller,
                        t,
                        s.as_deref(),
                        o.as_deref(),
                        Some(PageRequest { limit, offset }),
                    )
                })
                .await
                .and_then(|r| r)?;
                Ok(rows.iter().map(TaxonomyView::of).collect())
            })
        };
        return Ok(stream::answer(&head, first, start, wanted, next));
    }
    Ok(HttpResponse::Ok().json(Envelope {
        total,
        subtotal,
        page,
        per_page: per_page.unwrap_or(total),
        search,
        sort,
        results: rows.iter().map(TaxonomyView::of).collect::<Vec<_>>(),
    }))
}

/// The number of the taxonomy written `raw` in a path (its leading digits), or
/// Foreman's 404 naming it as written.
fn number_of(t: Taxonomy, raw: &str) -> Result<i64, ForemanError> {
    leading_number(raw).ok_or_else(|| ForemanError::taxonomy_not_found(t.kind(), raw))
}

/// `GET /api/locations/:id`, `GET /api/organizations/:id`.
///
/// # Errors
/// Foreman's 403, 404.
pub async fn show<S: Store>(
    t: Taxonomy,
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ForemanError> {
    let raw = path.into_inner();
    let n = number_of(t, &raw)?;
    let svc = service.into_inner();
    let e = run(move || svc.taxonomy(&caller.0, t, n), Context::new(VIEW)).await?;
    Ok(HttpResponse::Ok().json(TaxonomyView::of(&e)))
}

/// The name a create body gives, or why the body cannot be read.
async fn read_created(
    req: &HttpRequest,
    payload: web::Payload,
    t: Taxonomy,
    ctx: Context<'_>,
) -> Result<TaxonomyChanges, ForemanError> {
    let value = super::read_json(req, payload, false).await?;
    TaxonomyBody::of(value, t)
        .created()
        .map_err(|p| ctx.invalid(p))
}

/// `POST /api/locations` `{"location": {"name", "description"}}`, likewise
/// organizations: 201,
/// checked in Foreman's order: permission, media type, body, validation.
///
/// # Errors
/// Foreman's 400, 403, 415, 422.
pub async fn create<S: Store>(
    t: Taxonomy,
    req: HttpRequest,
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    payload: web::Payload,
) -> Result<HttpResponse, ForemanError> {
    let permission = permission(t, Action::Create);
    let ctx = Context::new(permission).label_is_name();
    let name = read_created(&req, payload, t, ctx).await;
    let svc = service.into_inner();
    let created = run_request(move || svc.create_taxonomy(&caller.0, t, name), ctx).await?;
    Ok(HttpResponse::Created().json(TaxonomyView::of(&created)))
}

/// `PUT /api/locations/:id` `{"location": {"name", "description"}}`, likewise
/// organizations: 200 and the taxonomy. A body naming what is there changes nothing.
///
/// # Errors
/// Foreman's 400, 403, 404, 415, 422.
pub async fn update<S: Store>(
    t: Taxonomy,
    req: HttpRequest,
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ForemanError> {
    let raw = path.into_inner();
    let n = number_of(t, &raw)?;
    let permission = permission(t, Action::Edit);
    let ctx = Context::new(permission)
        .label_is_name()
        .record(&raw, Some(n));
    let name = match super::read_json(&req, payload, false).await {
        Ok(value) => TaxonomyBody::of(value, t)
            .changes()
            .map_err(|p| ctx.invalid(p)),
        Err(e) => Err(e),
    };
    let svc = service.into_inner();
    let updated = run_request(move || svc.update_taxonomy(&caller.0, t, n, name), ctx).await?;
    Ok(HttpResponse::Ok().json(TaxonomyView::of(&updated)))
}

/// `DELETE /api/locations/:id`, likewise organizations: 200 and the taxonomy as it was;
/// 422 while an auth source uses it.
///
/// # Errors
/// Foreman's 403, 404, 422.
pub async fn destroy<S: Store>(
    t: Taxonomy,
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ForemanError> {
    let raw = path.into_inner();
    let n = number_of(t, &raw)?;
    let permission = permission(t, Action::Destroy);
    let ctx = Context::new(permission).record(&raw, Some(n));
    let svc = service.into_inner();
    let gone = run(move || svc.destroy_taxonomy(&caller.0, t, n), ctx).await?;
    Ok(HttpResponse::Ok().json(TaxonomyView::of(&gone)))
}
