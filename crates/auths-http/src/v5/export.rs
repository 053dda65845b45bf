//! `POST /api/v5/artifacts/auths/export` and `GET /api/v5/uploads/{upload_id}`.

use actix_files::NamedFile;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, web};
use auths_app::{AppError, AuthService};
use auths_domain::{AuthId, Store};
use serde::{Deserialize, Serialize};

use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::json::ApiJson;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportBody {
    auth_id: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportResponse {
    upload_id: String,
    file_name: String,
    row_count: u64,
}

/// `POST .../export`.
///
/// # Errors
/// 403 (role, MCP), 404 (unknown auth).
pub async fn export<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    ApiJson(body): ApiJson<ExportBody>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller.0;
    let auth_id = body
        .auth_id
        .filter(|a| !a.is_empty())
        .map(|a| AuthId::parse(&a).map_err(|_| AppError::auth_not_found(&a)))
        .transpose()?;
    let svc = service.into_inner();
    let done = blocking(move || svc.export(&caller, auth_id.as_ref())).await?;
    Ok(HttpResponse::Ok().json(ExportResponse {
        upload_id: done.upload_id,
        file_name: done.file_name,
        row_count: done.row_count,
    }))
}

/// `GET /api/v5/uploads/{upload_id}`: the file, as `text/csv`, for its creator or an
/// admin.
///
/// # Errors
/// 404 for an unknown upload or one of another principal.
pub async fn download<S: Store>(
    req: HttpRequest,
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let upload_id = path.into_inner();
    let svc = service.into_inner();
    let (file, upload) = blocking(move || svc.upload(&caller.0, &upload_id)).await?;
    let named = NamedFile::open_async(&file)
        .await
        .map_err(|e| {
            ApiError::from(if e.kind() == std::io::ErrorKind::NotFound {
                // Removed (expired, or over its key's quota) since it was looked up.
                AppError::NotFound(auths_app::Missing::Upload(upload_id_of(&file)))
            } else {
                AppError::Internal(format!("opening an upload: {e}"))
            })
        })?
        .set_content_type(mime::TEXT_CSV_UTF_8)
        .set_content_disposition(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(upload.file_name)],
        });
    Ok(named.into_response(&req))
}

/// The upload id a file is named after (`<id>.csv`).
fn upload_id_of(file: &std::path::Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
