//! `GET /api/v5/openapi.json`: the OpenAPI 3.1 document of every v5 route, built from
//! the registry that mounts them (paths, methods, summaries, parameters) and the
//! request and answer types (schemas, derived with utoipa). No credentials needed.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::Method;
use auths_domain::Store;
use utoipa::OpenApi;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, Ref, Required};

use super::registry::endpoints;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "auths v5",
        description = "Authentication-source configurations as versioned, composable records. Errors always have the body {\"error\": {\"code\", \"message\", \"details\"}}.",
    ),
    components(schemas(
        crate::error::ErrorBodySchema,
        super::get::GetRequest,
        super::get::FormResponse,
        super::search::SearchBody,
        super::search::SearchResponse,
        super::create::CreateRequest,
        super::update::UpdateRequest,
        super::bulk::BulkResponse,
        super::duplicate::DuplicateRequest,
        super::duplicate::DuplicateResponse,
        super::delete::DeleteRequest,
        super::delete::DeleteResponse,
        super::drafts::PatchDraftBody,
        super::drafts::PatchDraftResponse,
        super::drafts::DraftsResponse,
        super::docs::DocsBody,
        super::docs::DocsResponse,
        super::export::ExportBody,
        super::export::ExportResponse,
        super::refresh::RefreshResponse,
        super::catalog::EntryBody,
        super::catalog::EntryOut,
        super::catalog::CatalogList,
        super::audit::AuditResponse,
    ))
)]
struct Schemas;

const ERRORS: [(&str, &str); 9] = [
    (
        "400",
        "Malformed request: not JSON, a wrong type, an unknown field, paging out of range",
    ),
    ("401", "No valid credential"),
    (
        "403",
        "The credential lacks the permission (role, MCP policy, department)",
    ),
    ("404", "No such record, or not one the caller may see"),
    ("409", "A stale version, or a taken name, label or slug"),
    ("413", "Body or bulk too large (1000 items at most)"),
    ("415", "The body is not JSON"),
    ("422", "A value the domain rejects, by field in details"),
    ("503", "The database is unavailable; retry shortly"),
];

fn method(m: &Method) -> HttpMethod {
    match *m {
        Method::GET => HttpMethod::Get,
        Method::PATCH => HttpMethod::Patch,
        Method::DELETE => HttpMethod::Delete,
        Method::PUT => HttpMethod::Put,
        _ => HttpMethod::Post,
    }
}

fn json(schema: &str) -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(schema)))
        .build()
}

/// Builds the document.
pub fn document<S: Store>() -> utoipa::openapi::OpenApi {
    let mut doc = Schemas::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let mut paths = utoipa::openapi::Paths::new();
    for e in endpoints::<S>() {
        let mut op = OperationBuilder::new()
            .summary(Some(e.summary))
            .operation_id(Some(format!(
                "{}_{}",
                e.method.as_str().to_lowercase(),
                e.path
                    .trim_start_matches("/v5/")
                    .replace(['/', '{', '}'], "_")
                    .trim_end_matches('_')
            )))
            .tag(e.path.split('/').nth(2).unwrap_or("v5"))
            .description(Some(format!(
                "Permission: {} (role {} or above).",
                e.operation.permission(),
                e.operation.required_role()
            )));
        for segment in e.path.split('/').filter(|s| s.starts_with('{')) {
            let name = segment.trim_matches(['{', '}']);
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(String::schema_ref())),
            );
        }
        for q in e.query {
            let schema = if q.starts_with("page_") {
                i64::schema_ref()
            } else {
                String::schema_ref()
            };
            op = op.parameter(
                ParameterBuilder::new()
                    .name(*q)
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .schema(Some(schema)),
            );
        }
        op = op.parameter(
            ParameterBuilder::new()
                .name("X-MCP")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some("Marks a call made by an AI agent through MCP (recorded in the audit log; limits publishing)"))
                .schema(Some(String::schema_ref())),
        );
        if let Some(req) = e.request {
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", json(req))
                    .required(Some(Required::False))
                    .build(),
            ));
        }
        let ok = match (e.response, e.path) {
            (Some(res), _) => ResponseBuilder::new()
                .description("Success")
                .content("application/json", json(res))
                .build(),
            (None, p) if p.contains("uploads") => ResponseBuilder::new()
                .description("The CSV file (Content-Disposition: attachment)")
                .content(
                    "text/csv",
                    ContentBuilder::new()
                        .schema(Some(String::schema_ref()))
                        .build(),
                )
                .build(),
            (None, _) => ResponseBuilder::new().description("Done").build(),
        };
        let status = match (e.method.clone(), e.path) {
            (Method::DELETE, _) => "204",
            (Method::POST, "/v5/catalog/{kind}") => "201",
            _ => "200",
        };
        op = op.response(status, ok);
        for (code, why) in ERRORS {
            op = op.response(
                code,
                ResponseBuilder::new()
                    .description(why)
                    .content("application/json", json("ErrorBody"))
                    .build(),
            );
        }
        op = op
            .security(SecurityRequirement::new::<&str, [&str; 0], &str>(
                "api_key",
                [],
            ))
            .security(SecurityRequirement::new::<&str, [&str; 0], &str>(
                "bearer",
                [],
            ))
            .security(SecurityRequirement::new::<&str, [&str; 0], &str>(
                "basic",
                [],
            ));
        paths.add_path_operation(
            format!("/api{}", e.path),
            vec![method(&e.method)],
            op.build(),
        );
    }
    doc.paths = paths;
    if let Some(c) = doc.components.as_mut() {
        c.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))),
        );
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        c.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
    }
    doc
}

trait SchemaRef {
    fn schema_ref() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>;
}

impl<T: utoipa::PartialSchema> SchemaRef for T {
    fn schema_ref() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        T::schema()
    }
}

/// The handler; the document is built once.
pub async fn openapi<S: Store>() -> HttpResponse {
    static DOC: OnceLock<String> = OnceLock::new();
    let body = DOC.get_or_init(|| {
        document::<S>()
            .to_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.clone())
}
