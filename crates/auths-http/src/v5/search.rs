//! `POST /api/v5/artifacts/auths/search`.

use actix_web::{HttpResponse, web};
use auths_app::{AppError, AuthService, SearchRequest};
use auths_domain::{EntryId, EntryRef, Store};
use serde::{Deserialize, Serialize};

use super::paging::page;
use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::json::ApiJson;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    #[schema(max_length = 1000)]
    search: Option<String>,
    #[schema(max_items = 200)]
    filter_department_ids: Option<Vec<String>>,
    #[schema(max_length = 255)]
    department_search: Option<String>,
    #[schema(minimum = 1, maximum = 500)]
    page_size: Option<i64>,
    #[schema(minimum = 0)]
    page_offset: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchRow {
    auth_id: String,
    id: i64,
    #[schema(value_type = crate::v5::schemas::EntryRefSchema)]
    name: EntryRef,
    #[schema(value_type = Option<crate::v5::schemas::EntryRefSchema>)]
    description: Option<EntryRef>,
    #[schema(value_type = crate::v5::schemas::EntryRefSchema)]
    flag: EntryRef,
    #[schema(value_type = Vec<crate::v5::schemas::EntryRefSchema>)]
    protocols: Vec<EntryRef>,
    #[schema(value_type = Vec<crate::v5::schemas::EntryRefSchema>)]
    slugs: Vec<EntryRef>,
    #[schema(value_type = Vec<crate::v5::schemas::EntryRefSchema>)]
    departments: Vec<EntryRef>,
    version: i64,
    updated_at: String,
    can_edit: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FacetOptionOut {
    id: String,
    name: String,
    count: u64,
    selected: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DepartmentFilter {
    options: Vec<FacetOptionOut>,
    search: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResponse {
    actor_name: String,
    auths: Vec<SearchRow>,
    department_filter: DepartmentFilter,
    total_count: u64,
}

/// The longest search text accepted.
const MAX_SEARCH_CHARS: usize = 1000;

/// The handler.
///
/// # Errors
/// 400 (paging, over-long search or department search), 403, 422 (a malformed department id).
pub async fn search<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    ApiJson(body): ApiJson<SearchBody>,
) -> Result<HttpResponse, ApiError> {
    let page = page(body.page_size, body.page_offset)?;
    if body
        .search
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_SEARCH_CHARS)
    {
        return Err(ApiError::bad_request(format!(
            "search is longer than {MAX_SEARCH_CHARS} characters"
        )));
    }
    // A department's label is at most this long: a longer needle finds nothing, and
    // the answer echoes it.
    let most = auths_domain::values::MAX_LABEL_CHARS;
    if body
        .department_search
        .as_ref()
        .is_some_and(|s| s.chars().count() > most)
    {
        return Err(ApiError::bad_request(format!(
            "department_search is longer than {most} characters"
        )));
    }
    // Every list of ids a request sends holds at most 200 (server spec, "Bounds").
    let most_ids = auths_domain::auth::MAX_SECTION_ENTRIES;
    if body
        .filter_department_ids
        .as_ref()
        .is_some_and(|ids| ids.len() > most_ids)
    {
        return Err(ApiError::bad_request(format!(
            "filter_department_ids lists more than {most_ids} departments"
        )));
    }
    let departments = body
        .filter_department_ids
        .map(|ids| {
            ids.iter()
                .map(|i| {
                    EntryId::parse(i)
                        .map_err(|e| AppError::from(e.for_field("filter_department_ids")))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .filter(|ids| !ids.is_empty());
    let request = SearchRequest {
        text: body.search,
        departments,
        department_search: body.department_search.clone(),
        page,
    };
    let caller = caller.0;
    let actor_name = caller.principal.name.clone();
    let svc = service.into_inner();
    let found = blocking(move || svc.search(&caller, &request)).await?;
    Ok(HttpResponse::Ok().json(SearchResponse {
        actor_name,
        auths: found
            .auths
            .into_iter()
            .map(|v| {
                let a = &*v.auth;
                SearchRow {
                    auth_id: a.auth_id.to_string(),
                    id: a.number,
                    name: a.name.clone(),
                    description: a.description.clone(),
                    flag: a.flag.clone(),
                    protocols: a.protocols.clone(),
                    slugs: a.slugs.clone(),
                    departments: a.departments.clone(),
                    version: a.version,
                    updated_at: a.updated_at.to_rfc3339(),
                    can_edit: v.can_edit,
                }
            })
            .collect(),
        department_filter: DepartmentFilter {
            options: found
                .departments
                .into_iter()
                .map(|o| FacetOptionOut {
                    id: o.department.id.to_string(),
                    name: o.department.label,
                    count: o.count,
                    selected: o.selected,
                })
                .collect(),
            search: body.department_search,
        },
        total_count: found.total,
    }))
}
