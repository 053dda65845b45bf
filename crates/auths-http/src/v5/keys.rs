//! `/api/v5/keys`: list and create API keys; `/api/v5/keys/{name}`: revoke one (server
//! spec, "Keys over HTTP, and revocation"). Admins only; every change is audited under
//! the caller's name. A created key is in the 201 answer once and never again.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use auths_app::{AppError, AuthService, KeySpec};
use auths_domain::{EntryId, KeyRecord, Role, Rule, Store};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::json::ApiJson;

/// A key as listed: never the key or its hash.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyOut {
    name: String,
    #[schema(value_type = super::schemas::RoleSchema)]
    role: String,
    /// Empty: every department.
    department_ids: Vec<String>,
    allow_mcp_writes: bool,
    /// RFC 3339, UTC.
    created_at: String,
    /// RFC 3339, UTC; recorded in batches, so it may lag a few seconds.
    last_used_at: Option<String>,
    /// RFC 3339, UTC; from then on the key is refused like a revoked one.
    expires_at: Option<String>,
    /// RFC 3339, UTC.
    revoked_at: Option<String>,
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl From<KeyRecord> for KeyOut {
    fn from(k: KeyRecord) -> Self {
        let p = k.principal;
        Self {
            name: p.name,
            role: p.role.as_str().to_owned(),
            department_ids: p
                .departments
                .unwrap_or_default()
                .into_iter()
                .map(|d| d.id.to_string())
                .collect(),
            allow_mcp_writes: p.allow_mcp_writes,
            created_at: time(k.created_at),
            last_used_at: k.last_used_at.map(time),
            expires_at: k.expires_at.map(time),
            revoked_at: k.revoked_at.map(time),
        }
    }
}

/// One page of the keys, revoked and expired ones included, by name, and how many
/// there are.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeysResponse {
    entries: Vec<KeyOut>,
    total_count: u64,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeysQuery {
    page_size: Option<i64>,
    page_offset: Option<i64>,
}

/// A new key. `expires_at` is RFC 3339 and must be in the future.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyBody {
    name: String,
    #[schema(value_type = super::schemas::RoleSchema)]
    role: Role,
    department_ids: Option<Vec<String>>,
    allow_mcp_writes: Option<bool>,
    #[schema(value_type = Option<String>, format = DateTime)]
    expires_at: Option<DateTime<Utc>>,
}

/// The created key: the listed object plus `key`, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedKey {
    #[serde(flatten)]
    record: KeyOut,
    /// The key itself. It is not stored and cannot be shown again.
    key: String,
}

/// `GET /api/v5/keys?page_size=&page_offset=`.
///
/// # Errors
/// 400 (paging), 403 unless admin.
pub async fn list<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    query: web::Query<KeysQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let page = super::paging::page(q.page_size, q.page_offset)?;
    let svc = service.into_inner();
    let keys = blocking(move || svc.list_keys_as(&caller.0, page)).await?;
    Ok(HttpResponse::Ok().json(KeysResponse {
        entries: keys.rows.into_iter().map(KeyOut::from).collect(),
        total_count: keys.total,
    }))
}

/// `POST /api/v5/keys`: 201 and the key, once.
///
/// # Errors
/// 400 (body), 403 unless admin, 409 (an active key has the name), 422 (name, more
/// than 200 or unknown departments, `expires_at` not in the future).
pub async fn create<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    ApiJson(body): ApiJson<KeyBody>,
) -> Result<HttpResponse, ApiError> {
    // An id that cannot be one is a value the domain rejects (422), like an unknown one.
    let department_ids = body
        .department_ids
        .unwrap_or_default()
        .iter()
        .map(|d| {
            EntryId::parse(d).map_err(|_| {
                AppError::invalid(
                    "department",
                    Rule::MalformedId {
                        id: d.trim().to_owned(),
                    },
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let spec = KeySpec {
        name: body.name,
        role: body.role,
        department_ids,
        allow_mcp_writes: body.allow_mcp_writes.unwrap_or(false),
        expires_at: body.expires_at,
    };
    let svc = service.into_inner();
    let issued = blocking(move || svc.create_key_as(&caller.0, &spec)).await?;
    let location = format!("/api/v5/keys/{}", urlencoding(&issued.principal.name));
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedKey {
            record: KeyOut::from(KeyRecord {
                principal: issued.principal,
                key_hash: String::new(),
                created_at: issued.created_at,
                last_used_at: None,
                revoked_at: None,
                expires_at: issued.expires_at,
            }),
            key: issued.key,
        }))
}

/// `DELETE /api/v5/keys/{name}`: 204; the key is refused from now on, by this process
/// at once and by every other within a second.
///
/// # Errors
/// 403 unless admin, 404 when no active key has the name.
pub async fn revoke<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let svc = service.into_inner();
    blocking(move || svc.revoke_key_as(&caller.0, &name)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Percent-encodes a key name for a path segment (names may hold spaces and any
/// printable character but `:`).
fn urlencoding(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
