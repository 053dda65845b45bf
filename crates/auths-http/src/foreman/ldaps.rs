//! `/api/auth_source_ldaps` (index, also under a location or an organization; show,
//! create, update, destroy, `PUT :id/test`) and `/api/auth_sources` (index and show of
//! every kind), over the use cases of [`auths_app::LdapChanges`] and the externals'
//! index (foreman-v2 spec, "The clients people run").

use actix_web::{HttpRequest, HttpResponse, web};
use auths_app::{AuthService, LdapChanges, Taxonomy};
use auths_domain::ldap::{LdapPatch, LdapSettings, PARAMS, RawParam, SourceKind};
use auths_domain::{Auth, CatalogEntry, Store};
use serde::Serialize;
use serde_json::Value;

use super::error::{Context, ForemanError};
use super::externals::{index_in, with_current};
use super::params::{self, Query, leading_number};
use super::request::common_changes;
use super::views::{self, Taxonomy as TaxonomyView, time};
use super::{VIEW, run, run_request};
use crate::auth::ReqCaller;

const EDIT: &str = "edit_authenticators";
const CREATE: &str = "create_authenticators";
const DESTROY: &str = "destroy_authenticators";
const RESOURCE: &str = "auth_source_ldap";

/// An LDAP auth source as Foreman's `main` view shows it (keys in its order); the
/// password is never among them.
#[derive(Debug, Serialize)]
pub struct LdapItem {
    id: i64,
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    host: Option<String>,
    port: u16,
    account: Option<String>,
    base_dn: Option<String>,
    ldap_filter: Option<String>,
    attr_login: Option<String>,
    attr_firstname: Option<String>,
    attr_lastname: Option<String>,
    attr_mail: Option<String>,
    attr_photo: Option<String>,
    onthefly_register: bool,
    usergroup_sync: bool,
    tls: bool,
    server_type: String,
    groups_base: Option<String>,
    use_netgroups: bool,
    created_at: String,
    updated_at: String,
}

/// Show, create, update and destroy add the taxonomies and `external_usergroups`.
#[derive(Debug, Serialize)]
pub struct LdapRecord {
    #[serde(flatten)]
    main: LdapItem,
    external_usergroups: Vec<()>,
    locations: Vec<TaxonomyView>,
    organizations: Vec<TaxonomyView>,
}

/// The index item of an LDAP source.
pub fn ldap_item(a: &Auth, _entries: &[CatalogEntry]) -> LdapItem {
    let s = LdapSettings::of(a);
    let text = |k: &str| s.text(k).map(str::to_owned);
    LdapItem {
        id: a.number,
        kind: SourceKind::Ldap.type_name(),
        name: a.name.label.clone(),
        host: text("host"),
        port: s.port(),
        account: text("account"),
        base_dn: text("base_dn"),
        ldap_filter: text("ldap_filter"),
        attr_login: text("attr_login"),
        attr_firstname: text("attr_firstname"),
        attr_lastname: text("attr_lastname"),
        attr_mail: text("attr_mail"),
        attr_photo: text("attr_photo"),
        onthefly_register: s.flag("onthefly_register", false),
        usergroup_sync: s.flag("usergroup_sync", true),
        tls: s.tls,
        server_type: s.server_type().to_owned(),
        groups_base: text("groups_base"),
        use_netgroups: s.flag("use_netgroups", false),
        created_at: time(a.created_at),
        updated_at: time(a.updated_at),
    }
}

fn ldap_record(a: &Auth, entries: &[CatalogEntry]) -> LdapRecord {
    LdapRecord {
        main: ldap_item(a, entries),
        external_usergroups: Vec::new(),
        locations: views::taxonomies(&a.locations, entries),
        organizations: views::taxonomies(&a.departments, entries),
    }
}

/// An auth source of any kind, as `/api/auth_sources` lists it.
#[derive(Debug, Serialize)]
pub struct SourceItem {
    id: i64,
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    created_at: String,
    updated_at: String,
    locations: Vec<TaxonomyView>,
    organizations: Vec<TaxonomyView>,
}

fn source_item(a: &Auth, entries: &[CatalogEntry]) -> SourceItem {
    SourceItem {
        id: a.number,
        kind: SourceKind::of(a).map_or("AuthSource", SourceKind::type_name),
        name: a.name.label.clone(),
        created_at: time(a.created_at),
        updated_at: time(a.updated_at),
        locations: views::taxonomies(&a.locations, entries),
        organizations: views::taxonomies(&a.departments, entries),
    }
}

/// A JSON value as a parameter.
fn raw(v: &Value) -> RawParam {
    match v {
        Value::Null => RawParam::Null,
        Value::Bool(b) => RawParam::Bool(*b),
        Value::String(s) => RawParam::Text(s.clone()),
        Value::Number(n) => n.as_i64().map_or(RawParam::Other, RawParam::Int),
        _ => RawParam::Other,
    }
}

/// The changes a body asks for: the parameters nested in `auth_source_ldap` (an
/// object), or at the top; keys Foreman does not know are ignored. Every parameter of
/// the wrong shape is named at once.
async fn read_changes(
    req: &HttpRequest,
    payload: web::Payload,
    ctx: Context<'_>,
) -> Result<LdapChanges, ForemanError> {
    let value = super::read_json(req, payload, true).await?;
    let params = match value {
        Value::Object(mut m) => match m.remove(RESOURCE) {
            Some(v @ Value::Object(_)) => v,
            _ => Value::Object(m),
        },
        _ => Value::Object(serde_json::Map::new()),
    };
    let mut problems = Vec::new();
    let common = common_changes(params.clone()).unwrap_or_else(|p| {
        problems.extend(p);
        auths_app::ExternalChanges::default()
    });
    let given = PARAMS
        .iter()
        .map(|(k, _)| *k)
        .chain(["tls"])
        .filter_map(|k| params.get(k).map(|v| (k, raw(v))));
    let patch = LdapPatch::parse(given).unwrap_or_else(|e| {
        problems.extend(super::error::worded(&e.problems));
        // Every problem at once: the name's too, which the use case would check next.
        if let Some(Err(e)) = common.name.as_deref().map(auths_domain::AuthName::parse) {
            problems.extend(super::error::worded(&e.problems));
        }
        LdapPatch::default()
    });
    if problems.is_empty() {
        Ok(LdapChanges {
            common,
            params: patch,
        })
    } else {
        Err(ctx.invalid(problems))
    }
}

/// `GET /api/auth_source_ldaps`.
///
/// # Errors
/// Foreman's 400, 403, 404.
pub async fn index<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    q: web::Query<Query>,
) -> Result<HttpResponse, ForemanError> {
    let q = q.into_inner();
    index_in(service, caller, q, None, Some(SourceKind::Ldap), ldap_item).await
}

/// `GET /api/locations/:location_id/auth_source_ldaps`, likewise organizations.
///
/// # Errors
/// As [`index`].
pub async fn index_under<S: Store>(
    t: Taxonomy,
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
    q: web::Query<Query>,
) -> Result<HttpResponse, ForemanError> {
    let path = path.into_inner();
    let q = q.into_inner();
    index_in(
        service,
        caller,
        q,
        Some((t, &path)),
        Some(SourceKind::Ldap),
        ldap_item,
    )
    .await
}

/// `GET /api/auth_sources`: every source, of any kind, with its `type`.
///
/// # Errors
/// As [`index`].
pub async fn index_all<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    q: web::Query<Query>,
) -> Result<HttpResponse, ForemanError> {
    index_in(service, caller, q.into_inner(), None, None, source_item).await
}

async fn show_kind<S: Store, T: Serialize>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    raw: String,
    q: &Query,
    (kind, resource): (Option<SourceKind>, &'static str),
    render: fn(&Auth, &[CatalogEntry]) -> T,
) -> Result<HttpResponse, ForemanError> {
    let number = leading_number(&raw);
    let (location, organization) = params::scope(q, None)?;
    let svc = service.into_inner();
    let view = run(
        move || svc.external(&caller.0, kind, number, location, organization),
        Context::new(VIEW).resource(resource).record(&raw, None),
    )
    .await?;
    Ok(with_current(
        HttpResponse::Ok().json(render(&view.auth, &view.entries)),
        &view.scope,
    ))
}

/// `GET /api/auth_source_ldaps/:id`.
///
/// # Errors
/// Foreman's 403, 404.
pub async fn show<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
    q: web::Query<Query>,
) -> Result<HttpResponse, ForemanError> {
    let kind = (Some(SourceKind::Ldap), RESOURCE);
    show_kind(service, caller, path.into_inner(), &q, kind, ldap_record).await
}

/// `GET /api/auth_sources/:id`.
///
/// # Errors
/// Foreman's 403, 404.
pub async fn show_any<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
    q: web::Query<Query>,
) -> Result<HttpResponse, ForemanError> {
    let kind = (None, "auth_source");
    show_kind(service, caller, path.into_inner(), &q, kind, source_item).await
}

/// `POST /api/auth_source_ldaps`: 201 and the new source.
///
/// # Errors
/// Foreman's 400, 403, 415, 422.
pub async fn create<S: Store>(
    req: HttpRequest,
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    payload: web::Payload,
) -> Result<HttpResponse, ForemanError> {
    let ctx = Context::new(CREATE).resource(RESOURCE);
    let changes = read_changes(&req, payload, ctx).await;
    let svc = service.into_inner();
    let view = run_request(move || svc.create_ldap(&caller.0, changes), ctx).await?;
    Ok(HttpResponse::Created().json(ldap_record(&view.auth, &view.entries)))
}

/// `PUT /api/auth_source_ldaps/:id`: 200 and the source; a body that changes nothing
/// (a repeated password included) writes nothing.
///
/// # Errors
/// Foreman's 400, 403, 404, 415, 422.
pub async fn update<S: Store>(
    req: HttpRequest,
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
    q: web::Query<Query>,
    payload: web::Payload,
) -> Result<HttpResponse, ForemanError> {
    let raw = path.into_inner();
    let number = leading_number(&raw);
    let ctx = Context::new(EDIT).resource(RESOURCE).record(&raw, number);
    let scope = params::scope(&q, None);
    let changes = read_changes(&req, payload, ctx).await;
    let svc = service.into_inner();
    let view = run_request(
        move || svc.update_ldap(&caller.0, number, scope, changes),
        ctx,
    )
    .await?;
    Ok(with_current(
        HttpResponse::Ok().json(ldap_record(&view.auth, &view.entries)),
        &view.scope,
    ))
}

/// `DELETE /api/auth_source_ldaps/:id`: 200 and the source as it was.
///
/// # Errors
/// Foreman's 403, 404.
pub async fn destroy<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
    q: web::Query<Query>,
) -> Result<HttpResponse, ForemanError> {
    let raw = path.into_inner();
    let number = leading_number(&raw);
    let (location, organization) = params::scope(&q, None)?;
    let ctx = Context::new(DESTROY)
        .resource(RESOURCE)
        .record(&raw, number);
    let svc = service.into_inner();
    let view = run(
        move || svc.delete_ldap(&caller.0, number, location, organization),
        ctx,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ldap_record(&view.auth, &view.entries)))
}

/// The answer of a connection test (Foreman's `test` view).
#[derive(Debug, Serialize)]
struct TestAnswer {
    id: i64,
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    success: bool,
    message: String,
}

/// `PUT /api/auth_source_ldaps/:id/test`: connects to the directory for real and
/// answers `{"success", "message"}` (200 either way, as Foreman does).
///
/// # Errors
/// Foreman's 403, 404.
pub async fn test<S: Store>(
    service: web::Data<AuthService<S>>,
    caller: ReqCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ForemanError> {
    let raw = path.into_inner();
    let number = leading_number(&raw);
    let ctx = Context::new(EDIT).resource(RESOURCE).record(&raw, number);
    let svc = service.into_inner();
    let tested = run(move || svc.test_ldap(&caller.0, number), ctx).await?;
    Ok(HttpResponse::Ok().json(TestAnswer {
        id: tested.auth.number,
        kind: SourceKind::Ldap.type_name(),
        name: tested.auth.name.label,
        success: tested.outcome.success,
        message: crate::error::bounded(tested.outcome.message),
    }))
}
