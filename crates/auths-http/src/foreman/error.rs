//! Foreman's error bodies (`../shared/spec/foreman-v2.md`, "Errors and credentials"),
//! worded here from the same typed reasons the v5 API words its own way.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use auths_app::{AppError, Conflict, Missing};
use auths_domain::{CatalogKind, EntryKey, FieldProblem, Rule};
use serde_json::{Value, json};

use crate::rejection::{Dialect, Rejection};

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
        let mut res = HttpResponse::build(self.status);
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            res.insert_header(("Retry-After", "300"));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header(("WWW-Authenticate", crate::error::CHALLENGE));
        }
        res.json(&self.body)
    }
}

fn message(status: StatusCode, m: impl Into<String>) -> ForemanError {
    ForemanError {
        status,
        body: json!({"error": {"message": crate::error::bounded(m.into())}}),
    }
}

/// "Name has already been taken" from field `name` and message "has already been taken".
fn full_message(field: &str, msg: &str) -> String {
    if field == "base" {
        // Rails words errors on the record itself without a field name.
        return msg.to_owned();
    }
    let mut words = field.replace('_', " ");
    if let Some(first) = words.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    format!("{words} {msg}")
}

/// A taxonomy's name in Foreman's messages.
const fn taxonomy(kind: CatalogKind) -> &'static str {
    match kind {
        CatalogKind::Locations => "Location",
        _ => "Organization",
    }
}

/// `Location with id 9 not found`.
pub fn taxonomy_not_found(kind: CatalogKind, id: impl std::fmt::Display) -> String {
    format!("{} with id {id} not found", taxonomy(kind))
}

/// A rule as Rails' validations word it.
fn words(rule: &Rule) -> String {
    match rule {
        Rule::Blank { .. } | Rule::Required { .. } => "can't be blank".to_owned(),
        Rule::TooLong { max, .. } => format!("is too long (maximum is {max} characters)"),
        Rule::ControlCharacters { .. } | Rule::NulCharacters { .. } => "is invalid".to_owned(),
        Rule::NameTaken => "has already been taken".to_owned(),
        Rule::NotInList { .. } => "is not included in the list".to_owned(),
        Rule::WrongType { expected, .. } => format!("must be a {expected}"),
        Rule::OutOfRange { min, max, .. } => {
            format!("must be an integer from {min} to {max}")
        }
        Rule::UnknownEntry {
            kind,
            key: EntryKey::Number(n),
        } => taxonomy_not_found(*kind, n),
        Rule::UnknownEntry {
            kind,
            key: EntryKey::Label(name),
        } => format!("{} with name '{name}' not found", taxonomy(*kind)),
        other => other.to_string(),
    }
}

/// Each problem as `(field, Foreman's words)`.
pub fn worded(problems: &[FieldProblem]) -> Vec<(String, String)> {
    problems
        .iter()
        .map(|p| (p.field.clone(), words(&p.rule)))
        .collect()
}

/// What a use case's error needs to be worded in Foreman's words: the permission a
/// 403 names, the record a 422 is about, the id as the client wrote it (for a 404),
/// and the name the request gave the field the domain calls `label`.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The permission a 403 names (`view_authenticators`, ...).
    pub permission: &'static str,
    /// The record's number, for a 422.
    pub record: Option<i64>,
    /// The record's id as written, for a 404.
    pub raw_id: &'a str,
    /// What the request calls the field the domain calls `label` (`name`).
    pub label: &'static str,
    /// The resource a 404 names (`auth_source_external`, `auth_source_ldap`, ...).
    pub resource: &'static str,
}

impl<'a> Context<'a> {
    /// A context naming `permission`.
    pub const fn new(permission: &'static str) -> Self {
        Self {
            permission,
            record: None,
            raw_id: "",
            label: "label",
            resource: "auth_source_external",
        }
    }

    /// About a record of `resource` (as a 404 names it).
    #[must_use]
    pub const fn resource(mut self, resource: &'static str) -> Self {
        self.resource = resource;
        self
    }

    /// About the record written `raw_id`, numbered `record`.
    #[must_use]
    pub const fn record(mut self, raw_id: &'a str, record: Option<i64>) -> Self {
        self.raw_id = raw_id;
        self.record = record;
        self
    }

    /// With the domain's `label` called `name`.
    #[must_use]
    pub const fn label_is_name(mut self) -> Self {
        self.label = "name";
        self
    }

    /// A use case's error in Foreman's words.
    pub fn error(&self, e: AppError) -> ForemanError {
        match e {
            AppError::Unauthenticated => Rejection::Unauthenticated { login: None }.into(),
            AppError::Forbidden(_) => ForemanError::forbidden(self.permission),
            AppError::NotFound(Missing::Taxon { kind, number }) => {
                ForemanError::taxonomy_not_found(kind, number)
            }
            AppError::NotFound(Missing::External) => message(
                StatusCode::NOT_FOUND,
                format!(
                    "Resource {} not found by id '{}'",
                    self.resource, self.raw_id
                ),
            ),
            AppError::NotFound(m) => message(StatusCode::NOT_FOUND, m.to_string()),
            AppError::Query(q) => ForemanError {
                status: StatusCode::BAD_REQUEST,
                body: json!({"error": {"message": crate::error::bounded(q.to_string()), "class": "ScopedSearch::QueryNotSupported"}}),
            },
            AppError::Invalid(problems) => self.invalid(worded(&problems)),
            // Foreman answers a taken name as a validation failure.
            AppError::Conflict(Conflict::NameTaken | Conflict::LabelTaken { .. }) => {
                self.invalid(vec![("name".to_owned(), words(&Rule::NameTaken))])
            }
            // Foreman refuses to destroy a record others depend on as a validation
            // failure of `base`.
            AppError::Conflict(Conflict::InUse { .. }) => self.invalid(vec![(
                "base".to_owned(),
                "Cannot delete record because dependent auth sources exist".to_owned(),
            )]),
            AppError::Conflict(c) => message(StatusCode::CONFLICT, c.to_string()),
            e @ AppError::TooMany { .. } => message(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
            e @ AppError::SecretsUnavailable(_) => {
                message(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
            }
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

    /// 422 `{"error": {"id", "errors": {field: [message]}, "full_messages"}}`.
    pub fn invalid(&self, problems: Vec<(String, String)>) -> ForemanError {
        let mut errors = serde_json::Map::new();
        let mut full = Vec::new();
        let more = problems.len().saturating_sub(crate::error::MAX_DETAILS);
        for (field, msg) in problems.into_iter().take(crate::error::MAX_DETAILS) {
            let (field, msg) = (crate::error::bounded(field), crate::error::bounded(msg));
            let field = if field == "label" {
                self.label.to_owned()
            } else {
                field
            };
            full.push(full_message(&field, &msg));
            if let Value::Array(a) = errors
                .entry(field)
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                a.push(Value::String(msg));
            }
        }
        if more > 0 {
            full.push(format!("and {more} more problems"));
        }
        ForemanError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({"error": {"id": self.record, "errors": errors, "full_messages": full}}),
        }
    }
}

impl ForemanError {
    /// 400 for a malformed parameter (better than Foreman, which answers 500).
    pub fn bad_request(m: impl Into<String>) -> Self {
        message(StatusCode::BAD_REQUEST, m)
    }

    /// 404 `{"message": "Location with id <id> not found"}` for a taxonomy the request
    /// names (by its id as written, or its number).
    pub fn taxonomy_not_found(kind: CatalogKind, id: impl std::fmt::Display) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            body: json!({"message": crate::error::bounded(taxonomy_not_found(kind, id))}),
        }
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
}

impl From<Rejection> for ForemanError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::Unauthenticated { login } => message(
                StatusCode::UNAUTHORIZED,
                format!("Unable to authenticate user {}", login.unwrap_or_default()),
            ),
            Rejection::Throttled => {
                message(StatusCode::TOO_MANY_REQUESTS, crate::throttle::MESSAGE)
            }
            Rejection::NulInQuery => {
                Self::bad_request("NUL characters (%00) are not allowed in the query string")
            }
            Rejection::UnsupportedMediaType => message(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Type must be application/json",
            ),
            Rejection::TooLarge { limit } => message(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is larger than {limit} bytes"),
            ),
            Rejection::TimedOut(why) => message(
                StatusCode::REQUEST_TIMEOUT,
                format!("the request body came too slowly: {why}"),
            ),
            Rejection::Unreadable(e) => {
                Self::bad_request(format!("could not read the request body: {e}"))
            }
            Rejection::MalformedJson(e) => Self::bad_request(format!(
                "There was a problem in the JSON you submitted: {e}"
            )),
            Rejection::NulInBody => Self::bad_request(
                "There was a problem in the JSON you submitted: NUL characters are not allowed",
            ),
            Rejection::App(e) => Context::new("").error(e),
        }
    }
}

/// The Foreman-compatible API's wording of the shared layer's refusals.
#[derive(Debug)]
pub struct Foreman;

impl Dialect for Foreman {
    type Error = ForemanError;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_messages_read_like_foremans() {
        assert_eq!(
            full_message("name", "has already been taken"),
            "Name has already been taken"
        );
        assert_eq!(
            full_message("location_ids", "Location with id 9 not found"),
            "Location ids Location with id 9 not found"
        );
    }

    #[test]
    fn rules_read_like_rails_validations() {
        let too_long = Rule::TooLong {
            what: "name".into(),
            len: 256,
            max: 255,
        };
        assert_eq!(words(&too_long), "is too long (maximum is 255 characters)");
        assert_eq!(
            words(&Rule::Blank {
                what: "name".into()
            }),
            "can't be blank"
        );
        assert_eq!(
            words(&Rule::UnknownEntry {
                kind: CatalogKind::Departments,
                key: EntryKey::Label("HR".into())
            }),
            "Organization with name 'HR' not found"
        );
        let e = Context::new("edit_authenticators")
            .record("3", Some(3))
            .label_is_name()
            .error(AppError::invalid(
                "label",
                Rule::Blank {
                    what: "label".into(),
                },
            ));
        assert_eq!(
            e.body,
            json!({"error": {"id": 3, "errors": {"name": ["can't be blank"]}, "full_messages": ["Name can't be blank"]}})
        );
    }
}
