//! `POST /api/v5/artifacts/auths/get`: the form view of one auth, or a blank form.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use auths_app::{AppError, AuthService, DraftView};
use auths_domain::{Auth, AuthId, CatalogEntry, DraftId, EntryRef, Section, Store};
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
    /// With `auth_id`: that version, as it was (not editable).
    version: Option<i64>,
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

/// What a form says of its record, besides the sections.
struct Head {
    auth_exists: bool,
    auth_id: Option<String>,
    version: Option<i64>,
    can_edit: bool,
    disabled_reason: Option<String>,
    draft_id: Option<String>,
    draft_version: Option<i64>,
    group_id: Option<String>,
    updated_at: Option<String>,
}

/// What the form shows in each section, by section (items apart).
#[derive(Default)]
struct Sections {
    values: BTreeMap<Section, Vec<ValueRef>>,
    items: Vec<ItemView>,
}

/// The small catalogs' options, and who asks.
struct Shared {
    actor_name: String,
    show_ai: bool,
    flags: Vec<EntryRef>,
    protocols: Vec<EntryRef>,
}

impl FormResponse {
    fn new(
        head: Head,
        mut sections: Sections,
        shared: Shared,
        form_state: Option<super::drafts::FormStateOut>,
    ) -> Self {
        let mut take = |s: Section| sections.values.remove(&s).unwrap_or_default();
        let one = |values: Vec<ValueRef>, options| OneSection {
            value: values.into_iter().next(),
            options,
        };
        let many = |values, options| ManySection { values, options };
        Self {
            actor_name: shared.actor_name,
            auth_exists: head.auth_exists,
            auth_id: head.auth_id,
            version: head.version,
            can_edit: head.can_edit,
            disabled_reason: head.disabled_reason,
            draft_id: head.draft_id,
            draft_version: head.draft_version,
            group_id: head.group_id,
            basic_show_ai_generate: shared.show_ai,
            updated_at: head.updated_at,
            names: one(take(Section::Name), None),
            descriptions: one(take(Section::Description), None),
            flags: one(take(Section::Flag), Some(shared.flags)),
            protocols: many(take(Section::Protocols), Some(shared.protocols)),
            slugs: many(take(Section::Slugs), None),
            items: ItemSection {
                values: sections.items,
            },
            departments: many(take(Section::Departments), None),
            locations: many(take(Section::Locations), None),
            form_state,
        }
    }
}

/// The sections of a published auth (its values moved, not copied: this is the path
/// of every `/get`).
fn auth_sections(a: Auth) -> Sections {
    let many = |refs: Vec<EntryRef>| refs.into_iter().map(ValueRef::from).collect();
    let values = BTreeMap::from([
        (Section::Name, vec![ValueRef::from(a.name)]),
        (
            Section::Description,
            a.description.into_iter().map(ValueRef::from).collect(),
        ),
        (Section::Flag, vec![ValueRef::from(a.flag)]),
        (Section::Protocols, many(a.protocols)),
        (Section::Slugs, many(a.slugs)),
        (Section::Departments, many(a.departments)),
        (Section::Locations, many(a.locations)),
    ]);
    Sections {
        values,
        items: a.items,
    }
}

/// The sections of a draft: ids resolved through the entries they name (an id that
/// names nothing shows as its own label; an item that names nothing is left out),
/// text as text.
fn draft_sections(view: &DraftView) -> Sections {
    let v = &view.draft.values;
    let by_id = |id: &str| view.entries.iter().find(|e| e.id.as_str() == id);
    let values = Section::ALL
        .into_iter()
        .filter(|s| *s != Section::Items)
        .map(|s| {
            let text = s
                .text_field()
                .and_then(|f| v.field(f))
                .and_then(|f| f.ok().cloned().flatten());
            let values = match text {
                Some(t) => vec![ValueRef { id: None, label: t }],
                None => v
                    .ids(s)
                    .into_iter()
                    .map(|i| ValueRef {
                        id: Some(i.to_owned()),
                        label: by_id(i).map_or_else(|| i.to_owned(), |e| e.label.clone()),
                    })
                    .collect(),
            };
            (s, values)
        })
        .collect();
    let items = v
        .item_ids
        .iter()
        .filter_map(|i| by_id(i))
        .map(CatalogEntry::to_item)
        .collect();
    Sections { values, items }
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
    // A version is of an auth: never silently ignored.
    if body.version.is_some() && draft_id.is_some() {
        return Err(AppError::invalid(
            "version",
            auths_domain::Rule::EitherOr {
                one: "version".into(),
                other: "draft_id".into(),
            },
        )
        .into());
    }
    if body.version.is_some() && auth_id.is_none() {
        return Err(AppError::invalid(
            "auth_id",
            auths_domain::Rule::Required {
                what: auths_domain::Required::Field,
            },
        )
        .into());
    }
    if let (Some(id), Some(version)) = (auth_id.clone(), body.version) {
        let (form, (view, kept, current)) = blocking(move || {
            // (The current version, asked as a version, is the ordinary view.)
            let form = svc.form(&caller, None)?;
            Ok((form, svc.version_view(&caller, &id, version)?))
        })
        .await?;
        let shared = Shared {
            actor_name,
            show_ai,
            flags: form.flag_options,
            protocols: form.protocol_options,
        };
        return Ok(HttpResponse::Ok().json(FormResponse::new(
            Head {
                auth_exists: true,
                auth_id: Some(view.auth.auth_id.to_string()),
                version: Some(kept.version),
                can_edit: view.can_edit,
                disabled_reason: if current {
                    view.disabled_reason.map(|d| d.to_string())
                } else {
                    Some("an earlier version".to_owned())
                },
                draft_id: None,
                draft_version: None,
                group_id: Some(view.auth.group_id.to_string()),
                updated_at: Some(kept.at.to_rfc3339()),
            },
            auth_sections(view.auth),
            shared,
            None,
        )));
    }
    // An auth's form is answered here when the store can answer without waiting
    // (SQLite: one statement in process and the index); otherwise, and for drafts, on
    // the blocking pool.
    let now = match (&auth_id, &draft_id) {
        (Some(id), None) => svc.form_now(&caller, id),
        _ => None,
    };
    let (form, draft) = match now {
        Some(form) => (form?, None),
        None => {
            blocking(move || {
                let form = svc.form(&caller, auth_id.as_ref())?;
                let draft = draft_id.map(|d| svc.draft(&caller, &d)).transpose()?;
                Ok((form, draft))
            })
            .await?
        }
    };
    let shared = Shared {
        actor_name,
        show_ai,
        flags: form.flag_options,
        protocols: form.protocol_options,
    };
    let response = match (draft, form.auth) {
        (Some(view), _) => FormResponse::new(
            Head {
                auth_exists: view.draft.auth_id.is_some(),
                auth_id: view.draft.auth_id.as_ref().map(ToString::to_string),
                version: view.draft.base_version,
                can_edit: true,
                disabled_reason: None,
                draft_id: Some(view.draft.draft_id.to_string()),
                draft_version: Some(view.draft.version),
                group_id: None,
                updated_at: Some(view.draft.updated_at.to_rfc3339()),
            },
            draft_sections(&view),
            shared,
            Some(view.form.into()),
        ),
        (None, Some(view)) => FormResponse::new(
            Head {
                auth_exists: true,
                auth_id: Some(view.auth.auth_id.to_string()),
                version: Some(view.auth.version),
                can_edit: view.can_edit,
                disabled_reason: view.disabled_reason.map(|d| d.to_string()),
                draft_id: None,
                draft_version: form.draft_version,
                group_id: Some(view.auth.group_id.to_string()),
                updated_at: Some(view.auth.updated_at.to_rfc3339()),
            },
            auth_sections(view.auth),
            shared,
            None,
        ),
        (None, None) => FormResponse::new(
            Head {
                auth_exists: false,
                auth_id: None,
                version: None,
                can_edit: form.can_create.is_ok(),
                disabled_reason: form.can_create.err().map(|d| d.to_string()),
                draft_id: None,
                draft_version: None,
                group_id: None,
                updated_at: None,
            },
            Sections::default(),
            shared,
            None,
        ),
    };
    Ok(HttpResponse::Ok().json(response))
}
