//! JSON answers for requests no route takes.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError, Route, web};

use crate::error::{ApiError, ErrorCode};

/// Unknown path: 404 `not_found`.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let mut res = ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        format!("no route for {} {}", req.method(), req.path()),
    )
    .error_response();
    // Outside the scopes no middleware adds them: the same headers as every answer.
    for (name, value) in crate::SECURITY_HEADERS {
        if let (Ok(n), Ok(v)) = (
            actix_web::http::header::HeaderName::try_from(name),
            actix_web::http::header::HeaderValue::from_str(value),
        ) && !res.headers().contains_key(&n)
        {
            res.headers_mut().insert(n, v);
        }
    }
    res
}

/// Known path, wrong method: 405, code `bad_request`, with the `Allow` header listing
/// the methods the path takes (RFC 9110), for a resource's `default_service`.
pub fn method_not_allowed(allowed: &[Method]) -> Route {
    let allow = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    web::to(move |req: HttpRequest| {
        let allow = allow.clone();
        async move {
            let mut res = ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::BadRequest,
                format!("{} is not allowed on {}", req.method(), req.path()),
            )
            .error_response();
            if let Ok(v) = HeaderValue::from_str(&allow) {
                res.headers_mut().insert(header::ALLOW, v);
            }
            res
        }
    })
}
