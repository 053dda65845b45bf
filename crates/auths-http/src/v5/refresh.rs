//! `POST /api/v5/artifacts/auths/refresh`.

use actix_web::{HttpResponse, web};
use auths_app::AuthService;
use auths_domain::Store;
use serde::Serialize;

use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::ApiError;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RefreshResponse {
    success: bool,
    refreshed_views: Vec<String>,
    invalidated_tags: Vec<String>,
}

/// The handler.
///
/// # Errors
/// 403 for non-admins and MCP callers without MCP writes.
pub async fn refresh<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    _body: crate::json::ApiJson<crate::json::NoFields>,
) -> Result<HttpResponse, ApiError> {
    let svc = service.into_inner();
    let done = blocking(move || svc.refresh(&caller.0)).await?;
    Ok(HttpResponse::Ok().json(RefreshResponse {
        success: true,
        refreshed_views: done.views,
        invalidated_tags: done.caches,
    }))
}
