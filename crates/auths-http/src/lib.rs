//! # auths-http
//!
//! The HTTP face of auths, on actix-web: [`configure`] mounts every route; credentials
//! are checked by middleware on `/api`; every error, including the framework's own
//! (bad path or query, unknown route, wrong method), answers the JSON error body of
//! the spec. Use cases run off the async threads through [`blocking::blocking`]. A
//! request body that arrives too slowly ends the request with 408 ([`deadline`]).

pub mod admin;
pub mod auth;
pub mod blocking;
pub mod body;
pub mod deadline;
pub mod error;
mod fallback;
pub mod foreman;
mod health;
pub mod json;
pub mod mcp;
pub mod rejection;
pub mod throttle;
pub mod trace;
pub(crate) mod v5;

use actix_web::middleware::from_fn;
use actix_web::web;
use auths_domain::Store;

pub use error::{ApiError, ErrorObject};
pub use json::{BodyLimit, DEFAULT_BODY_LIMIT};
pub use v5::openapi::document as openapi_document;
pub use v5::registry::{Endpoint, endpoints as v5_endpoints};

/// The headers every answer carries (JSON and CSV alike): never cached, never
/// sniffed as another type, never framed, no referrer, no active content.
pub fn security_headers() -> actix_web::middleware::DefaultHeaders {
    SECURITY_HEADERS
        .iter()
        .fold(actix_web::middleware::DefaultHeaders::new(), |h, &pair| {
            h.add(pair)
        })
}

/// A path or query string the routes cannot read answers the JSON error body: 404 for
/// a path, 400 for a query.
pub fn extractor_errors(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PathConfig::default().error_handler(|e, _| {
        ApiError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            error::ErrorCode::NotFound,
            e.to_string(),
        )
        .into()
    }))
    .app_data(
        web::QueryConfig::default().error_handler(|e, _| {
            ApiError::bad_request(format!("invalid query string: {e}")).into()
        }),
    );
}

/// Mounts the v5 API under `/api/v5`, with its credential check and body deadline:
/// a part of [`configure`], and the whole of the application that `/mcp` calls its
/// tools on.
pub fn v5_api<S: Store>(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v5")
            .wrap(from_fn(auth::authenticate::<S, error::V5, _>))
            .wrap(from_fn(deadline::body_deadline))
            .wrap(security_headers())
            .configure(v5::configure::<S>)
            .default_service(web::to(fallback::not_found)),
    );
}

/// The headers of [`security_headers`], by name and value.
pub const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    (
        "Content-Security-Policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
];

/// Mounts every route. The application must hold, as app data, a
/// `web::Data<AuthService<S>>` and, optionally, a [`BodyLimit`] and a
/// `web::Data<throttle::FailedLogins>` (shared by all workers; without it, failed
/// credentials are not throttled).
pub fn configure<S: Store>(cfg: &mut web::ServiceConfig) {
    extractor_errors(cfg);
    cfg.service(
        web::resource("/healthz")
            .wrap(security_headers())
            .route(web::get().to(health::healthz)),
    )
    .service(
        web::resource("/readyz")
            .wrap(security_headers())
            .route(web::get().to(health::readyz::<S>)),
    )
    .service(
        web::resource(["/apidoc/v2.json", "/apidoc/v2"])
            .wrap(security_headers())
            .route(web::get().to(foreman::apidoc::apidoc)),
    )
    // The MCP front door: the v5 operations as tools, under the same credentials.
    .service(
        web::resource("/mcp")
            .wrap(from_fn(auth::authenticate::<S, error::V5, _>))
            .wrap(from_fn(deadline::body_deadline))
            .wrap(security_headers())
            .route(web::post().to(mcp::post::<S>))
            .default_service(web::to(mcp::not_allowed)),
    )
    .app_data(mcp::Door::default())
    // Each API under its own scope, with the shared credential check and body
    // deadline, in its own words. `/api/v5` is tried first.
    .configure(v5_api::<S>)
    .service(
        web::scope("/api")
            .wrap(from_fn(auth::authenticate::<S, foreman::Foreman, _>))
            .wrap(from_fn(deadline::body_deadline))
            .wrap(security_headers())
            .configure(foreman::configure::<S>)
            .default_service(web::to(fallback::not_found)),
    )
    // The admin page, over the v5 API.
    .configure(admin::configure)
    // Every other path: a JSON 404, with the same headers as every answer.
    .default_service(web::to(fallback::not_found));
}
