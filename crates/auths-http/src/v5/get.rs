//! `POST /api/v5/artifacts/auths/get`: the form view of one auth, or a blank form.

use actix_web::{HttpResponse, web};
use auths_app::{AppError, AuthService};
use auths_domain::{AuthId, Store};
use serde::{Deserialize, Serialize};

use super::views::{ItemView, ManySection, OneSection};
use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::json::ApiJson;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetRequest {
    auth_id: Option<String>,
    draft_id: Option<String>,
}

#[derive(Debug, Serialize)]
struct FormResponse {
    actor_name: String,
    auth_exists: bool,
    auth_id: Option<String>,
    version: Option<i64>,
    can_edit: bool,
    disabled_reason: Option<String>,
    draft_version: Option<i64>,
    group_id: Option<String>,
    basic_show_ai_generate: bool,
    updated_at: Option<String>,
    names: OneSection,
    descriptions: OneSection,
    flags: OneSection,
    protocols: ManySection<auths_domain::EntryRef>,
    slugs: ManySection<auths_domain::EntryRef>,
    items: ManySection<ItemView>,
    departments: ManySection<auths_domain::EntryRef>,
    locations: ManySection<auths_domain::EntryRef>,
}

/// The handler.
///
/// # Errors
/// 400 for a malformed id, 403 without the view permission, 404 for an unknown id.
pub async fn get<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    ApiJson(body): ApiJson<GetRequest>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller.0;
    if let Some(draft_id) = body.draft_id.filter(|d| !d.is_empty()) {
        // No draft exists until the draft endpoints are mounted.
        return Err(AppError::NotFound(format!("draft {draft_id} not found")).into());
    }
    let auth_id = body
        .auth_id
        .map(|a| AuthId::parse(&a).map_err(|_| AppError::NotFound(format!("auth {a} not found"))))
        .transpose()?;
    let svc = service.into_inner();
    let show_ai = svc.settings().show_ai_generate;
    let actor_name = caller.principal.name.clone();
    let form = blocking(move || svc.form(&caller, auth_id.as_ref())).await?;

    let flags = Some(form.flag_options);
    let protocols = Some(form.protocol_options);
    let response = match form.auth {
        Some(view) => {
            let a = view.auth;
            FormResponse {
                actor_name,
                auth_exists: true,
                auth_id: Some(a.auth_id.to_string()),
                version: Some(a.version),
                can_edit: view.can_edit,
                disabled_reason: view.disabled_reason,
                draft_version: None,
                group_id: Some(a.group_id.to_string()),
                basic_show_ai_generate: show_ai,
                updated_at: Some(a.updated_at.to_rfc3339()),
                names: OneSection {
                    value: Some(a.name),
                    options: None,
                },
                descriptions: OneSection {
                    value: a.description,
                    options: None,
                },
                flags: OneSection {
                    value: Some(a.flag),
                    options: flags,
                },
                protocols: ManySection {
                    values: a.protocols,
                    options: protocols,
                },
                slugs: ManySection {
                    values: a.slugs,
                    options: None,
                },
                items: ManySection {
                    values: a.items,
                    options: None,
                },
                departments: ManySection {
                    values: a.departments,
                    options: None,
                },
                locations: ManySection {
                    values: a.locations,
                    options: None,
                },
            }
        }
        None => FormResponse {
            actor_name,
            auth_exists: false,
            auth_id: None,
            version: None,
            can_edit: form.can_create.is_ok(),
            disabled_reason: form.can_create.err(),
            draft_version: None,
            group_id: None,
            basic_show_ai_generate: show_ai,
            updated_at: None,
            names: OneSection {
                value: None,
                options: None,
            },
            descriptions: OneSection {
                value: None,
                options: None,
            },
            flags: OneSection {
                value: None,
                options: flags,
            },
            protocols: ManySection {
                values: Vec::new(),
                options: protocols,
            },
            slugs: ManySection {
                values: Vec::new(),
                options: None,
            },
            items: ManySection {
                values: Vec::new(),
                options: None,
            },
            departments: ManySection {
                values: Vec::new(),
                options: None,
            },
            locations: ManySection {
                values: Vec::new(),
                options: None,
            },
        },
    };
    Ok(HttpResponse::Ok().json(response))
}
