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
    p.push(thin());
    p
}

/// `thin`, which clients send to ask for ids and names only; auths answers the same
/// records either way (they are small).
fn thin() -> Value {
    param(
        "thin",
        "thin",
        "Only list ids and names (accepted; answers are the same)",
        false,
        "boolean",
        "Must be one of: true, false, 1, 0.",
    )
}

/// An optional parameter of a record's hash: `kind` one of string, numeric, boolean,
/// array.
fn field(hash: &str, name: &str, kind: &str, required: bool, description: &str) -> Value {
    let validator = match kind {
        "numeric" => "Must be a Integer",
        "boolean" => "Must be one of: true, false, 1, 0.",
        "array" => "Must be an array of any type",
        _ => "Must be a String",
    };
    let mut p = param(
        name,
        &format!("{hash}[{name}]"),
        description,
        required,
        kind,
        validator,
    );
    p["allow_nil"] = json!(!required);
    p
}

fn id_param() -> Value {
    param("id", "id", "", true, "string", "Must be an identifier")
}

/// `auth_source_ldaps`: index, show, create, update, destroy, test.
fn ldaps() -> Value {
    let hash = |required: bool| {
        let mut h = param(
            "auth_source_ldap",
            "auth_source_ldap",
            "",
            true,
            "hash",
            "Must be a Hash",
        );
        let f = |n: &str, k: &str, d: &str| field("auth_source_ldap", n, k, false, d);
        h["params"] = Value::Array(vec![
            field("auth_source_ldap", "name", "string", required, ""),
            field("auth_source_ldap", "host", "string", required, ""),
            f("port", "numeric", "defaults to 389 (636 with tls)"),
            f("account", "string", ""),
            f("base_dn", "string", ""),
            f(
                "account_password",
                "string",
                "required if onthefly_register is true; never shown; blank keeps the stored one",
            ),
            f(
                "attr_login",
                "string",
                "required if onthefly_register is true",
            ),
            f(
                "attr_firstname",
                "string",
                "required if onthefly_register is true",
            ),
            f(
                "attr_lastname",
                "string",
                "required if onthefly_register is true",
            ),
            f(
                "attr_mail",
                "string",
                "required if onthefly_register is true",
            ),
            f("attr_photo", "string", ""),
            f("onthefly_register", "boolean", ""),
            f(
                "usergroup_sync",
                "boolean",
                "sync external user groups on login",
            ),
            f("tls", "boolean", ""),
            f("groups_base", "string", "groups base DN"),
            {
                let mut p = f("server_type", "string", "type of the LDAP server");
                p["validator"] = json!("Must be one of: free_ipa, active_directory, posix.");
                p
            },
            f("ldap_filter", "string", "LDAP filter"),
            f(
                "use_netgroups",
                "boolean",
                "use NIS netgroups instead of posix groups, applicable only when server_type is posix or free_ipa",
            ),
            f("location_ids", "array", "REPLACE locations with given ids"),
            f(
                "organization_ids",
                "array",
                "REPLACE organizations with given ids.",
            ),
        ]);
        h
    };
    let url = "/api/auth_source_ldaps";
    let mut index = index_params();
    index[2]["description"] =
        json!("filter results (fields: name, host, id, location, organization)");
    json!({
        "doc_url": "../apidoc/v2/auth_source_ldaps", "id": "auth_source_ldaps", "api_url": "/api",
        "name": "Auth source ldaps", "short_description": "LDAP authentication sources", "full_description": "",
        "formats": ["json"], "metadata": {}, "deprecated": false, "headers": [],
        "methods": [
            method("index", vec![
                api(url, "GET", "List all LDAP authentication sources"),
                api("/api/locations/:location_id/auth_source_ldaps", "GET", "List LDAP authentication sources per location"),
                api("/api/organizations/:organization_id/auth_source_ldaps", "GET", "List LDAP authentication sources per organization"),
            ], index, "List all LDAP authentication sources"),
            method("show", vec![api(&format!("{url}/:id"), "GET", "Show an LDAP authentication source")], vec![id_param()], "Show an LDAP authentication source"),
            method("create", vec![api(url, "POST", "Create an LDAP authentication source")], vec![hash(true)], "Create an LDAP authentication source"),
            method("update", vec![api(&format!("{url}/:id"), "PUT", "Update an LDAP authentication source")], vec![id_param(), hash(false)], "Update an LDAP authentication source"),
            method("test", vec![api(&format!("{url}/:id/test"), "PUT", "Test LDAP connection")], vec![id_param()], "Test LDAP connection"),
            method("destroy", vec![api(&format!("{url}/:id"), "DELETE", "Delete an LDAP authentication source")], vec![id_param()], "Delete an LDAP authentication source"),
        ],
    })
}

/// `auth_sources`: every kind, index and show.
fn sources() -> Value {
    json!({
        "doc_url": "../apidoc/v2/auth_sources", "id": "auth_sources", "api_url": "/api",
        "name": "Auth sources", "short_description": "Authentication sources of every kind", "full_description": "",
        "formats": ["json"], "metadata": {}, "deprecated": false, "headers": [],
        "methods": [
            method("index", vec![api("/api/auth_sources", "GET", "List all authentication sources")], index_params(), "List all authentication sources"),
            method("show", vec![api("/api/auth_sources/:id", "GET", "Show an authentication source")], vec![id_param()], "Show an authentication source"),
        ],
    })
}

/// `hosts`, which auths does not serve: declared with an `update` method and no route,
/// because the Ansible collection adjusts that method's parameters on every connect
/// and fails on a document without it. Calling it finds no route (404).
fn hosts() -> Value {
    json!({
        "doc_url": "../apidoc/v2/hosts", "id": "hosts", "api_url": "/api",
        "name": "Hosts", "short_description": "Not served by auths (declared for clients that adjust it on connect)",
        "full_description": "auths keeps authentication sources, not hosts: this resource has no routes.",
        "formats": ["json"], "metadata": {}, "deprecated": false, "headers": [],
        "methods": [method("update", vec![], vec![], "Not served by auths")],
    })
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
        hash["params"] = json!([
            param(
                "name",
                &format!("{singular}[name]"),
                "",
                true,
                "string",
                "Must be a String"
            ),
            field(singular, "description", "string", false, ""),
        ]);
        json!({
            "doc_url": format!("../apidoc/v2/{plural}"), "id": plural, "api_url": "/api", "name": title,
            "short_description": title, "full_description": "", "formats": ["json"], "metadata": {}, "deprecated": false, "headers": [],
            "methods": [
                method("index", vec![api(&format!("/api/{plural}"), "GET", &format!("List {plural}"))], vec![
                    param("search", "search", "filter results (fields: name, title, id)", false, "string", "Must be a String"),
                    param("order", "order", "Sort and order by a searchable field, e.g. 'title DESC'", false, "string", "Must be a String"),
                    param("page", "page", "Page number, starting at 1", false, "numeric", "Must be a number."),
                    param("per_page", "per_page", "Number of results per page to return, 'all' to return all results", false, "string", "Must be a String"),
                    thin(),
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
                            field(singular, "description", "string", false, ""),
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
        "info": "The Foreman API v2 subset served by auths: external and LDAP authentication sources and their taxonomies.",
        "copyright": "", "doc_url": "../apidoc/v2", "api_url": "/api",
        "resources": {
            "auth_source_externals": externals,
            "auth_source_ldaps": ldaps(),
            "auth_sources": sources(),
            "hosts": hosts(),
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
