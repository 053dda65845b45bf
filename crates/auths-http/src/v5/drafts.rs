//! `PATCH /api/v5/artifacts/auths/draft` and `POST /api/v5/artifacts/auths/drafts`.

use actix_web::{HttpResponse, web};
use auths_app::{AuthService, DraftEdit, FormState};
use auths_domain::{DraftPatch, DraftValues, Store};
use serde::Serialize;
use serde::de::MapAccess;

use super::fields::{OwnFields, item};
use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::error::Detail;
use crate::json::ApiJson;

/// A draft patch: which draft (`input_draft_id`; to start one, none, or the `auth_id`
/// it edits), the version it was made against, and the fields to change (`null`
/// clears one).
#[derive(Debug, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftOwn {
    input_draft_id: Option<String>,
    auth_id: Option<String>,
    #[schema(value_type = i64)]
    expected_version: Option<i64>,
    /// With `auth_id`, to start a draft: restore that version's values (publishing it
    /// is an ordinary update against `expected_version`, the current one).
    from_version: Option<i64>,
}

impl OwnFields for DraftOwn {
    const NAMES: &'static [&'static str] = &[
        "input_draft_id",
        "auth_id",
        "expected_version",
        "from_version",
    ];

    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "input_draft_id" => self.input_draft_id = map.next_value()?,
            "auth_id" => self.auth_id = map.next_value()?,
            "expected_version" => self.expected_version = Some(map.next_value()?),
            "from_version" => self.from_version = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn missing(&self) -> Option<&'static str> {
        self.expected_version
            .is_none()
            .then_some("expected_version")
    }
}

item!(
    /// `PATCH .../draft`'s body.
    PatchDraftBody,
    DraftOwn,
    DraftPatch
);

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FormStateOut {
    #[schema(value_type = crate::v5::schemas::DraftValuesSchema)]
    values: DraftValues,
    problems: Vec<Detail>,
    can_publish: bool,
}

impl From<FormState> for FormStateOut {
    fn from(f: FormState) -> Self {
        Self {
            values: f.values,
            problems: f.problems.iter().map(Detail::from).collect(),
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
    ApiJson(PatchDraftBody(body)): ApiJson<PatchDraftBody>,
) -> Result<HttpResponse, ApiError> {
    let own = body.own;
    let edit = DraftEdit {
        draft_id: own.input_draft_id,
        auth_id: own.auth_id,
        expected_version: own.expected_version.unwrap_or_default(),
        from_version: own.from_version,
        patch: body.fields,
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
    /// How many drafts the caller has in all.
    total_count: u64,
}

/// `POST .../drafts`'s body (it may be empty): which page.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftsBody {
    #[schema(minimum = 1, maximum = 100)]
    page_size: Option<i64>,
    #[schema(minimum = 0)]
    page_offset: Option<i64>,
}

/// Most drafts a page of `/drafts` holds: a draft may hold 64 Ki characters, so a page
/// stays under about 7 MB.
pub const MAX_DRAFTS_PAGE: i64 = 100;

/// `POST .../drafts`: a page of the caller's drafts, newest first, with their count.
///
/// # Errors
/// 400 (paging out of range), 403 for viewers.
pub async fn list<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    ApiJson(body): ApiJson<DraftsBody>,
) -> Result<HttpResponse, ApiError> {
    let page = super::paging::page_up_to(body.page_size, body.page_offset, MAX_DRAFTS_PAGE)?;
    let svc = service.into_inner();
    let drafts = blocking(move || svc.drafts(&caller.0, page)).await?;
    Ok(HttpResponse::Ok().json(DraftsResponse {
        total_count: drafts.total,
        entries: drafts
            .rows
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

/// `DELETE .../draft/{draft_id}`: 204; the caller's draft is discarded (nothing is
/// published).
///
/// # Errors
/// 403 for viewers, 404 for a draft that is not the caller's.
pub async fn discard<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let svc = service.into_inner();
    blocking(move || svc.discard_draft(&caller.0, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
