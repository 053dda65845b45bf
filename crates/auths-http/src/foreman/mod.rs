//! The Foreman-compatible API, v2 (`../shared/spec/foreman-v2.md`): auth source
//! externals, locations, organizations, status, and the apipie document, over the same
//! use cases as v5. Mounted under `/api` and `/api/v2`, with `.json` suffixes.

pub mod apidoc;
pub mod error;
mod handlers;
mod views;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::web;
use auths_domain::Store;

pub use error::ForemanError;

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

fn both(path: &str) -> [String; 2] {
    [path.to_owned(), format!("{path}.json")]
}

/// Mounts the routes under one prefix (`""` or `"/v2"`) of the `/api` scope.
fn routes<S: Store>(cfg: &mut web::ServiceConfig, prefix: &str) {
    use actix_web::http::Method;
    use handlers::*;
    let na = crate::fallback::method_not_allowed;
    for p in both(&format!("{prefix}/auth_source_externals")) {
        cfg.service(
            web::resource(p)
                .wrap(from_fn(headers))
                .route(web::get().to(index::<S>))
                .default_service(na(&[Method::GET])),
        );
    }
    cfg.service(
        web::resource(format!("{prefix}/auth_source_externals/{{id}}"))
            .wrap(from_fn(headers))
            .route(web::get().to(show::<S>))
            .route(web::put().to(update::<S>))
            .default_service(na(&[Method::GET, Method::PUT])),
    );
    for (plural, which) in [("locations", "location"), ("organizations", "organization")] {
        for p in both(&format!(
            "{prefix}/{plural}/{{taxonomy_id}}/auth_source_externals"
        )) {
            let r = if which == "location" {
                web::get().to(index_in_location::<S>)
            } else {
                web::get().to(index_in_organization::<S>)
            };
            cfg.service(
                web::resource(p)
                    .wrap(from_fn(headers))
                    .route(r)
                    .default_service(na(&[Method::GET])),
            );
        }
        for p in both(&format!("{prefix}/{plural}")) {
            let (list, create) = if which == "location" {
                (
                    web::get().to(locations::<S>),
                    web::post().to(create_location::<S>),
                )
            } else {
                (
                    web::get().to(organizations::<S>),
                    web::post().to(create_organization::<S>),
                )
            };
            cfg.service(
                web::resource(p)
                    .wrap(from_fn(headers))
                    .route(list)
                    .route(create)
                    .default_service(na(&[Method::GET, Method::POST])),
            );
        }
        let r = if which == "location" {
            web::get().to(location::<S>)
        } else {
            web::get().to(organization::<S>)
        };
        cfg.service(
            web::resource(format!("{prefix}/{plural}/{{taxonomy_id}}"))
                .wrap(from_fn(headers))
                .route(r)
                .default_service(na(&[Method::GET])),
        );
    }
    for p in both(&format!("{prefix}/status")) {
        cfg.service(
            web::resource(p)
                .wrap(from_fn(headers))
                .route(web::get().to(status))
                .default_service(na(&[Method::GET])),
        );
    }
}

/// Mounts the Foreman-compatible routes (inside the `/api` scope).
pub fn configure<S: Store>(cfg: &mut web::ServiceConfig) {
    routes::<S>(cfg, "");
    routes::<S>(cfg, "/v2");
}
