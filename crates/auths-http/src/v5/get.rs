//! `POST /api/v5/artifacts/auths/get`: the form view of one auth, or a blank form.

use actix_web::{HttpResponse, web};
use auths_app::{AppError, AuthService, DraftView};
use auths_domain::{AuthId, DraftId, EntryRef, Store};
use serde::{Deserialize, Serialize};

use super::views::{ItemSection, ItemView, ManySection, OneSection, ValueRef};
use crate::auth::ReqCaller;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::json::ApiJson;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetRequest {
    auth_id: Option<String>,
    draft_id: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FormResponse {
    actor_name: String,
    auth_exists: bool,
    auth_id: Option<String>,
    version: Option<i64>,
    can_edit: bool,
    disabled_reason: Option<String>,
    draft_id: Option<String>,
    draft_version: Option<i64>,
    group_id: Option<String>,
    basic_show_ai_generate: bool,
    updated_at: Option<String>,
    names: OneSection,
    descriptions: OneSection,
    flags: OneSection,
    protocols: ManySection,
    slugs: ManySection,
    items: ItemSection,
    departments: ManySection,
    locations: ManySection,
    #[serde(skip_serializing_if = "Option::is_none")]
    form_state: Option<super::drafts::FormStateOut>,
}

fn many(refs: Vec<EntryRef>, options: Option<Vec<EntryRef>>) -> ManySection {
    ManySection {
        values: refs.into_iter().map(ValueRef::from).collect(),
        options,
    }
}

/// The sections of a draft: ids resolved through the entries they name, text as text.
fn draft_form(
    view: DraftView,
    actor_name: String,
    show_ai: bool,
    flags: Vec<EntryRef>,
    protocols: Vec<EntryRef>,
) -> FormResponse {
    let v = &view.draft.values;
    let by_id = |id: &str| view.entries.iter().find(|e| e.id.as_str() == id);
    let one = |text: &Option<String>, id: &Option<String>| -> Option<ValueRef> {
        match (text, id) {
            (Some(t), _) => Some(ValueRef {
                id: None,
                label: t.clone(),
            }),
            (None, Some(i)) => Some(ValueRef {
                id: Some(i.clone()),
                label: by_id(i).map_or_else(|| i.clone(), |e| e.label.clone()),
            }),
            (None, None) => None,
        }
    };
    let list = |ids: &[String]| -> Vec<ValueRef> {
        ids.iter()
            .map(|i| ValueRef {
                id: Some(i.clone()),
                label: by_id(i).map_or_else(|| i.clone(), |e| e.label.clone()),
            })
            .collect()
    };
    let items: Vec<ItemView> = v
        .item_ids
        .iter()
        .filter_map(|i| by_id(i))
        .map(|e| {
            let item = e.item.clone();
            ItemView {
                id: e.id.clone(),
                label: e.label.clone(),
                key: item
                    .as_ref()
                    .map_or_else(|| e.label.clone(), |i| i.key.clone()),
                value: item.as_ref().and_then(|i| i.value.clone()),
                secret: item.is_some_and(|i| i.secret),
            }
        })
        .collect();
    FormResponse {
        actor_name,
        auth_exists: view.draft.auth_id.is_some(),
        auth_id: view.draft.auth_id.as_ref().map(ToString::to_string),
        version: view.draft.base_version,
        can_edit: true,
        disabled_reason: None,
        draft_id: Some(view.draft.draft_id.to_string()),
        draft_version: Some(view.draft.version),
        group_id: None,
        basic_show_ai_generate: show_ai,
        updated_at: Some(view.draft.updated_at.to_rfc3339()),
        names: OneSection {
            value: one(&v.name, &v.name_id),
            options: None,
        },
        descriptions: OneSection {
            value: one(&v.description, &v.description_id),
            options: None,
        },
        flags: OneSection {
            value: one(&None, &v.flag_id),
            options: Some(flags),
        },
        protocols: ManySection {
            values: list(&v.protocol_ids),
            options: Some(protocols),
        },
        slugs: ManySection {
            values: list(&v.slug_ids),
            options: None,
        },
        items: ItemSection { values: items },
        departments: ManySection {
            values: list(&v.department_ids),
            options: None,
        },
        locations: ManySection {
            values: list(&v.location_ids),
            options: None,
        },
        form_state: Some(view.form.into()),
    }
}

/// The handler.
///
/// # Errors
/// 403 without the view permission, 404 for an unknown (or invisible) auth or draft.
pub async fn get<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    ApiJson(body): ApiJson<GetRequest>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller.0;
    let draft_id = match body.draft_id.filter(|d| !d.is_empty()) {
        Some(d) => Some(DraftId::parse(&d).map_err(|_| AppError::draft_not_found(&d))?),
        None => None,
    };
    let auth_id = body
        .auth_id
        .filter(|a| !a.is_empty() && draft_id.is_none())
        .map(|a| AuthId::parse(&a).map_err(|_| AppError::auth_not_found(&a)))
        .transpose()?;
    let svc = service.into_inner();
    let show_ai = svc.settings().show_ai_generate;
    let actor_name = caller.principal.name.clone();
    let (form, draft) = blocking(move || {
        let form = svc.form(&caller, auth_id.as_ref())?;
        let draft = draft_id.map(|d| svc.draft(&caller, &d)).transpose()?;
        Ok((form, draft))
    })
    .await?;
    if let Some(view) = draft {
        return Ok(HttpResponse::Ok().json(draft_form(
            view,
            actor_name,
            show_ai,
            form.flag_options,
            form.protocol_options,
        )));
    }
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
                disabled_reason: view.disabled_reason.map(|d| d.to_string()),
                draft_id: None,
                draft_version: form.draft_version,
                group_id: Some(a.group_id.to_string()),
                basic_show_ai_generate: show_ai,
                updated_at: Some(a.updated_at.to_rfc3339()),
                names: OneSection {
                    value: Some(a.name.into()),
                    options: None,
                },
                descriptions: OneSection {
                    value: a.description.map(ValueRef::from),
                    options: None,
                },
                flags: OneSection {
                    value: Some(a.flag.into()),
                    options: flags,
                },
                protocols: many(a.protocols, protocols),
                slugs: many(a.slugs, None),
                items: ItemSection { values: a.items },
                departments: many(a.departments, None),
                locations: many(a.locations, None),
                form_state: None,
            }
        }
        None => FormResponse {
            actor_name,
            auth_exists: false,
            auth_id: None,
            version: None,
            can_edit: form.can_create.is_ok(),
            disabled_reason: form.can_create.err().map(|d| d.to_string()),
            draft_id: None,
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
            protocols: many(Vec::new(), protocols),
            slugs: many(Vec::new(), None),
            items: ItemSection { values: Vec::new() },
            departments: many(Vec::new(), None),
            locations: many(Vec::new(), None),
            form_state: None,
        },
    };
    Ok(HttpResponse::Ok().json(response))
}
