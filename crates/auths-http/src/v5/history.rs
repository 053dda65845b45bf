//! `POST /api/v5/artifacts/auths/history` and `/diff` (auths-v5 spec, "History, diff,
//! restore, dry runs"): an auth's versions with what each changed, and the changes
//! between two versions. Secret items show as key and fingerprint, never a value.

use actix_web::{HttpResponse, web};
use auths_app::{AppError, AuthService};
use auths_domain::history::Change;
use auths_domain::{AuthId, DraftId, Store};
use serde::{Deserialize, Serialize};

use super::paging::page;
use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::json::ApiJson;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryRequest {
    auth_id: String,
    #[schema(minimum = 1, maximum = 500)]
    page_size: Option<i64>,
    #[schema(minimum = 0)]
    page_offset: Option<i64>,
}

/// One version: when, by whom, through which channel and write, and what changed from
/// the version before (`{field, before, after}` for name, description and flag,
/// `{field, added, removed}` for the sets).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryEntryOut {
    version: i64,
    at: String,
    actor_name: String,
    channel: &'static str,
    operation: String,
    #[schema(value_type = Vec<Object>)]
    changes: Vec<Change>,
    /// Whether the caller may see this version (a scoped key sees the versions that
    /// were in one of its departments); one it may not see has no `changes`.
    visible: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryResponse {
    auth_id: String,
    entries: Vec<HistoryEntryOut>,
    total_count: u64,
}

/// What to compare: two versions of an auth, or a draft against the version it
/// started from.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum DiffRequest {
    /// Two versions.
    Versions(DiffVersions),
    /// A draft.
    Draft(DiffDraft),
}

/// Versions `from_version` and `to_version` (default: the current one) of `auth_id`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiffVersions {
    auth_id: String,
    from_version: i64,
    to_version: Option<i64>,
}

/// The caller's draft against the version it started from.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiffDraft {
    draft_id: String,
}

/// `to_version` is null for a draft (`draft_id` then names it).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DiffResponse {
    auth_id: String,
    from_version: i64,
    to_version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    draft_id: Option<String>,
    #[schema(value_type = Vec<Object>)]
    changes: Vec<Change>,
}

fn auth_id(raw: &str) -> Result<AuthId, AppError> {
    AuthId::parse(raw).map_err(|_| AppError::auth_not_found(raw))
}

/// `/history`.
///
/// # Errors
/// 400 for bad paging, 403 without the view permission, 404 as `/get` (a deleted
/// auth's history is an admin's).
pub async fn history<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    ApiJson(body): ApiJson<HistoryRequest>,
) -> Result<HttpResponse, ApiError> {
    let page = page(body.page_size, body.page_offset)?;
    let id = auth_id(&body.auth_id)?;
    let svc = service.into_inner();
    let (id, found) = blocking(move || {
        let found = svc.history(&caller.0, &id, page)?;
        Ok((id, found))
    })
    .await?;
    Ok(HttpResponse::Ok().json(HistoryResponse {
        auth_id: id.to_string(),
        entries: found
            .entries
            .into_iter()
            .map(|e| HistoryEntryOut {
                version: e.version.version,
                at: e.version.at.to_rfc3339(),
                actor_name: e.version.actor_name,
                channel: e.version.channel.as_str(),
                operation: e.version.operation,
                changes: e.changes,
                visible: e.visible,
            })
            .collect(),
        total_count: found.total,
    }))
}

/// `/diff`: two versions, or a draft against the version it started from.
///
/// # Errors
/// 400 for a body that is neither shape; 403 without the view permission; 404 as
/// `/get`, for a version not kept, or a draft not the caller's; 422 for a draft of a
/// new auth.
pub async fn diff<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    ApiJson(body): ApiJson<DiffRequest>,
) -> Result<HttpResponse, ApiError> {
    let svc = service.into_inner();
    let versions = match body {
        DiffRequest::Draft(DiffDraft { draft_id: raw }) => {
            let draft = DraftId::parse(&raw).map_err(|_| AppError::draft_not_found(&raw))?;
            let (id, d) = blocking(move || svc.diff_draft(&caller.0, &draft)).await?;
            return Ok(HttpResponse::Ok().json(DiffResponse {
                auth_id: id.to_string(),
                from_version: d.from_version,
                to_version: None,
                draft_id: Some(raw),
                changes: d.changes,
            }));
        }
        DiffRequest::Versions(v) => v,
    };
    let (raw, from) = (versions.auth_id, versions.from_version);
    let id = auth_id(&raw)?;
    let to = versions.to_version;
    let (id, d) = blocking(move || {
        let d = svc.diff_versions(&caller.0, &id, from, to)?;
        Ok((id, d))
    })
    .await?;
    Ok(HttpResponse::Ok().json(DiffResponse {
        auth_id: id.to_string(),
        from_version: d.from_version,
        to_version: Some(d.to_version),
        draft_id: None,
        changes: d.changes,
    }))
}
