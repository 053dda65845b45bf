//! How a tool is called: as a request to the v5 API, answered by an application of
//! the same routes, middleware and app data as the server's (one a worker, built on
//! the first call), so that a tool does exactly what its endpoint does: the same
//! checks, bounds, errors, policy and audit.

use std::rc::Rc;

use actix_http::Request;
use actix_service::boxed::{self, RcService};
use actix_service::{IntoServiceFactory, Service, ServiceExt, ServiceFactory};
use actix_web::body::BoxBody;
use actix_web::dev::{AppConfig, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode, Uri};
use actix_web::web::Bytes;
use actix_web::{App, HttpRequest, web};
use auths_app::AuthService;
use auths_domain::Store;
use serde_json::Value;

use crate::BodyLimit;
use crate::auth::{API_KEY_HEADER, MCP_HEADER};
use crate::error::{ApiError, ErrorCode};
use crate::throttle::FailedLogins;

/// The largest answer a tool returns (an export file included): 8 MiB. A larger one
/// answers a tool error that says to download it over the API.
pub const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// The v5 application that tools call.
pub type V5App = RcService<Request, ServiceResponse<BoxBody>, actix_web::Error>;

/// Builds the v5 application with the app data of the request's own application.
///
/// # Errors
/// A message when the application holds no `AuthService` or cannot be built.
pub async fn build<S: Store>(req: &HttpRequest) -> Result<Rc<V5App>, String> {
    let service = req
        .app_data::<web::Data<AuthService<S>>>()
        .cloned()
        .ok_or("AuthService not configured")?;
    let mut app = App::new()
        .app_data(service)
        .configure(crate::extractor_errors);
    if let Some(limit) = req.app_data::<BodyLimit>() {
        app = app.app_data(*limit);
    }
    if let Some(failed) = req.app_data::<web::Data<FailedLogins>>() {
        app = app.app_data(failed.clone());
    }
    let factory = app.configure(crate::v5_api::<S>).into_factory();
    let app = factory
        .new_service(AppConfig::default())
        .await
        .map_err(|()| "the v5 application could not be built".to_owned())?;
    Ok(Rc::new(boxed::rc_service(
        app.map(ServiceResponse::map_into_boxed_body),
    )))
}

/// What an endpoint answered.
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// Whether the body is JSON.
    pub json: bool,
    /// The body (at most [`MAX_ANSWER_BYTES`]).
    pub body: Bytes,
}

/// Calls `method path` with `body` on `app`, with the credentials of `outer`, marked
/// as an MCP call of `client` (the `X-MCP` header, as an agent calling the API sends).
///
/// # Errors
/// 400 `bad_request` when the arguments make no URI (a path parameter of 64 kB, say);
/// 413 `payload_too_large` for an answer larger than [`MAX_ANSWER_BYTES`]; 500 when the
/// application fails.
pub async fn call(
    app: &V5App,
    outer: &HttpRequest,
    method: Method,
    path: &str,
    body: Option<Value>,
    client: &str,
) -> Result<Answer, ApiError> {
    let uri: Uri = path.parse().map_err(|_| {
        ApiError::bad_request("the arguments make no valid request path (too long?)")
    })?;
    let bytes = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
    let mut req = Request::with_payload(actix_http::Payload::from(bytes.clone()));
    let head = req.head_mut();
    head.method = method;
    head.uri = uri;
    head.peer_addr = outer.peer_addr();
    for name in [
        header::AUTHORIZATION,
        header::HeaderName::from_static(API_KEY_HEADER),
    ] {
        if let Some(v) = outer.headers().get(&name) {
            head.headers.insert(name, v.clone());
        }
    }
    // A client name is text without control characters, so a valid header value.
    let client =
        HeaderValue::from_bytes(client.as_bytes()).unwrap_or_else(|_| HeaderValue::from_static(""));
    head.headers
        .insert(header::HeaderName::from_static(MCP_HEADER), client);
    if !bytes.is_empty() {
        head.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        head.headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    }
    let res = app.call(req).await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            e.to_string(),
        )
    })?;
    let status = res.status();
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let body = actix_web::body::to_bytes_limited(res.into_body(), MAX_ANSWER_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                format!(
                    "the answer is larger than {MAX_ANSWER_BYTES} bytes, more than a tool \
                     result carries: download it over the API"
                ),
            )
        })?
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                e.to_string(),
            )
        })?;
    Ok(Answer { status, json, body })
}
