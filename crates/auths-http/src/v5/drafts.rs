//! `PATCH /api/v5/artifacts/auths/draft` and `POST /api/v5/artifacts/auths/drafts`.

use actix_web::{HttpResponse, web};
use auths_app::{AppError, AuthService, DraftEdit, FormState};
use auths_domain::{AuthId, Change, DraftId, DraftPatch, DraftValues, FieldProblem, Store};
use serde::{Deserialize, Deserializer, Serialize};

use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::json::ApiJson;

/// Reads a field that may be absent (`None`), `null` (`Some(None)`) or a value.
fn double<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchDraftBody {
    #[serde(default, deserialize_with = "double")]
    input_draft_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double")]
    auth_id: Option<Option<String>>,
    expected_version: i64,
    #[serde(default, deserialize_with = "double")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double")]
    name_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "double")]
    description_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double")]
    flag_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double")]
    protocol_ids: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double")]
    slug_ids: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double")]
    item_ids: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double")]
    department_ids: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double")]
    location_ids: Option<Option<Vec<String>>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FormStateOut {
    #[schema(value_type = crate::v5::schemas::DraftValuesSchema)]
    values: DraftValues,
    #[schema(value_type = Vec<crate::v5::schemas::FieldProblemSchema>)]
    problems: Vec<FieldProblem>,
    can_publish: bool,
}

impl From<FormState> for FormStateOut {
    fn from(f: FormState) -> Self {
        Self {
            values: f.values,
            problems: f.problems,
            can_publish: f.can_publish,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PatchDraftResponse {
    success: bool,
    draft_id: String,
    new_version: i64,
    message: String,
    form_state: FormStateOut,
}

/// `PATCH .../draft`.
///
/// # Errors
/// 400 (body), 403, 404 (draft or auth not the caller's), 409 (stale version).
pub async fn patch<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    ApiJson(body): ApiJson<PatchDraftBody>,
) -> Result<HttpResponse, ApiError> {
    let draft_id = match body.input_draft_id.flatten() {
        Some(d) => Some(
            DraftId::parse(&d).map_err(|_| AppError::NotFound(format!("draft {d} not found")))?,
        ),
        None => None,
    };
    let auth_id = match body.auth_id.flatten() {
        Some(_) if draft_id.is_some() => {
            return Err(AppError::invalid(
                "auth_id",
                "auth_id starts a draft; leave it out when editing one",
            )
            .into());
        }
        Some(a) => {
            Some(AuthId::parse(&a).map_err(|_| AppError::NotFound(format!("auth {a} not found")))?)
        }
        None => None,
    };
    let too_long = [
        ("protocol_ids", &body.protocol_ids),
        ("slug_ids", &body.slug_ids),
        ("item_ids", &body.item_ids),
        ("department_ids", &body.department_ids),
        ("location_ids", &body.location_ids),
    ]
    .into_iter()
    .find(|(_, v)| {
        v.as_ref()
            .and_then(Option::as_ref)
            .is_some_and(|l| l.len() > auths_domain::auth::MAX_SECTION_ENTRIES)
    });
    if let Some((field, _)) = too_long {
        return Err(AppError::invalid(
            field,
            format!(
                "at most {} entries are allowed",
                auths_domain::auth::MAX_SECTION_ENTRIES
            ),
        )
        .into());
    }
    let patch = DraftPatch {
        name: Change::from_double(body.name),
        name_id: Change::from_double(body.name_id),
        description: Change::from_double(body.description),
        description_id: Change::from_double(body.description_id),
        flag_id: Change::from_double(body.flag_id),
        protocol_ids: Change::from_double(body.protocol_ids),
        slug_ids: Change::from_double(body.slug_ids),
        item_ids: Change::from_double(body.item_ids),
        department_ids: Change::from_double(body.department_ids),
        location_ids: Change::from_double(body.location_ids),
    };
    let edit = DraftEdit {
        draft_id,
        auth_id,
        expected_version: body.expected_version,
        patch,
    };
    let svc = service.into_inner();
    let view = blocking(move || svc.edit_draft(&caller.0, edit)).await?;
    let message = if view.form.can_publish {
        "draft saved; it can be published".to_owned()
    } else {
        format!(
            "draft saved; {} problem(s) to fix before publishing",
            view.form.problems.len()
        )
    };
    Ok(HttpResponse::Ok().json(PatchDraftResponse {
        success: true,
        draft_id: view.draft.draft_id.to_string(),
        new_version: view.draft.version,
        message,
        form_state: view.form.into(),
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DraftEntry {
    draft_id: String,
    version: i64,
    auth_id: Option<String>,
    #[schema(value_type = crate::v5::schemas::DraftValuesSchema)]
    values: DraftValues,
    updated_at: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DraftsResponse {
    entries: Vec<DraftEntry>,
}

/// `POST .../drafts`: the caller's drafts, newest first.
///
/// # Errors
/// 403 for viewers.
pub async fn list<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    _body: ApiJson<crate::json::NoFields>,
) -> Result<HttpResponse, ApiError> {
    let svc = service.into_inner();
    let drafts = blocking(move || svc.drafts(&caller.0)).await?;
    Ok(HttpResponse::Ok().json(DraftsResponse {
        entries: drafts
            .into_iter()
            .map(|d| DraftEntry {
                draft_id: d.draft_id.to_string(),
                version: d.version,
                auth_id: d.auth_id.map(|a| a.to_string()),
                values: d.values,
                updated_at: d.updated_at.to_rfc3339(),
            })
            .collect(),
    }))
}
