//! `GET /apidoc/v2.json`: the apipie document of the Foreman-compatible routes, which
//! apypie (and hammer) read to learn the resources, their routes and parameters. No
//! credentials needed. `Apipie-Checksum` on every Foreman answer lets clients notice a
//! new document.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn param(
    name: &str,
    full_name: &str,
    description: &str,
    required: bool,
    expected_type: &str,
    validator: &str,
) -> Value {
    json!({
        "name": name, "full_name": full_name, "description": description, "required": required,
        "allow_nil": false, "validator": validator, "expected_type": expected_type, "metadata": null,
        "show": true, "validations": [],
    })
}

fn taxonomy_params() -> Vec<Value> {
    vec![
        param(
            "location_id",
            "location_id",
            "Scope by locations",
            false,
            "numeric",
            "Must be a Integer",
        ),
        param(
            "organization_id",
            "organization_id",
            "Scope by organizations",
            false,
            "numeric",
            "Must be a Integer",
        ),
    ]
}

fn index_params() -> Vec<Value> {
    let mut p = taxonomy_params();
    p.push(param(
        "search",
        "search",
        "filter results",
        false,
        "string",
        "Must be a String",
    ));
    p.push(param(
        "order",
        "order",
        "Sort and order by a searchable field, e.g. 'id DESC'",
        false,
        "string",
        "Must be a String",
    ));
    p.push(param(
        "page",
        "page",
        "Page number, starting at 1",
        false,
        "numeric",
        "Must be a number.",
    ));
    p.push(param(
        "per_page",
        "per_page",
        "Number of results per page to return, 'all' to return all results",
        false,
        "string",
        "Must match regular expression /\\A([1-9]\\d*|all)\\Z$/.",
    ));
    p
}

fn api(url: &str, method: &str, description: &str) -> Value {
    json!({"api_url": url, "http_method": method, "short_description": description, "deprecated": null})
}

fn method(name: &str, apis: Vec<Value>, params: Vec<Value>, description: &str) -> Value {
    json!({
        "doc_url": format!("../apidoc/v2/{name}"), "name": name, "apis": apis, "formats": ["json"],
        "full_description": description, "errors": [], "params": params, "returns": [], "metadata": null,
        "examples": [], "deprecated": null, "see": [], "headers": [], "show": true,
    })
}

fn document() -> Value {
    let externals = json!({
        "doc_url": "../apidoc/v2/auth_source_externals", "id": "auth_source_externals", "api_url": "/api",
        "name": "Auth source externals", "short_description": "External authentication sources", "full_description": "",
        "formats": ["json"], "metadata": {}, "deprecated": false, "headers": [],
        "methods": [
            method("index", vec![
                api("/api/auth_source_externals", "GET", "List external authentication sources"),
                api("/api/locations/:location_id/auth_source_externals", "GET", "List external authentication sources per location"),
                api("/api/organizations/:organization_id/auth_source_externals", "GET", "List external authentication sources per organization"),
            ], index_params(), "List external authentication sources"),
            method("show", vec![api("/api/auth_source_externals/:id", "GET", "Show an external authentication source")], {
                let mut p = taxonomy_params();
                p.push(param("id", "id", "", true, "string", "Must be an identifier, string from 1 to 128 characters containing only alphanumeric characters, space, underscore(_), hypen(-) with no leading or trailing space."));
                p
            }, "Show an external authentication source"),
            method("update", vec![api("/api/auth_source_externals/:id", "PUT", "Update an external authentication source")], {
                let mut p = taxonomy_params();
                p.push(param("id", "id", "", true, "string", "Must be an identifier, string from 1 to 128 characters containing only alphanumeric characters, space, underscore(_), hypen(-) with no leading or trailing space."));
                let mut hash = param("auth_source_external", "auth_source_external", "", true, "hash", "Must be a Hash");
                hash["params"] = json!([
                    param("name", "auth_source_external[name]", "", false, "string", "Must be a String"),
                    {
                        "name": "location_ids", "full_name": "auth_source_external[location_ids]", "description": "REPLACE locations with given ids",
                        "required": false, "allow_nil": true, "validator": "Must be an array of any type", "expected_type": "array",
                        "metadata": null, "show": true, "validations": [],
                    },
                    {
                        "name": "organization_ids", "full_name": "auth_source_external[organization_ids]", "description": "REPLACE organizations with given ids.",
                        "required": false, "allow_nil": true, "validator": "Must be an array of any type", "expected_type": "array",
                        "metadata": null, "show": true, "validations": [],
                    },
                ]);
                p.push(hash);
                p
            }, "Update an external authentication source"),
        ],
    });
    let taxonomy = |plural: &str, singular: &str, title: &str| {
        let mut hash = param(singular, singular, "", true, "hash", "Must be a Hash");
        hash["params"] = json!([param(
            "name",
            &format!("{singular}[name]"),
            "",
            true,
            "string",
            "Must be a String"
        )]);
        json!({
            "doc_url": format!("../apidoc/v2/{plural}"), "id": plural, "api_url": "/api", "name": title,
            "short_description": title, "full_description": "", "formats": ["json"], "metadata": {}, "deprecated": false, "headers": [],
            "methods": [
                method("index", vec![api(&format!("/api/{plural}"), "GET", &format!("List {plural}"))], vec![
                    param("search", "search", "filter results (fields: name, title, id)", false, "string", "Must be a String"),
                    param("order", "order", "Sort and order by a searchable field, e.g. 'title DESC'", false, "string", "Must be a String"),
                    param("page", "page", "Page number, starting at 1", false, "numeric", "Must be a number."),
                    param("per_page", "per_page", "Number of results per page to return, 'all' to return all results", false, "string", "Must be a String"),
                ], &format!("List {plural}")),
                method("show", vec![api(&format!("/api/{plural}/:id"), "GET", &format!("Show a {singular}"))], vec![
                    param("id", "id", "", true, "numeric", "Must be a Integer"),
                ], &format!("Show a {singular}")),
                method("create", vec![api(&format!("/api/{plural}"), "POST", &format!("Create a {singular}"))], vec![hash], &format!("Create a {singular}")),
                method("update", vec![api(&format!("/api/{plural}/:id"), "PUT", &format!("Update a {singular}"))], vec![
                    param("id", "id", "", true, "numeric", "Must be a Integer"),
                    {
                        let mut h = param(singular, singular, "", true, "hash", "Must be a Hash");
                        h["params"] = json!([
                            param("name", &format!("{singular}[name]"), "", false, "string", "Must be a String"),
                            param("description", &format!("{singular}[description]"), "Accepted and not kept", false, "string", "Must be a String"),
                        ]);
                        h
                    },
                ], &format!("Update a {singular}")),
                method("destroy", vec![api(&format!("/api/{plural}/:id"), "DELETE", &format!("Delete a {singular}"))], vec![
                    param("id", "id", "", true, "numeric", "Must be a Integer"),
                ], &format!("Delete a {singular}")),
            ],
        })
    };
    json!({"docs": {
        "name": "auths (Foreman-compatible)",
        "info": "The Foreman API v2 subset served by auths: external authentication sources and their taxonomies.",
        "copyright": "", "doc_url": "../apidoc/v2", "api_url": "/api",
        "resources": {
            "auth_source_externals": externals,
            "locations": taxonomy("locations", "location", "Locations"),
            "organizations": taxonomy("organizations", "organization", "Organizations"),
            "home": {
                "doc_url": "../apidoc/v2/home", "id": "home", "api_url": "/api", "name": "Home", "short_description": "",
                "full_description": "", "formats": ["json"], "metadata": {}, "deprecated": false, "headers": [],
                "methods": [method("status", vec![api("/api/status", "GET", "Show status")], vec![], "Show status")],
            },
        },
        "link_extension": ".json",
    }})
}

fn built() -> &'static (String, String) {
    static DOC: OnceLock<(String, String)> = OnceLock::new();
    DOC.get_or_init(|| {
        let body = document().to_string();
        let sum: String = Sha256::digest(body.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        (body, sum)
    })
}

/// The document's checksum (the `Apipie-Checksum` header).
pub fn checksum() -> &'static str {
    &built().1
}

/// `GET /apidoc/v2.json`.
pub async fn apidoc() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Apipie-Checksum", checksum()))
        .body(built().0.clone())
}
