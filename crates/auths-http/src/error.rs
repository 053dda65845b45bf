//! The v5 API's error body, and the one place where reasons become v5 answers.
//!
//! Every 4xx and 5xx of the v5 API has the body
//! `{"error": {"code", "message", "details": [{"field", "message"}]}}`. The code comes
//! from the type of the reason ([`ErrorCode`]); the message is the reason's own wording
//! (`Display` of the domain's and the app's types). `internal` and `unavailable`
//! answers show a fixed sentence: their cause (which may hold SQL or a path) is logged
//! here, never sent. The Foreman-compatible API words the same reasons in
//! [`crate::foreman::error`].

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use auths_app::AppError;
use auths_domain::FieldProblem;
use serde::Serialize;

use crate::rejection::Rejection;

/// The error codes of the v5 API (auths-v5 spec, "Common rules").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Malformed request.
    BadRequest,
    /// No valid credential.
    Unauthenticated,
    /// A valid credential without the permission.
    Forbidden,
    /// No such record, or not one the caller may see.
    NotFound,
    /// A stale version, or a taken name, label or slug.
    Conflict,
    /// A value the domain rejects.
    ValidationFailed,
    /// A body or bulk request too large.
    PayloadTooLarge,
    /// The database is out of reach.
    Unavailable,
    /// A bug.
    Internal,
}

/// A problem with one field of a request: the domain's rules, or the request's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = FieldProblem)]
pub struct Detail {
    /// The field, or its path in the body (`auths[0].name`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl From<&FieldProblem> for Detail {
    fn from(p: &FieldProblem) -> Self {
        Self {
            field: p.field.clone(),
            message: p.rule.to_string(),
        }
    }
}

/// The inner error object, also used for a failed item of a bulk answer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ErrorObject {
    /// What kind of error.
    pub code: ErrorCode,
    /// A sentence for the client.
    pub message: String,
    /// Per-field problems (empty when the error is not about fields); for a stale
    /// version, one entry a field changed since the version the caller named.
    pub details: Vec<Detail>,
    /// For a stale version: the record's current version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

/// The error body, as the OpenAPI document describes it.
#[derive(Debug, utoipa::ToSchema)]
#[schema(as = ErrorBody)]
#[allow(dead_code, reason = "described, never built")]
pub struct ErrorBodySchema {
    error: ErrorObject,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a ErrorObject,
}

/// An error on its way to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    object: ErrorObject,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            object: ErrorObject {
                code,
                message: bounded(message.into()),
                details: Vec::new(),
                current_version: None,
            },
        }
    }

    /// 400 `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
    }

    /// Adds per-field details.
    #[must_use]
    pub fn with_details(mut self, mut details: Vec<Detail>) -> Self {
        if details.len() > MAX_DETAILS {
            let more = details.len() - MAX_DETAILS;
            details.truncate(MAX_DETAILS);
            details.push(Detail {
                field: "…".to_owned(),
                message: format!("and {more} more problems"),
            });
        }
        for d in &mut details {
            d.field = bounded(std::mem::take(&mut d.field));
            d.message = bounded(std::mem::take(&mut d.message));
        }
        self.object.details = details;
        self
    }

    /// The inner object (for bulk results).
    pub fn object(&self) -> &ErrorObject {
        &self.object
    }

    /// The inner object, consumed.
    pub fn into_object(self) -> ErrorObject {
        self.object
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:?}: {}",
            self.status.as_u16(),
            self.object.code,
            self.object.message
        )
    }
}

/// The longest message (or detail message) an error answer carries, in characters: a
/// message quoting a client's value (a 3 MB id) is cut, so that no error echoes more
/// than this (server spec, "Bounds").
pub const MAX_MESSAGE_CHARS: usize = 1000;
/// The most per-field details an error answer lists; past it, one last detail says how
/// many more there were.
pub const MAX_DETAILS: usize = 100;

/// `text`, cut to [`MAX_MESSAGE_CHARS`] characters and saying so.
pub fn bounded(text: String) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        None => text,
        Some((cut, _)) => {
            let rest = text[cut..].chars().count();
            format!("{}… ({rest} more characters)", &text[..cut])
        }
    }
}

/// An id as a client gave it, echoed in an answer: cut past 128 characters (no id is
/// longer, so a longer one names nothing).
pub fn bounded_id(id: String) -> String {
    let max = auths_domain::values::MAX_ID_CHARS;
    match id.char_indices().nth(max) {
        None => id,
        Some((cut, _)) => format!("{}…", &id[..cut]),
    }
}

/// The answer for a cause that must not reach the client.
fn hidden(status: StatusCode, code: ErrorCode, cause: &str) -> ApiError {
    if code == ErrorCode::Unavailable {
        tracing::warn!(%cause, "database unavailable");
        ApiError::new(
            status,
            code,
            "the service is temporarily unavailable; try again shortly",
        )
    } else {
        tracing::error!(%cause, "internal error");
        ApiError::new(
            status,
            code,
            "an internal error occurred; it has been logged",
        )
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Query(q) => Self::bad_request(q.to_string()),
            AppError::Unauthenticated => Rejection::Unauthenticated { login: None }.into(),
            AppError::Forbidden(d) => {
                Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, d.to_string())
            }
            AppError::NotFound(m) => {
                Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, m.to_string())
            }
            AppError::Conflict(c) => {
                let details = match &c {
                    auths_app::Conflict::AuthVersion {
                        changed, expected, ..
                    } => changed
                        .iter()
                        .map(|field| Detail {
                            field: field.clone(),
                            message: format!("changed since version {expected}"),
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let mut e = Self::new(StatusCode::CONFLICT, ErrorCode::Conflict, c.to_string())
                    .with_details(details);
                e.object.current_version = c.current_version();
                e
            }
            AppError::Invalid(problems) => {
                let message = match problems.as_slice() {
                    [one] => one.to_string(),
                    _ => format!("{} fields are invalid", problems.len()),
                };
                Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::ValidationFailed,
                    message,
                )
                .with_details(problems.iter().map(Detail::from).collect())
            }
            e @ AppError::TooMany { .. } => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                e.to_string(),
            ),
            e @ AppError::SecretsUnavailable(_) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                e.to_string(),
            ),
            AppError::Unavailable(cause) => hidden(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                &cause,
            ),
            AppError::Internal(cause) => hidden(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                &cause,
            ),
        }
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::Unauthenticated { .. } => Self::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "a valid API key is required: send X-Api-Key, Authorization: Bearer KEY, or Authorization: Basic NAME:KEY",
            ),
            Rejection::Throttled => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::Unauthenticated,
                crate::throttle::MESSAGE,
            ),
            Rejection::NulInQuery => {
                Self::bad_request("NUL characters (%00) are not allowed in the query string")
            }
            Rejection::UnsupportedMediaType => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::BadRequest,
                "the request body must be JSON: send Content-Type: application/json",
            ),
            Rejection::TooLarge { limit } => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                format!("the request body is larger than {limit} bytes"),
            ),
            Rejection::TimedOut(why) => {
                Self::new(StatusCode::REQUEST_TIMEOUT, ErrorCode::BadRequest, why)
            }
            Rejection::Unreadable(e) => {
                Self::bad_request(format!("could not read the request body: {e}"))
            }
            Rejection::MalformedJson(e) => Self::bad_request(format!("malformed JSON: {e}")),
            Rejection::NulInBody => {
                Self::bad_request("NUL characters (\\u0000) are not allowed in the request")
            }
            Rejection::App(e) => e.into(),
        }
    }
}

/// The challenge of a 401, in both APIs. Bearer only: a Basic challenge makes a
/// browser ask for, keep and send credentials on its own, cross-site requests
/// included. (Foreman clients send their credentials without being asked.)
pub const CHALLENGE: &str = "Bearer realm=\"auths\"";

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        match self.status {
            StatusCode::UNAUTHORIZED => {
                res.insert_header((header::WWW_AUTHENTICATE, CHALLENGE));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                res.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
            }
            StatusCode::TOO_MANY_REQUESTS => {
                res.insert_header((header::RETRY_AFTER, HeaderValue::from_static("300")));
            }
            _ => {}
        }
        res.json(ErrorBody {
            error: &self.object,
        })
    }
}

/// The v5 API's wording of the shared layer's refusals.
#[derive(Debug)]
pub struct V5;

impl crate::rejection::Dialect for V5 {
    type Error = ApiError;
}
