//! `GET /api/v5/audit?auth_id=&page_size=&page_offset=`: the audit log, newest first.

use actix_web::{HttpResponse, web};
use auths_app::AuthService;
use auths_domain::{AuthId, Store};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::paging::page;
use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::ApiError;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    auth_id: Option<String>,
    page_size: Option<i64>,
    page_offset: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    id: i64,
    at: String,
    actor_name: String,
    channel: &'static str,
    /// The MCP client's name (its `initialize` at `/mcp`, or the `X-MCP` header's
    /// value); null for other calls.
    client: Option<String>,
    operation: String,
    auth_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    before: Option<Box<RawValue>>,
    #[schema(value_type = Option<Object>)]
    after: Option<Box<RawValue>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditResponse {
    entries: Vec<AuditEntry>,
    total_count: u64,
}

fn raw(json: Option<String>) -> Option<Box<RawValue>> {
    json.and_then(|j| RawValue::from_string(j).ok())
}

/// The handler.
///
/// # Errors
/// 400 for bad paging, 403 for viewers.
pub async fn list<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let page = page(q.page_size, q.page_offset)?;
    // An id that cannot exist matches nothing, like an id of another department.
    let auth_id = match q.auth_id.filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => match AuthId::parse(&a) {
            Ok(id) => Some(id),
            Err(_) => {
                return Ok(HttpResponse::Ok().json(AuditResponse {
                    entries: vec![],
                    total_count: 0,
                }));
            }
        },
    };
    let svc = service.into_inner();
    let caller = caller.0;
    let found = blocking(move || svc.list_audit(&caller, auth_id, page)).await?;
    let entries = found
        .rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: r.at.to_rfc3339(),
            actor_name: r.actor_name,
            channel: r.channel.as_str(),
            client: r.client,
            operation: r.operation,
            auth_id: r.auth_id.map(|a| a.to_string()),
            before: raw(r.before),
            after: raw(r.after),
        })
        .collect();
    Ok(HttpResponse::Ok().json(AuditResponse {
        entries,
        total_count: found.total,
    }))
}
