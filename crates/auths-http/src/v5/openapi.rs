//! `GET /api/v5/openapi.json`: the OpenAPI 3.1 document of every v5 route, built from
//! the registry that mounts them (paths, methods, summaries, parameters) and the
//! request and answer types (schemas, derived with utoipa). No credentials needed.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::Method;
use auths_domain::{CatalogKind, Store};
use utoipa::OpenApi;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::link::{Link, LinkBuilder};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{
    ArrayItems, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required};

use super::registry::endpoints;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "auths v5",
        description = "Authentication-source configurations as versioned, composable records. Errors always have the body {\"error\": {\"code\", \"message\", \"details\"}}. AI agents connect to POST /mcp (the Model Context Protocol, Streamable HTTP transport, the same credentials): every operation below is an MCP tool, named by its x-mcp-tool, its input schema the operation's request schema (see x-mcp).",
    ),
    components(schemas(
        crate::error::ErrorBodySchema,
        super::get::GetRequest,
        super::get::FormResponse,
        super::history::HistoryRequest,
        super::history::HistoryResponse,
        super::history::HistoryEntryOut,
        super::history::DiffRequest,
        super::history::DiffVersions,
        super::history::DiffDraft,
        super::history::DiffResponse,
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
        super::drafts::DraftsBody,
        super::drafts::DraftsResponse,
        super::docs::DocsBody,
        super::docs::DocsResponse,
        super::export::ExportBody,
        super::export::ExportResponse,
        super::refresh::RefreshResponse,
        super::schemas::EntryBodySchema,
        super::schemas::LabelBodySchema,
        super::schemas::ItemBodySchema,
        super::catalog::EntryOut,
        super::catalog::CatalogList,
        super::audit::AuditResponse,
        super::schemas::RoleSchema,
        super::keys::KeysResponse,
        super::keys::KeyBody,
        super::keys::CreatedKey,
    ))
)]
struct Schemas;

const ERRORS: [(&str, &str); 11] = [
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
    (
        "408",
        "The request body arrived too slowly (no byte for 10 s, or not whole in 60 s)",
    ),
    ("409", "A stale version, or a taken name, label or slug"),
    ("413", "Body or bulk too large (1000 items at most)"),
    ("415", "The body is not JSON"),
    ("422", "A value the domain rejects, by field in details"),
    (
        "429",
        "Too many failed credentials from this address: try again in a few minutes",
    ),
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
            .operation_id(Some(operation_id(&e.method, e.path)))
            .tag(e.path.split('/').nth(2).unwrap_or("v5"))
            .description(Some(format!(
                "Permission: {} (role {} or above).",
                e.operation.permission(),
                e.operation.required_role()
            )))
            .extensions(Some(
                Extensions::builder()
                    .add("x-mcp-tool", crate::mcp::tool_name(&e.method, e.path))
                    .build(),
            ));
        for segment in e.path.split('/').filter(|s| s.starts_with('{')) {
            let name = segment.trim_matches(['{', '}']);
            let schema = if name == "kind" {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(CatalogKind::ALL.map(CatalogKind::as_str)))
                    .into()
            } else {
                text(None)
            };
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(schema)),
            );
        }
        for q in e.query {
            let schema = match *q {
                "page_size" => integer(1, Some(super::paging::MAX_PAGE_SIZE)),
                "page_offset" => integer(0, None),
                "search" => text(Some(super::catalog::MAX_SEARCH_CHARS)),
                _ => text(None),
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
            // A body is required when its schema requires a field (an empty body reads
            // as `{}`, which lacks it), or is one of several shapes.
            let required = match doc.components.as_ref().and_then(|c| c.schemas.get(req)) {
                Some(RefOr::T(Schema::Object(o))) if !o.required.is_empty() => Required::True,
                Some(RefOr::T(Schema::OneOf(_))) => Required::True,
                _ => Required::False,
            };
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", json(req))
                    .required(Some(required))
                    .build(),
            ));
        }
        let ok = match (e.response, e.path) {
            (Some(res), _) => {
                let mut ok = ResponseBuilder::new()
                    .description("Success")
                    .content("application/json", json(res));
                for (name, link) in links(&e.method, e.path) {
                    ok = ok.link(name, link);
                }
                ok.build()
            }
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
            (Method::POST, "/v5/catalog/{kind}" | "/v5/keys") => "201",
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
    doc.extensions = Some(
        Extensions::builder()
            .add(
                "x-mcp",
                serde_json::json!({
                    "path": "/mcp",
                    "transport": "streamable-http",
                    "protocol_versions": crate::mcp::PROTOCOL_VERSIONS,
                    "tools": "one an operation, named by its x-mcp-tool; arguments: the request body, or its path and query parameters with the body as `body`",
                    "policy": "every call is channel mcp: a key without MCP writes may read and edit its own drafts, and gets 403 on create, update, delete, duplicate, export, refresh, catalog and key changes",
                }),
            )
            .build(),
    );
    if let Some(c) = doc.components.as_mut() {
        no_nul_in_requests(
            &mut c.schemas,
            endpoints::<S>().iter().filter_map(|e| e.request),
        );
    }
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

/// The operation id of an endpoint: `post_artifacts_auths_create`,
/// `patch_catalog__kind___id`.
fn operation_id(method: &Method, path: &str) -> String {
    format!(
        "{}_{}",
        method.as_str().to_lowercase(),
        path.trim_start_matches("/v5/")
            .replace(['/', '{', '}'], "_")
            .trim_end_matches('_')
    )
}

/// The links of a successful answer: how what it returns feeds other operations (the
/// auth just created to update, duplicate, export or delete; a catalog entry to
/// rename or delete; a draft to edit or publish; an export to download).
fn links(method: &Method, path: &str) -> Vec<(&'static str, Link)> {
    let to = |method: Method, path: &str| LinkTo {
        operation_id: operation_id(&method, path),
        parameters: Vec::new(),
        body: None,
    };
    let auth = "$response.body#/results/0/auth_id";
    let version = "$response.body#/results/0/version";
    match (method.as_str(), path) {
        ("POST", "/v5/artifacts/auths/create") => vec![
            ("get", to(Method::POST, "/v5/artifacts/auths/get").request_body(serde_json::json!({"auth_id": auth})).build()),
            ("update", to(Method::POST, "/v5/artifacts/auths/update").request_body(serde_json::json!({"auths": [{"auth_id": auth, "expected_version": version}]})).build()),
            ("duplicate", to(Method::POST, "/v5/artifacts/auths/duplicate").request_body(serde_json::json!({"auth_id": auth})).build()),
            ("draft", to(Method::PATCH, "/v5/artifacts/auths/draft").request_body(serde_json::json!({"auth_id": auth, "expected_version": version})).build()),
            ("export", to(Method::POST, "/v5/artifacts/auths/export").request_body(serde_json::json!({"auth_id": auth})).build()),
            ("audit", to(Method::GET, "/v5/audit").parameter("auth_id", auth).build()),
            ("delete", to(Method::POST, "/v5/artifacts/auths/delete").request_body(serde_json::json!({"auth_ids": [auth]})).build()),
        ],
        ("POST", "/v5/artifacts/auths/duplicate") => vec![
            ("get", to(Method::POST, "/v5/artifacts/auths/get").request_body(serde_json::json!({"auth_id": "$response.body#/auth_id"})).build()),
            ("delete", to(Method::POST, "/v5/artifacts/auths/delete").request_body(serde_json::json!({"auth_ids": ["$response.body#/auth_id"]})).build()),
        ],
        ("PATCH", "/v5/artifacts/auths/draft") => vec![
            ("edit", to(Method::PATCH, "/v5/artifacts/auths/draft").request_body(serde_json::json!({"input_draft_id": "$response.body#/draft_id", "expected_version": "$response.body#/new_version"})).build()),
            ("get", to(Method::POST, "/v5/artifacts/auths/get").request_body(serde_json::json!({"draft_id": "$response.body#/draft_id"})).build()),
            ("publish", to(Method::POST, "/v5/artifacts/auths/create").request_body(serde_json::json!({"auths": [{"draft_id": "$response.body#/draft_id"}]})).build()),
        ],
        ("POST", "/v5/artifacts/auths/export") => vec![
            ("download", to(Method::GET, "/v5/uploads/{upload_id}").parameter("upload_id", "$response.body#/upload_id").build()),
        ],
        ("POST", "/v5/catalog/{kind}") => vec![
            ("rename", to(Method::PATCH, "/v5/catalog/{kind}/{id}").parameter("kind", "$request.path.kind").parameter("id", "$response.body#/id").build()),
            ("delete", to(Method::DELETE, "/v5/catalog/{kind}/{id}").parameter("kind", "$request.path.kind").parameter("id", "$response.body#/id").build()),
        ],
        _ => Vec::new(),
    }
}

/// A link under construction. utoipa 5.5 writes a link's `operationId` and
/// `requestBody` in snake case, which no OpenAPI reader understands, so they are
/// written as the specification spells them, through the link's extension map.
struct LinkTo {
    operation_id: String,
    parameters: Vec<(&'static str, &'static str)>,
    body: Option<serde_json::Value>,
}

impl LinkTo {
    fn parameter(mut self, name: &'static str, value: &'static str) -> Self {
        self.parameters.push((name, value));
        self
    }

    fn request_body(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }

    fn build(self) -> Link {
        let mut fields: Extensions = [("operationId", serde_json::Value::from(self.operation_id))]
            .into_iter()
            .collect();
        if let Some(body) = self.body {
            fields.insert("requestBody".to_owned(), body);
        }
        let mut link = LinkBuilder::new();
        for (name, value) in self.parameters {
            link = link.parameter(name, value);
        }
        link.extensions(Some(fields)).build()
    }
}

/// No NUL character: the API refuses them (400) in bodies and query strings alike,
/// since PostgreSQL cannot store them.
const NO_NUL: &str = "^[^\\u0000]*$";

/// A string parameter, without NUL, at most `max` characters long.
fn text(max: Option<usize>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(max)
        .pattern(Some(NO_NUL))
        .into()
}

/// Adds [`NO_NUL`] to every string of the request schemas named, and of the schemas
/// they refer to.
fn no_nul_in_requests<'a>(
    schemas: &mut BTreeMap<String, RefOr<Schema>>,
    requests: impl Iterator<Item = &'a str>,
) {
    fn visit(schema: &mut RefOr<Schema>, refs: &mut Vec<String>) {
        match schema {
            RefOr::Ref(r) => refs.push(
                r.ref_location
                    .trim_start_matches("#/components/schemas/")
                    .to_owned(),
            ),
            RefOr::T(Schema::Object(o)) => {
                let string = match &o.schema_type {
                    SchemaType::Type(t) => *t == Type::String,
                    SchemaType::Array(types) => types.contains(&Type::String),
                    SchemaType::AnyValue => false,
                };
                if string && o.pattern.is_none() && o.enum_values.is_none() {
                    o.pattern = Some(NO_NUL.to_owned());
                }
                for p in o.properties.values_mut() {
                    visit(p, refs);
                }
            }
            RefOr::T(Schema::Array(a)) => {
                if let ArrayItems::RefOrSchema(items) = &mut a.items {
                    visit(items, refs);
                }
            }
            RefOr::T(Schema::OneOf(one)) => {
                for s in &mut one.items {
                    visit(s, refs);
                }
            }
            RefOr::T(_) => {}
        }
    }
    let mut todo: Vec<String> = requests.map(str::to_owned).collect();
    let mut done = Vec::new();
    while let Some(name) = todo.pop() {
        if done.contains(&name) {
            continue;
        }
        if let Some(schema) = schemas.get_mut(&name) {
            visit(schema, &mut todo);
        }
        done.push(name);
    }
}

/// An integer schema with bounds (paging parameters).
fn integer(min: i64, max: Option<i64>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(min))
        .maximum(max)
        .into()
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
