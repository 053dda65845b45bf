//! The registry of v5 endpoints: what routes requests ([`mount`]) and what documents
//! them (`/docs`, the OpenAPI document) is this one list, so that no route exists
//! without its documentation.

use actix_web::http::Method;
use actix_web::{Route, web};
use auths_domain::{Operation, Store};

use crate::fallback::method_not_allowed;

/// One endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The operation (and so the permission) it performs.
    pub operation: Operation,
    /// HTTP method.
    pub method: Method,
    /// Path under `/api`.
    pub path: &'static str,
    /// One line for the docs.
    pub summary: &'static str,
    /// The request body's schema, if it takes one.
    pub request: Option<&'static str>,
    /// The success answer's schema (`None`: not JSON, or no body).
    pub response: Option<&'static str>,
    /// Query parameters.
    pub query: &'static [&'static str],
    /// Builds its route.
    pub route: fn() -> Route,
}

macro_rules! endpoint {
    ($op:ident, $method:ident, $path:literal, $summary:literal, $req:expr, $res:expr, $query:expr, $handler:expr) => {
        Endpoint {
            operation: Operation::$op,
            method: Method::$method,
            path: $path,
            summary: $summary,
            request: $req,
            response: $res,
            query: $query,
            route: || web::method(Method::$method).to($handler),
        }
    };
}

/// Every v5 endpoint, in the order the docs list them.
#[rustfmt::skip]
pub fn endpoints<S: Store>() -> Vec<Endpoint> {
    use super::{audit, catalog, create, delete, drafts, duplicate, export, get, history, keys, refresh, search, update};
    vec![
        endpoint!(Get, POST, "/v5/artifacts/auths/get", "The form view of an auth, a draft, or a blank new auth",
            Some("GetRequest"), Some("FormResponse"), &[], get::get::<S>),
        endpoint!(Get, POST, "/v5/artifacts/auths/history", "An auth's versions, newest first, each with what it changed",
            Some("HistoryRequest"), Some("HistoryResponse"), &[], history::history::<S>),
        endpoint!(Get, POST, "/v5/artifacts/auths/diff", "What changed between two versions of an auth",
            Some("DiffRequest"), Some("DiffResponse"), &[], history::diff::<S>),
        endpoint!(Search, POST, "/v5/artifacts/auths/search", "Search auths, with the department facet",
            Some("SearchBody"), Some("SearchResponse"), &[], search::search::<S>),
        endpoint!(Create, POST, "/v5/artifacts/auths/create", "Create auths (or publish drafts of new auths), one result per item",
            Some("CreateRequest"), Some("BulkResponse"), &[], create::create::<S>),
        endpoint!(Update, POST, "/v5/artifacts/auths/update", "Update auths (or publish drafts of them), one result per item",
            Some("UpdateRequest"), Some("BulkResponse"), &[], update::update::<S>),
        endpoint!(Duplicate, POST, "/v5/artifacts/auths/duplicate", "Copy an auth: same sections but slugs, same group, a '(copy)' name",
            Some("DuplicateRequest"), Some("DuplicateResponse"), &[], duplicate::duplicate::<S>),
        endpoint!(Delete, POST, "/v5/artifacts/auths/delete", "Delete auths, one result per item",
            Some("DeleteRequest"), Some("DeleteResponse"), &[], delete::delete::<S>),
        endpoint!(EditDraft, PATCH, "/v5/artifacts/auths/draft", "Start or edit a draft, with optimistic concurrency",
            Some("PatchDraftBody"), Some("PatchDraftResponse"), &[], drafts::patch::<S>),
        endpoint!(EditDraft, DELETE, "/v5/artifacts/auths/draft/{draft_id}", "Discard one of the caller's drafts (nothing is published)",
            None, None, &[], drafts::discard::<S>),
        endpoint!(ListDrafts, POST, "/v5/artifacts/auths/drafts", "A page of the caller's drafts, newest first, with their count",
            Some("DraftsBody"), Some("DraftsResponse"), &[], drafts::list::<S>),
        endpoint!(Docs, POST, "/v5/artifacts/auths/docs", "This documentation, with what the caller may call",
            Some("DocsBody"), Some("DocsResponse"), &[], super::docs::docs::<S>),
        endpoint!(Export, POST, "/v5/artifacts/auths/export", "Export auths as CSV to a file for download",
            Some("ExportBody"), Some("ExportResponse"), &[], export::export::<S>),
        endpoint!(Refresh, POST, "/v5/artifacts/auths/refresh", "Rebuild derived views and drop caches",
            None, Some("RefreshResponse"), &[], refresh::refresh::<S>),
        endpoint!(CatalogRead, GET, "/v5/catalog/{kind}", "List a catalog's entries, by label",
            None, Some("CatalogList"), &["search", "page_size", "page_offset"], catalog::list::<S>),
        endpoint!(CatalogWrite, POST, "/v5/catalog/{kind}", "Add a catalog entry",
            Some("EntryBody"), Some("EntryOut"), &[], catalog::create::<S>),
        endpoint!(CatalogWrite, PATCH, "/v5/catalog/{kind}/{id}", "Rename a catalog entry",
            Some("EntryBody"), Some("EntryOut"), &[], catalog::update::<S>),
        endpoint!(CatalogDelete, DELETE, "/v5/catalog/{kind}/{id}", "Delete an unused catalog entry",
            None, None, &[], catalog::delete::<S>),
        endpoint!(Export, GET, "/v5/uploads/{upload_id}", "Download an export file",
            None, None, &[], export::download::<S>),
        endpoint!(AuditRead, GET, "/v5/audit", "The audit log, newest first",
            None, Some("AuditResponse"), &["auth_id", "page_size", "page_offset"], audit::list::<S>),
        endpoint!(ManageKeys, GET, "/v5/keys", "Every API key, revoked and expired ones included (never the keys)",
            None, Some("KeysResponse"), &["page_size", "page_offset"], keys::list::<S>),
        endpoint!(ManageKeys, POST, "/v5/keys", "Issue an API key; the answer shows it this once",
            Some("KeyBody"), Some("CreatedKey"), &[], keys::create::<S>),
        endpoint!(ManageKeys, DELETE, "/v5/keys/{name}", "Revoke an API key, at once on every instance",
            None, None, &[], keys::revoke::<S>),
    ]
}

/// Mounts every endpoint (inside the `/api/v5` scope): one resource a path, its
/// methods, and a JSON 405 for others.
pub fn mount<S: Store>(cfg: &mut web::ServiceConfig) {
    let all = endpoints::<S>();
    let mut paths: Vec<&'static str> = all.iter().map(|e| e.path).collect();
    paths.dedup();
    for path in paths {
        let mut resource = web::resource(path.trim_start_matches("/v5"));
        let mut methods = Vec::new();
        for e in all.iter().filter(|e| e.path == path) {
            resource = resource.route((e.route)());
            methods.push(e.method.clone());
        }
        cfg.service(resource.default_service(method_not_allowed(&methods)));
    }
}
