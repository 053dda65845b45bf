//! The JSON body extractor of the API.
//!
//! Ours rather than `actix_web::web::Json`, so that every way a body can be wrong gets
//! the API's error body: a content type that is not JSON (415), a body over the limit
//! (413, checked against `Content-Length` first and again while reading), malformed
//! JSON (400), and a field of the wrong type or an unknown field (400, with the field's
//! path in `details`). An empty body reads as `{}`, so that operations whose fields are
//! all optional can be called without one.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest};
use auths_domain::FieldProblem;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The default body limit: a bulk request of 1000 items fits with room to spare.
pub const DEFAULT_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// The body limit in force, as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// The body of an operation that takes none: nothing or `{}`; any field is refused.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoFields {}

/// A JSON body, deserialized into `T`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

fn is_json(req: &HttpRequest) -> bool {
    match req.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(v) => v.to_str().is_ok_and(|s| {
            let mime = s
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        }),
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the request body is larger than {limit} bytes"),
    )
}

/// Parses a JSON body, naming the offending field on a data error.
///
/// # Errors
/// 400 `bad_request` for malformed JSON, a wrong type or an unknown field.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    // PostgreSQL cannot store NUL in text, and no field needs it: refuse it here, for
    // both backends alike.
    if body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return Err(ApiError::bad_request(
            "NUL characters (\\u0000) are not allowed in the request",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_data() {
            let field = if path == "." { "body".to_owned() } else { path };
            ApiError::bad_request(format!("invalid request body: {field}: {inner}"))
                .with_details(vec![FieldProblem::new(field, inner.to_string())])
        } else {
            ApiError::bad_request(format!("malformed JSON: {inner}"))
        }
    })?;
    de.end()
        .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    Ok(value)
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<BodyLimit>()
            .map_or(DEFAULT_BODY_LIMIT, |l| l.0);
        let json = is_json(req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !json {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "bad_request",
                    "the request body must be JSON: send Content-Type: application/json",
                ));
            }
            if declared.is_some_and(|n| n > limit) {
                return Err(too_large(limit));
            }
            let mut body = BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::bad_request(format!("could not read the request body: {e}"))
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            parse(&body).map(ApiJson)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "fields are read by Debug only")]
    struct Body {
        n: Option<u32>,
        list: Option<Vec<String>>,
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse::<Body>(br#"{"list": ["a", 3]}"#).unwrap_err();
        assert_eq!(e.object().details[0].field, "list[1]");
        let e = parse::<Body>(br#"{"nn": 1}"#).unwrap_err();
        assert!(e.object().message.contains("unknown field"), "{e}");
        let e = parse::<Body>(br#"{"n": "#).unwrap_err();
        assert!(e.object().message.starts_with("malformed JSON"), "{e}");
        assert!(e.object().details.is_empty());
        let e = parse::<Body>(br#"{} {}"#).unwrap_err();
        assert!(e.object().message.contains("trailing"), "{e}");
        assert!(parse::<Body>(b"  ").is_ok());
        let deep = "[".repeat(10_000);
        assert_eq!(
            parse::<serde_json::Value>(deep.as_bytes())
                .unwrap_err()
                .object()
                .code,
            "bad_request"
        );
    }
}
