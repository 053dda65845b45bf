//! The JSON error body, and the one place where errors become HTTP answers.
//!
//! Every 4xx and 5xx this server sends has the body
//! `{"error": {"code", "message", "details": [{"field", "message"}]}}`. Client
//! mistakes get a 4xx with a message meant for the client. `internal` and
//! `unavailable` answers show a fixed sentence: their cause (which may hold SQL or a
//! path) is logged here, never sent.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use auths_app::AppError;
use auths_domain::FieldProblem;
use serde::Serialize;

/// The inner error object, also used for a failed item of a bulk answer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ErrorObject {
    /// One of `bad_request`, `unauthenticated`, `forbidden`, `not_found`, `conflict`,
    /// `validation_failed`, `payload_too_large`, `unavailable`, `internal`.
    pub code: &'static str,
    /// A sentence for the client.
    pub message: String,
    /// Per-field problems (empty when the error is not about fields).
    #[schema(value_type = Vec<crate::v5::schemas::FieldProblemSchema>)]
    pub details: Vec<FieldProblem>,
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
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            object: ErrorObject {
                code,
                message: message.into(),
                details: Vec::new(),
            },
        }
    }

    /// 400 `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// Adds per-field details.
    #[must_use]
    pub fn with_details(mut self, details: Vec<FieldProblem>) -> Self {
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
            "{} {}: {}",
            self.status.as_u16(),
            self.object.code,
            self.object.message
        )
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::BadRequest(m) | AppError::Query(m) => Self::bad_request(m),
            AppError::Unauthenticated => Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "a valid API key is required: send X-Api-Key, Authorization: Bearer KEY, or Authorization: Basic NAME:KEY",
            ),
            AppError::Forbidden(m) => Self::new(StatusCode::FORBIDDEN, "forbidden", m),
            AppError::NotFound(m) => Self::new(StatusCode::NOT_FOUND, "not_found", m),
            AppError::Conflict { message, .. } => {
                Self::new(StatusCode::CONFLICT, "conflict", message)
            }
            AppError::Invalid(problems) => {
                let message = match problems.as_slice() {
                    [one] => one.to_string(),
                    _ => format!("{} fields are invalid", problems.len()),
                };
                Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    message,
                )
                .with_details(problems)
            }
            AppError::PayloadTooLarge(m) => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", m)
            }
            AppError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the service is temporarily unavailable; try again shortly",
                )
            }
            AppError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "an internal error occurred; it has been logged",
                )
            }
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        match self.status {
            StatusCode::UNAUTHORIZED => {
                res.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"auths\", Basic realm=\"auths\""),
                ));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                res.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
            }
            _ => {}
        }
        res.json(ErrorBody {
            error: &self.object,
        })
    }
}
