//! The registry: every endpoint is mounted, behind credentials, documented, and `/docs`
//! says what each caller may call. Refresh rebuilds what an out-of-band change broke.

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use auths_domain::Role;
use auths_http::v5_endpoints;
use auths_store::Db;
use auths_store::testing::TestDb;
use serde_json::{Value, json};

use crate::support::{assert_error, key, post, send, service};

crate::on_both_backends!(
    the_error_matrix_holds_for_every_endpoint,
    every_registered_endpoint_is_mounted_behind_credentials,
    docs_list_the_registry_with_what_the_caller_may_do,
    refresh_rebuilds_the_search_index,
);

fn concrete(path: &str) -> String {
    path.replace("{kind}", "departments")
        .replace("{id}", "x")
        .replace("{upload_id}", "x")
        .replace("{name}", "x")
        .replace("{draft_id}", "x")
}

async fn every_registered_endpoint_is_mounted_behind_credentials(t: TestDb) {
    let (data, _keys) = service(&t);
    let app = crate::app!(data);
    let all = v5_endpoints::<Db>();
    assert_eq!(all.len(), 23);
    for e in &all {
        let uri = format!("/api{}", concrete(e.path));
        let (s, b) = send(
            &app,
            TestRequest::default().method(e.method.clone()).uri(&uri),
        )
        .await;
        assert_error(s, &b, 401, "unauthenticated");
        // A method the path does not take is a JSON 405, not a 404: the path is mounted.
        let others = all
            .iter()
            .filter(|o| o.path == e.path)
            .map(|o| o.method.clone())
            .collect::<Vec<_>>();
        let wrong = [Method::PUT, Method::GET, Method::POST]
            .into_iter()
            .find(|m| !others.contains(m))
            .unwrap();
        let (s, b) = send(
            &app,
            TestRequest::default()
                .method(wrong)
                .uri(&uri)
                .insert_header(("X-Api-Key", _keys.admin.clone())),
        )
        .await;
        assert_error(s, &b, 405, "bad_request");
    }
}

async fn docs_list_the_registry_with_what_the_caller_may_do(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let allowed = |b: &Value, path: &str, method: &str| {
        b["api_operations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["path"] == path && o["method"] == method)
            .unwrap()["allowed"]
            .as_bool()
            .unwrap()
    };
    let (s, v) = send(&app, post("/api/v5/artifacts/auths/docs", &keys.viewer)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["name"].as_str(), v["type"].as_str()),
        (Some("auths"), Some("artifact"))
    );
    let registered: Vec<(String, String)> = v5_endpoints::<Db>()
        .iter()
        .map(|e| (e.method.to_string(), format!("/api{}", e.path)))
        .collect();
    let documented: Vec<(String, String)> = v["api_operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["method"].as_str().unwrap().to_owned(),
                o["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(documented, registered);
    assert_eq!(v["entries"].as_array().unwrap().len(), 7);
    assert_eq!(v["resources"].as_array().unwrap().len(), 8);
    assert!(allowed(&v, "/api/v5/artifacts/auths/search", "POST"));
    assert!(!allowed(&v, "/api/v5/artifacts/auths/create", "POST"));
    assert!(v["page_metadata"].is_null());

    let agent = key(&data, "agent", Role::Editor, &[], false);
    let (_, a) = send(
        &app,
        post("/api/v5/artifacts/auths/docs", &agent).insert_header(("X-MCP", "x")),
    )
    .await;
    assert!(allowed(&a, "/api/v5/artifacts/auths/draft", "PATCH"));
    assert!(!allowed(&a, "/api/v5/artifacts/auths/create", "POST"));
    let (_, admin) = send(&app, post("/api/v5/artifacts/auths/docs", &keys.admin)).await;
    assert!(
        admin["api_operations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["allowed"] == true)
    );

    let (_, r) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin).set_json(
            json!({"auths": [{"name": "Documented", "protocol_ids": ["protocol-ldap"]}]}),
        ),
    )
    .await;
    let id = r["results"][0]["auth_id"].as_str().unwrap();
    let (_, d) = send(
        &app,
        post("/api/v5/artifacts/auths/docs", &keys.viewer).set_json(json!({"entity_id": id})),
    )
    .await;
    assert_eq!(
        (
            d["page_metadata"]["title"].as_str(),
            d["page_metadata"]["version"].as_i64()
        ),
        (Some("Documented"), Some(1))
    );
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/docs", &keys.viewer).set_json(json!({"entity_id": "nope"})),
    )
    .await;
    assert_error(s, &b, 404, "not_found");
}

async fn refresh_rebuilds_the_search_index(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let (_, r) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin)
            .set_json(json!({"auths": [{"name": "Findable", "protocol_ids": ["protocol-ldap"]}]})),
    )
    .await;
    assert_eq!(r["results"][0]["success"], true);
    let found = || {
        send(
            &app,
            post("/api/v5/artifacts/auths/search", &keys.viewer)
                .set_json(json!({"search": "findable"})),
        )
    };
    assert_eq!(found().await.1["total_count"], 1);
    // An out-of-band change (SQL run on the database, not a write of the service)
    // renames the auth: the search index, which follows the service's writes, does not
    // know it, nor do cached answers.
    t.execute("UPDATE catalog_entries SET label = 'Renamed Outside' WHERE label = 'Findable'");
    assert_eq!(found().await.1["total_count"], 1);
    let outside = || {
        send(
            &app,
            post("/api/v5/artifacts/auths/search", &keys.viewer)
                .set_json(json!({"search": "outside"})),
        )
    };
    assert_eq!(outside().await.1["total_count"], 0);

    let editor = key(&data, "ed", Role::Editor, &[], false);
    let (s, b) = send(&app, post("/api/v5/artifacts/auths/refresh", &editor)).await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = send(&app, post("/api/v5/artifacts/auths/refresh", &keys.admin)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b,
        json!({"success": true, "refreshed_views": ["search_index"], "invalidated_tags": ["verified_keys", "search", "external_index", "catalog_options"]})
    );
    // Rebuilt: the index knows the new name, and no longer the old one.
    assert_eq!(outside().await.1["total_count"], 1);
    assert_eq!(found().await.1["total_count"], 0);
}

/// Every `$ref` in `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    out.push(x.as_str().unwrap().to_owned());
                } else {
                    refs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[actix_rt::test]
async fn the_openapi_document_is_public_complete_and_consistent() {
    let t = TestDb::sqlite();
    let (data, _keys) = service(&t);
    let app = crate::app!(data);
    let (s, doc) = send(&app, TestRequest::get().uri("/api/v5/openapi.json")).await;
    assert_eq!(s, StatusCode::OK, "no credentials needed: {doc}");
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for e in v5_endpoints::<Db>() {
        let op = &doc["paths"][format!("/api{}", e.path)][e.method.as_str().to_lowercase()];
        assert_eq!(op["summary"], e.summary, "{} {}", e.method, e.path);
        for code in ["401", "403", "400"] {
            assert_eq!(
                op["responses"][code]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorBody"
            );
        }
    }
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(
        schemes.keys().collect::<Vec<_>>(),
        ["api_key", "basic", "bearer"]
    );
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} does not resolve"
        );
    }
    insta::assert_json_snapshot!("openapi", doc, {".info.version" => "[version]"});
}

async fn the_error_matrix_holds_for_every_endpoint(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let all = v5_endpoints::<Db>();
    for e in all.iter().filter(|e| e.request.is_some()) {
        let uri = format!("/api{}", concrete(e.path));
        let req = TestRequest::default()
            .method(e.method.clone())
            .uri(&uri)
            .insert_header(("X-Api-Key", keys.admin.clone()))
            .insert_header(("content-type", "application/json"));
        let (s, b) = send(&app, req.set_payload("{\"not json")).await;
        assert_error(s, &b, 400, "bad_request");
        let req = TestRequest::default()
            .method(e.method.clone())
            .uri(&uri)
            .insert_header(("X-Api-Key", keys.admin.clone()));
        let (s, b) = send(&app, req.set_json(json!({"surely_unknown_field": 1}))).await;
        assert!(
            matches!(s.as_u16(), 400 | 404),
            "{} {}: {s} {b}",
            e.method,
            e.path
        );
        assert!(
            b["error"]["code"] == "bad_request" || b["error"]["code"] == "not_found",
            "{b}"
        );
    }
    // Viewers are refused every write, the whole request at once.
    for e in all
        .iter()
        .filter(|e| e.operation.required_role() > Role::Viewer)
    {
        let uri = format!("/api{}", concrete(e.path));
        let body = match e.path {
            "/v5/artifacts/auths/create" | "/v5/artifacts/auths/update" => json!({"auths": []}),
            "/v5/artifacts/auths/delete" => json!({"auth_ids": []}),
            "/v5/artifacts/auths/duplicate" => json!({"auth_id": "x"}),
            "/v5/artifacts/auths/draft" => json!({"expected_version": 0}),
            "/v5/catalog/{kind}" | "/v5/catalog/{kind}/{id}" => json!({"label": "x"}),
            "/v5/keys" => json!({"name": "x", "role": "viewer"}),
            _ => json!({}),
        };
        let mut req = TestRequest::default()
            .method(e.method.clone())
            .uri(&uri)
            .insert_header(("X-Api-Key", keys.viewer.clone()));
        if e.request.is_some() {
            req = req.set_json(body);
        }
        let (s, b) = send(&app, req).await;
        // A download too needs the export permission, as the export does.
        assert_error(s, &b, 403, "forbidden");
    }
    // Every bulk endpoint takes at most 1000 items.
    let roomy = crate::roomy_app!(data);
    for (path, body) in [
        (
            "/api/v5/artifacts/auths/create",
            json!({"auths": vec![json!({}); 1001]}),
        ),
        (
            "/api/v5/artifacts/auths/update",
            json!({"auths": vec![json!({"auth_id": "x"}); 1001]}),
        ),
        (
            "/api/v5/artifacts/auths/delete",
            json!({"auth_ids": vec!["x"; 1001]}),
        ),
    ] {
        let (s, b) = send(&roomy, post(path, &keys.admin).set_json(body)).await;
        assert_error(s, &b, 413, "payload_too_large");
    }
}
