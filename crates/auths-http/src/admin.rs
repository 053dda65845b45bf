//! The admin page: `GET /` and its assets under `/admin/`, compiled into the binary.
//!
//! The page is a small client-side application in plain JavaScript modules (no
//! framework, no build step: docs/decisions.md §35). It holds no server-side state and
//! no credentials: it signs in with an API key kept in the tab's session storage and
//! sends it as the `X-Api-Key` header on every call to the v5 API, so that the page can
//! do exactly what the API allows the key, and no cookie ever opens a cross-site
//! request path. Its own answers carry a content security policy that lets it run its
//! own scripts and styles and talk to its own origin, nothing else.

use std::sync::LazyLock;

use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use crate::fallback::method_not_allowed;

/// One embedded file: its path under `/admin/`, its media type, its text.
struct Asset {
    name: &'static str,
    media_type: &'static str,
    body: &'static str,
}

macro_rules! assets {
    ($($name:literal => $media:literal),* $(,)?) => {
        [$(Asset {
            name: $name,
            media_type: $media,
            body: include_str!(concat!("../assets/admin/", $name)),
        }),*]
    };
}

/// Every file of the page. `index.html` is served at `/`.
const ASSETS: [Asset; 9] = assets![
    "index.html" => "text/html; charset=utf-8",
    "app.css" => "text/css; charset=utf-8",
    "app.js" => "text/javascript; charset=utf-8",
    "api.js" => "text/javascript; charset=utf-8",
    "dom.js" => "text/javascript; charset=utf-8",
    "search.js" => "text/javascript; charset=utf-8",
    "form.js" => "text/javascript; charset=utf-8",
    "history.js" => "text/javascript; charset=utf-8",
    "favicon.svg" => "image/svg+xml",
];

/// The page's content security policy: its own scripts, styles, images and API, no
/// inline code, no frames, no form posts, no plugins.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// The strong validator of each asset, by position in [`ASSETS`]: the first 16 hex
/// characters of its SHA-256, quoted.
static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            let digest = Sha256::digest(a.body.as_bytes());
            let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
            format!("\"{hex}\"")
        })
        .collect()
});

/// Mounts `/` and `/admin/{file}` (GET and HEAD).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/")
            .route(web::get().to(index))
            .route(web::head().to(index))
            .default_service(method_not_allowed(&[Method::GET, Method::HEAD])),
    )
    .service(
        web::resource("/admin/{file}")
            .route(web::get().to(file))
            .route(web::head().to(file))
            .default_service(method_not_allowed(&[Method::GET, Method::HEAD])),
    );
}

async fn index(req: HttpRequest) -> HttpResponse {
    serve(&req, 0)
}

async fn file(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    match ASSETS
        .iter()
        .position(|a| a.name == name.as_str() && a.name != "index.html")
    {
        Some(i) => serve(&req, i),
        None => crate::fallback::not_found(req).await,
    }
}

/// The asset at `i`, or 304 when the client holds it already (`If-None-Match`).
fn serve(req: &HttpRequest, i: usize) -> HttpResponse {
    let asset = &ASSETS[i];
    let etag = &ETAGS[i];
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        // A weak comparison (RFC 9110, 13.1.2): `W/"x"` matches `"x"`.
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        });
    let mut res = if fresh {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .content_type(asset.media_type)
            .body(asset.body)
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    for (name, value) in [
        // Revalidated each time: a new binary's page is never mixed with an old one's.
        ("cache-control", "no-cache"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("content-security-policy", PAGE_CSP),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
    ] {
        h.insert(
            header::HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    res
}
