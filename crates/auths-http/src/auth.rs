//! Who is calling: credentials are read and checked once, by middleware on `/api`,
//! before any body is parsed; handlers receive the [`Caller`] through [`ReqCaller`].

use std::future::{Ready, ready};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError, web};
use auths_app::{AppError, AuthService, Credential};
use auths_domain::{Caller, Channel, Store};
use base64::Engine;

use crate::blocking::run_blocking;
use crate::error::ApiError;
use crate::rejection::{Dialect, Rejection};

/// The header that marks an AI agent's call.
pub const MCP_HEADER: &str = "x-mcp";
/// The API key header.
pub const API_KEY_HEADER: &str = "x-api-key";

/// Routes under `/api` that need no credentials.
const PUBLIC: [&str; 1] = ["/api/v5/openapi.json"];

/// Reads a credential from the headers: `X-Api-Key`, else `Authorization: Bearer KEY`
/// or `Authorization: Basic base64(NAME:KEY)`. `None` when there is none, or it is
/// malformed (both answer the same 401).
pub fn credential(headers: &HeaderMap) -> Option<Credential> {
    if let Some(v) = headers.get(API_KEY_HEADER) {
        return v.to_str().ok().map(|k| Credential {
            key: k.to_owned(),
            name: None,
        });
    }
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(Credential {
            key: rest.to_owned(),
            name: None,
        });
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (name, key) = text.split_once(':')?;
        return Some(Credential {
            key: key.to_owned(),
            name: Some(name.to_owned()),
        });
    }
    None
}

/// The channel a call came through: any `X-MCP` header, whatever its value (empty,
/// repeated, not ASCII), marks an agent's call (server spec, "The MCP front door"), so
/// that the MCP policy fails closed.
pub fn channel(headers: &HeaderMap) -> Channel {
    if headers.contains_key(MCP_HEADER) {
        Channel::Mcp
    } else {
        Channel::Api
    }
}

/// The client name of an MCP call through the API: the first `X-MCP` header's value,
/// its bytes read as UTF-8 (invalid sequences replaced) and cleaned by
/// [`auths_domain::client_name`]. `None` without the header.
pub fn client(headers: &HeaderMap) -> Option<String> {
    headers
        .get(MCP_HEADER)
        .map(|v| auths_domain::client_name(&String::from_utf8_lossy(v.as_bytes())))
}

/// Middleware: authenticates the request and stores the [`Caller`] in its extensions,
/// or answers 401 (503 when the keys cannot be checked, 429 for a throttled address)
/// without calling the route. The answers are worded by the API's dialect `D`.
///
/// # Errors
/// Only the inner service's own errors.
pub async fn authenticate<S: Store, D: Dialect, B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let refuse = |req: ServiceRequest, r: Rejection| {
        let res = D::Error::from(r).error_response();
        Ok(req.into_response(res).map_into_right_body())
    };
    if req.query_string().to_ascii_lowercase().contains("%00") {
        return refuse(req, Rejection::NulInQuery);
    }
    if !PUBLIC.contains(&req.path()) {
        let failures = req
            .app_data::<web::Data<crate::throttle::FailedLogins>>()
            .cloned();
        let peer = req.peer_addr().map(|a| a.ip());
        // A throttled address still gets its valid keys through (many clients may
        // share one address); only its failures are answered 429.
        let throttled = matches!((&failures, peer), (Some(f), Some(ip)) if f.is_throttled(ip));
        let credential = credential(req.headers());
        let login = credential.as_ref().and_then(|c| c.name.clone());
        let checked = match (
            req.app_data::<web::Data<AuthService<S>>>().cloned(),
            credential,
        ) {
            (None, _) => Err(AppError::Internal("AuthService not configured".into())),
            (Some(_), None) => Err(AppError::Unauthenticated),
            // A key verified recently needs no database, so no thread hop.
            (Some(service), Some(cred)) => match service.authenticate_cached(&cred) {
                Some(answer) => answer,
                None => run_blocking(move || service.authenticate(&cred))
                    .await
                    .and_then(|r| r),
            },
        };
        match checked {
            Ok(principal) => {
                let caller = Caller {
                    principal,
                    channel: channel(req.headers()),
                    client: client(req.headers()),
                };
                req.extensions_mut().insert(caller);
            }
            Err(AppError::Unauthenticated) => {
                if let (Some(f), Some(ip)) = (&failures, peer) {
                    f.failed(ip);
                }
                if throttled {
                    return refuse(req, Rejection::Throttled);
                }
                return refuse(req, Rejection::Unauthenticated { login });
            }
            Err(e) => return refuse(req, Rejection::App(e)),
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// The authenticated caller of a request under `/api`.
#[derive(Debug, Clone)]
pub struct ReqCaller(pub Caller);

impl FromRequest for ReqCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Caller>()
                .cloned()
                .map(ReqCaller)
                .ok_or_else(|| ApiError::from(Rejection::Unauthenticated { login: None })),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_static(k),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn credentials_in_three_forms() {
        assert_eq!(
            credential(&headers(&[("x-api-key", "k1")])).unwrap().key,
            "k1"
        );
        assert_eq!(
            credential(&headers(&[("authorization", "Bearer k2")]))
                .unwrap()
                .key,
            "k2"
        );
        assert_eq!(
            credential(&headers(&[("authorization", "bearer  k2 ")]))
                .unwrap()
                .key,
            "k2"
        );
        let b = base64::engine::general_purpose::STANDARD.encode("ci:k:3");
        let c = credential(&headers(&[("authorization", &format!("Basic {b}"))])).unwrap();
        assert_eq!((c.name.as_deref(), c.key.as_str()), (Some("ci"), "k:3"));
        assert!(credential(&headers(&[("authorization", "Basic !!!")])).is_none());
        assert!(credential(&headers(&[("authorization", "Digest x")])).is_none());
        assert!(credential(&headers(&[])).is_none());
    }

    #[test]
    fn mcp_header_sets_the_channel() {
        assert_eq!(channel(&headers(&[("x-mcp", "claude")])), Channel::Mcp);
        assert_eq!(channel(&headers(&[("x-mcp", " ")])), Channel::Mcp);
        assert_eq!(channel(&headers(&[("x-mcp", "")])), Channel::Mcp);
        assert_eq!(channel(&headers(&[])), Channel::Api);
    }

    #[test]
    fn the_mcp_header_names_the_client() {
        assert_eq!(
            client(&headers(&[("x-mcp", " claude-desktop ")])).as_deref(),
            Some("claude-desktop")
        );
        assert_eq!(client(&headers(&[("x-mcp", "")])).as_deref(), Some(""));
        let long = "a".repeat(500);
        assert_eq!(
            client(&headers(&[("x-mcp", &long)])).map(|c| c.chars().count()),
            Some(auths_domain::MAX_CLIENT_CHARS)
        );
        let mut h = HeaderMap::new();
        h.insert(
            HeaderName::from_static("x-mcp"),
            HeaderValue::from_bytes("agent-ü\t".as_bytes()).unwrap(),
        );
        assert_eq!(client(&h).as_deref(), Some("agent-ü"));
        assert_eq!(client(&headers(&[])), None);
    }
}
