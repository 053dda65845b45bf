//! `POST /api/v5/artifacts/auths/duplicate`.

use actix_web::{HttpResponse, web};
use auths_app::{AppError, AuthService};
use auths_domain::{AuthId, Store};
use serde::{Deserialize, Serialize};

use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::json::ApiJson;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DuplicateRequest {
    auth_id: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DuplicateResponse {
    success: bool,
    auth_id: String,
    message: String,
}

/// The handler.
///
/// # Errors
/// 403, 404.
pub async fn duplicate<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    ApiJson(body): ApiJson<DuplicateRequest>,
) -> Result<HttpResponse, ApiError> {
    let auth_id =
        AuthId::parse(&body.auth_id).map_err(|_| AppError::auth_not_found(&body.auth_id))?;
    let svc = service.into_inner();
    let caller = caller.0;
    let out = blocking(move || svc.duplicate(&caller, &auth_id)).await?;
    Ok(HttpResponse::Ok().json(DuplicateResponse {
        success: true,
        message: format!("created {:?}", out.name),
        auth_id: out.auth_id.to_string(),
    }))
}
