//! The Foreman-compatible API, v2 (`../shared/spec/foreman-v2.md`): auth source
//! externals, locations, organizations, status, and the apipie document, over the same
//! use cases as v5. A plain adapter: it reads Foreman's ids and bodies, and words the
//! use cases' typed reasons in Foreman's words ([`error`]). Mounted under `/api` and
//! `/api/v2`, with `.json` suffixes, from one flat table (`routes`).

pub mod apidoc;
pub mod error;
mod externals;
mod ldaps;
mod params;
mod request;
pub mod stream;
mod taxonomies;
mod views;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpResponse, Route, web};
use auths_app::{AppError, AuthService, Refused, Taxonomy};
use auths_domain::Store;

pub use error::{Foreman, ForemanError};

use crate::auth::ReqCaller;
use crate::blocking::{blocking_as, run_blocking};
use crate::body::{self, MediaRule};
use crate::rejection::Rejection;
use error::Context;
use params::Query;

/// Foreman's permission to read auth sources.
const VIEW: &str = "view_authenticators";
/// Largest body the Foreman API reads.
const BODY_LIMIT: usize = 1024 * 1024;

/// Runs a use case off the async threads; its error in Foreman's words.
async fn run<T, F>(f: F, ctx: Context<'_>) -> Result<T, ForemanError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
{
    blocking_as(f, |e| ctx.error(e)).await
}

/// Runs a use case that takes the request as the adapter read it (see
/// [`auths_app::Refused`]): the request's refusal is answered as it is.
async fn run_request<T, F>(f: F, ctx: Context<'_>) -> Result<T, ForemanError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, Refused<ForemanError>> + Send + 'static,
{
    run_blocking(f)
        .await
        .map_err(|e| ctx.error(e))?
        .map_err(|refused| match refused {
            Refused::App(e) => ctx.error(e),
            Refused::Request(e) => e,
        })
}

/// A request's JSON body: its media type must be `application/json`, its size within
/// [`BODY_LIMIT`], its JSON well formed (an empty body reads as `{}` where
/// `empty_is_object`, and is malformed otherwise, as Foreman's parser says).
async fn read_json(
    req: &actix_web::HttpRequest,
    payload: web::Payload,
    empty_is_object: bool,
) -> Result<serde_json::Value, ForemanError> {
    if !body::media_type_ok(req, MediaRule::Json) {
        return Err(Rejection::UnsupportedMediaType.into());
    }
    let bytes = body::read(req, payload.into_inner(), BODY_LIMIT).await?;
    if !empty_is_object && bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Rejection::MalformedJson("the body is empty".into()).into());
    }
    Ok(body::json(&bytes)?)
}

/// The headers every Foreman answer carries; `Foreman_current_*` default to "; ANY"
/// when the handler did not name a taxonomy.
pub async fn headers<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    h.insert(
        HeaderName::from_static("foreman_api_version"),
        HeaderValue::from_static("2"),
    );
    for name in ["foreman_current_location", "foreman_current_organization"] {
        let name = HeaderName::from_static(name);
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static("; ANY"));
        }
    }
    if let Ok(v) = HeaderValue::from_str(apidoc::checksum()) {
        h.insert(HeaderName::from_static("apipie-checksum"), v);
    }
    Ok(res)
}

/// `GET /api/status`.
pub async fn status() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"result": "ok", "status": 200, "version": env!("CARGO_PKG_VERSION"), "api_version": 2}))
}

type Data<S> = web::Data<AuthService<S>>;

/// One resource: a path (under `/api` and `/api/v2`, also with `.json`), and its
/// methods.
struct Resource {
    path: &'static str,
    routes: Vec<(Method, Route)>,
}

fn resource(path: &'static str, routes: Vec<(Method, Route)>) -> Resource {
    Resource { path, routes }
}

/// The taxonomy routes of `t`, and the index of the auth sources under one.
fn taxonomy<S: Store>(t: Taxonomy) -> [(Method, Route); 7] {
    [
        (
            Method::GET,
            web::get().to(move |s: Data<S>, c: ReqCaller, q: web::Query<Query>| {
                taxonomies::index(t, s, c, q)
            }),
        ),
        (
            Method::POST,
            web::post().to(
                move |r: actix_web::HttpRequest, s: Data<S>, c: ReqCaller, p: web::Payload| {
                    taxonomies::create(t, r, s, c, p)
                },
            ),
        ),
        (
            Method::GET,
            web::get().to(move |s: Data<S>, c: ReqCaller, p: web::Path<String>| {
                taxonomies::show(t, s, c, p)
            }),
        ),
        (
            Method::GET,
            web::get().to(
                move |s: Data<S>, c: ReqCaller, p: web::Path<String>, q: web::Query<Query>| {
                    externals::index_under(t, s, c, p, q)
                },
            ),
        ),
        (
            Method::PUT,
            web::put().to(
                move |r: actix_web::HttpRequest,
                      s: Data<S>,
                      c: ReqCaller,
                      path: web::Path<String>,
                      p: web::Payload| { taxonomies::update(t, r, s, c, path, p) },
            ),
        ),
        (
            Method::DELETE,
            web::delete().to(move |s: Data<S>, c: ReqCaller, p: web::Path<String>| {
                taxonomies::destroy(t, s, c, p)
            }),
        ),
        (
            Method::GET,
            web::get().to(
                move |s: Data<S>, c: ReqCaller, p: web::Path<String>, q: web::Query<Query>| {
                    ldaps::index_under(t, s, c, p, q)
                },
            ),
        ),
    ]
}

/// Every route of the API, one line a resource.
fn routes<S: Store>() -> Vec<Resource> {
    let [
        loc_index,
        loc_create,
        loc_show,
        loc_sources,
        loc_update,
        loc_destroy,
        loc_ldaps,
    ] = taxonomy::<S>(Taxonomy::Location);
    let [
        org_index,
        org_create,
        org_show,
        org_sources,
        org_update,
        org_destroy,
        org_ldaps,
    ] = taxonomy::<S>(Taxonomy::Organization);
    vec![
        resource(
            "/auth_source_externals",
            vec![(Method::GET, web::get().to(externals::index::<S>))],
        ),
        resource(
            "/auth_source_externals/{id}",
            vec![
                (Method::GET, web::get().to(externals::show::<S>)),
                (Method::PUT, web::put().to(externals::update::<S>)),
            ],
        ),
        resource(
            "/locations/{taxonomy_id}/auth_source_externals",
            vec![loc_sources],
        ),
        resource(
            "/organizations/{taxonomy_id}/auth_source_externals",
            vec![org_sources],
        ),
        resource(
            "/auth_source_ldaps",
            vec![
                (Method::GET, web::get().to(ldaps::index::<S>)),
                (Method::POST, web::post().to(ldaps::create::<S>)),
            ],
        ),
        resource(
            "/auth_source_ldaps/{id}",
            vec![
                (Method::GET, web::get().to(ldaps::show::<S>)),
                (Method::PUT, web::put().to(ldaps::update::<S>)),
                (Method::DELETE, web::delete().to(ldaps::destroy::<S>)),
            ],
        ),
        resource(
            "/auth_source_ldaps/{id}/test",
            vec![(Method::PUT, web::put().to(ldaps::test::<S>))],
        ),
        resource(
            "/locations/{taxonomy_id}/auth_source_ldaps",
            vec![loc_ldaps],
        ),
        resource(
            "/organizations/{taxonomy_id}/auth_source_ldaps",
            vec![org_ldaps],
        ),
        resource(
            "/auth_sources",
            vec![(Method::GET, web::get().to(ldaps::index_all::<S>))],
        ),
        resource(
            "/auth_sources/{id}",
            vec![(Method::GET, web::get().to(ldaps::show_any::<S>))],
        ),
        resource("/locations", vec![loc_index, loc_create]),
        resource(
            "/locations/{taxonomy_id}",
            vec![loc_show, loc_update, loc_destroy],
        ),
        resource("/organizations", vec![org_index, org_create]),
        resource(
            "/organizations/{taxonomy_id}",
            vec![org_show, org_update, org_destroy],
        ),
        resource("/status", vec![(Method::GET, web::get().to(status))]),
    ]
}

/// Mounts the Foreman-compatible routes (inside the `/api` scope): every resource of
/// `routes` under `""` and `"/v2"`, with and without `.json` (an id route takes the
/// suffix as part of the id, whose leading digits count).
pub fn configure<S: Store>(cfg: &mut web::ServiceConfig) {
    for prefix in ["", "/v2"] {
        for suffix in ["", ".json"] {
            for r in routes::<S>() {
                if suffix == ".json" && r.path.ends_with('}') {
                    continue;
                }
                let methods: Vec<Method> = r.routes.iter().map(|(m, _)| m.clone()).collect();
                let mut resource =
                    web::resource(format!("{prefix}{}{suffix}", r.path)).wrap(from_fn(headers));
                for (_, route) in r.routes {
                    resource = resource.route(route);
                }
                cfg.service(
                    resource.default_service(crate::fallback::method_not_allowed(&methods)),
                );
            }
        }
    }
}
