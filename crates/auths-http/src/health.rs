//! Liveness and readiness.

use actix_web::{HttpResponse, web};
use auths_app::AuthService;
use auths_domain::Store;
use serde_json::json;

use crate::blocking::blocking;
use crate::error::ApiError;

/// `GET /healthz`: 200 while the process runs.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /readyz`: 200 when the database answers, else 503 `unavailable`.
///
/// # Errors
/// 503 when the database does not answer.
pub async fn readyz<S: Store>(
    service: web::Data<AuthService<S>>,
) -> Result<HttpResponse, ApiError> {
    let svc = service.into_inner();
    blocking(move || svc.ready()).await?;
    Ok(HttpResponse::Ok().json(json!({"status": "ready"})))
}
