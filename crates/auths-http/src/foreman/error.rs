//! Foreman's error bodies (`../shared/spec/foreman-v2.md`, "Errors and credentials").

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use auths_app::AppError;
use serde_json::{Value, json};

/// An error of the Foreman-compatible API.
#[derive(Debug, Clone)]
pub struct ForemanError {
    status: StatusCode,
    body: Value,
}

impl std::fmt::Display for ForemanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.body)
    }
}

impl ResponseError for ForemanError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(&self.body)
    }
}

fn message(status: StatusCode, m: impl Into<String>) -> ForemanError {
    ForemanError {
        status,
        body: json!({"error": {"message": m.into()}}),
    }
}

/// "Name has already been taken" from field `name` and message "has already been taken".
fn full_message(field: &str, msg: &str) -> String {
    let mut words = field.replace('_', " ");
    if let Some(first) = words.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    format!("{words} {msg}")
}

impl ForemanError {
    /// 401 for `login` (the Basic name, or empty).
    pub fn unauthenticated(login: &str) -> Self {
        message(
            StatusCode::UNAUTHORIZED,
            format!("Unable to authenticate user {login}"),
        )
    }

    /// 400 for a malformed body.
    pub fn bad_json(detail: impl std::fmt::Display) -> Self {
        message(
            StatusCode::BAD_REQUEST,
            format!("There was a problem in the JSON you submitted: {detail}"),
        )
    }

    /// 400 for a malformed parameter (better than Foreman, which answers 500).
    pub fn bad_request(m: impl Into<String>) -> Self {
        message(StatusCode::BAD_REQUEST, m)
    }

    /// 408: the client sent its body too slowly.
    pub fn request_timeout(m: impl Into<String>) -> Self {
        message(StatusCode::REQUEST_TIMEOUT, m)
    }

    /// 415.
    pub fn unsupported_media_type() -> Self {
        message(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        )
    }

    /// 403 naming the missing permission.
    pub fn forbidden(permission: &str) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            body: json!({"error": {
                "message": "Access denied",
                "details": format!("Missing one of the required permissions: {permission}"),
                "missing_permissions": [permission],
            }}),
        }
    }

    /// Maps a use case's error; `permission` names what a 403 lacks, `record` is the
    /// record's id for a 422.
    pub fn from_app(e: AppError, permission: &str, record: Option<i64>) -> Self {
        match e {
            AppError::Unauthenticated => Self::unauthenticated(""),
            AppError::Forbidden(_) => Self::forbidden(permission),
            AppError::NotFound(m)
                if m.starts_with("Location with") || m.starts_with("Organization with") =>
            {
                Self {
                    status: StatusCode::NOT_FOUND,
                    body: json!({"message": m}),
                }
            }
            AppError::NotFound(m) => message(StatusCode::NOT_FOUND, m),
            AppError::Query(m) => Self {
                status: StatusCode::BAD_REQUEST,
                body: json!({"error": {"message": m, "class": "ScopedSearch::QueryNotSupported"}}),
            },
            AppError::BadRequest(m) => message(StatusCode::BAD_REQUEST, m),
            AppError::Invalid(problems) => {
                let mut errors = serde_json::Map::new();
                let mut full = Vec::new();
                for p in &problems {
                    let list = errors
                        .entry(p.field.clone())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(a) = list {
                        a.push(Value::String(p.message.clone()));
                    }
                    full.push(full_message(&p.field, &p.message));
                }
                Self {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    body: json!({"error": {"id": record, "errors": errors, "full_messages": full}}),
                }
            }
            AppError::Conflict { message: m, .. } => message(StatusCode::CONFLICT, m),
            AppError::PayloadTooLarge(m) => message(StatusCode::PAYLOAD_TOO_LARGE, m),
            AppError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The service is temporarily unavailable; try again shortly",
                )
            }
            AppError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                message(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "An internal error occurred; it has been logged",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn full_messages_read_like_foremans() {
        assert_eq!(
            super::full_message("name", "has already been taken"),
            "Name has already been taken"
        );
        assert_eq!(
            super::full_message("location_ids", "Location with id 9 not found"),
            "Location ids Location with id 9 not found"
        );
    }
}
