//! `POST /api/v5/artifacts/auths/docs`: documentation composed from the registry that
//! mounts the routes, with what the caller may call.

use actix_web::{HttpResponse, web};
use auths_app::{AppError, AuthService};
use auths_domain::{AuthId, CatalogKind, Operation, Store};
use serde::{Deserialize, Serialize};

use super::registry::endpoints;
use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::json::ApiJson;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocsBody {
    entity_id: Option<String>,
}

/// One operation as the docs show it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OperationInfo {
    #[schema(value_type = String)]
    operation: Operation,
    method: String,
    path: String,
    summary: String,
    permission: &'static str,
    allowed: bool,
    /// The MCP tool that calls it at `/mcp` (in `api_operations`).
    #[serde(skip_serializing_if = "Option::is_none")]
    tool: Option<String>,
}

/// How agents reach the same operations: the MCP front door.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct McpDoc {
    path: &'static str,
    transport: &'static str,
    protocol_versions: [&'static str; 4],
    description: &'static str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocEntry {
    name: String,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cardinality: Option<&'static str>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PageMetadata {
    title: String,
    auth_id: String,
    updated_at: String,
    version: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocsResponse {
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    description: &'static str,
    artifact: DocEntry,
    entries: Vec<DocEntry>,
    resources: Vec<DocEntry>,
    permissions: Vec<OperationInfo>,
    api_operations: Vec<OperationInfo>,
    mcp: McpDoc,
    page_metadata: Option<PageMetadata>,
}

const SECTIONS: [(&str, &str, &str); 7] = [
    (
        "names",
        "one",
        "The auth's name; unique among auths, case-insensitively",
    ),
    ("descriptions", "zero or one", "What the auth is for"),
    (
        "flags",
        "one",
        "Lifecycle: active, disabled, deprecated (a deprecated auth is read-only but for its flag)",
    ),
    (
        "protocols",
        "one or more",
        "ldap, ldaps, oidc, oauth2, saml2, kerberos, radius, external",
    ),
    (
        "slugs",
        "zero or more",
        "URL-safe keys; a slug belongs to at most one auth",
    ),
    (
        "items",
        "zero or more",
        "Configuration entries (key, value, secret); a secret value is never returned or exported",
    ),
    (
        "departments",
        "zero or more",
        "Owners: drive permissions and the search facet (Foreman's organizations)",
    ),
];

/// The handler.
///
/// # Errors
/// 403 without the view permission; 404 for an `entity_id` the caller cannot see.
pub async fn docs<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    ApiJson(body): ApiJson<DocsBody>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller.0;
    caller.may(Operation::Docs).map_err(AppError::from)?;
    let entity = body
        .entity_id
        .filter(|e| !e.is_empty())
        .map(|e| AuthId::parse(&e).map_err(|_| AppError::auth_not_found(&e)))
        .transpose()?;
    let page_metadata = match entity {
        None => None,
        Some(id) => {
            let svc = service.into_inner();
            let c = caller.clone();
            let view = blocking(move || svc.get_one(&c, &id)).await?;
            Some(PageMetadata {
                title: view.auth.name.label,
                auth_id: view.auth.auth_id.to_string(),
                updated_at: view.auth.updated_at.to_rfc3339(),
                version: view.auth.version,
            })
        }
    };
    let info = |op: Operation, method: String, path: String, summary: String| OperationInfo {
        allowed: caller.may(op).is_ok(),
        permission: op.permission(),
        operation: op,
        method,
        path,
        summary,
        tool: None,
    };
    let all = endpoints::<S>();
    let api_operations: Vec<OperationInfo> = all
        .iter()
        .map(|e| OperationInfo {
            tool: Some(crate::mcp::tool_name(&e.method, e.path)),
            ..info(
                e.operation,
                e.method.to_string(),
                format!("/api{}", e.path),
                e.summary.to_owned(),
            )
        })
        .collect();
    let mut permissions: Vec<OperationInfo> = Vec::new();
    for e in &all {
        if !permissions
            .iter()
            .any(|p| p.permission == e.operation.permission())
        {
            permissions.push(info(
                e.operation,
                e.method.to_string(),
                format!("/api{}", e.path),
                format!("needs the {} role", e.operation.required_role()),
            ));
        }
    }
    Ok(HttpResponse::Ok().json(DocsResponse {
        name: "auths",
        kind: "artifact",
        description: "Authentication-source configurations (LDAP, OIDC, SAML, Kerberos, external, ...) as versioned records composed of catalog entries",
        artifact: DocEntry {
            name: "auth".to_owned(),
            description: "One authentication-source configuration: sections pointing at catalog entries, a version that goes up on every published change, owned by departments".to_owned(),
            path: Some("/api/v5/artifacts/auths".to_owned()),
            cardinality: None,
        },
        entries: SECTIONS
            .iter()
            .map(|(name, cardinality, description)| DocEntry {
                name: (*name).to_owned(),
                description: (*description).to_owned(),
                path: Some(format!("/api/v5/catalog/{name}")),
                cardinality: Some(cardinality),
            })
            .collect(),
        resources: CatalogKind::ALL
            .iter()
            .map(|k| DocEntry {
                name: k.as_str().to_owned(),
                description: format!("The {k} catalog: GET to browse (?search=), POST to add, PATCH to rename, DELETE to remove"),
                path: Some(format!("/api/v5/catalog/{k}")),
                cardinality: None,
            })
            .collect(),
        permissions,
        api_operations,
        mcp: McpDoc {
            path: "/mcp",
            transport: "streamable-http",
            protocol_versions: crate::mcp::PROTOCOL_VERSIONS,
            description: "The Model Context Protocol front door, with the same credentials: each API operation is the tool its `tool` names. Calls through it are channel mcp (audited with the client's name from initialize), so a key without MCP writes may read and draft but not publish, delete, export or refresh.",
        },
        page_metadata,
    }))
}
