//! The catalog endpoints.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use auths_domain::Role;
use auths_store::testing::TestDb;
use serde_json::json;

use crate::support::{assert_error, key, post, send, service};

crate::on_both_backends!(
    catalogs_are_read_by_viewers_and_written_by_editors,
    deletes_are_for_admins_and_unused_entries,
);

fn get(uri: &str, key: &str) -> TestRequest {
    TestRequest::get()
        .uri(uri)
        .insert_header(("X-Api-Key", key.to_owned()))
}

fn patch(uri: &str, key: &str) -> TestRequest {
    TestRequest::patch()
        .uri(uri)
        .insert_header(("X-Api-Key", key.to_owned()))
}

async fn catalogs_are_read_by_viewers_and_written_by_editors(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let editor = key(&data, "ed", Role::Editor, &[], false);

    let (s, b) = send(
        &app,
        get("/api/v5/catalog/protocols?page_size=3", &keys.viewer),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (
            b["total_count"].as_u64(),
            b["entries"].as_array().unwrap().len()
        ),
        (Some(8), 3)
    );
    assert_eq!(
        b["entries"][0],
        json!({"id": "protocol-external", "label": "external", "seeded": true})
    );

    let (s, b) = send(
        &app,
        post("/api/v5/catalog/departments", &keys.viewer).set_json(json!({"label": "Finance"})),
    )
    .await;
    assert_error(s, &b, 403, "forbidden");

    let (s, fin) = send(
        &app,
        post("/api/v5/catalog/departments", &editor).set_json(json!({"label": " Finance "})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{fin}");
    assert_eq!(fin["label"], "Finance");
    let (s, b) = send(
        &app,
        post("/api/v5/catalog/departments", &editor).set_json(json!({"label": "FINANCE"})),
    )
    .await;
    assert_error(s, &b, 409, "conflict");
    let (s, hr) = send(
        &app,
        post("/api/v5/catalog/departments", &editor).set_json(json!({"label": "HR"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);

    let (_, b) = send(
        &app,
        get("/api/v5/catalog/departments?search=fin", &keys.viewer),
    )
    .await;
    assert_eq!(b["total_count"], 1, "{b}");
    let uri = format!(
        "/api/v5/catalog/departments/{}",
        fin["id"].as_str().unwrap()
    );
    let (s, b) = send(
        &app,
        patch(&uri, &editor).set_json(json!({"label": "Finance & Control"})),
    )
    .await;
    assert_eq!(
        (s, b["label"].as_str()),
        (StatusCode::OK, Some("Finance & Control")),
        "{b}"
    );
    let (s, b) = send(&app, patch(&uri, &editor).set_json(json!({"label": "hr"}))).await;
    assert_error(s, &b, 409, "conflict");
    let _ = hr;

    let (s, b) = send(
        &app,
        post("/api/v5/catalog/slugs", &editor).set_json(json!({"label": "Not A Slug"})),
    )
    .await;
    assert_error(s, &b, 422, "validation_failed");
    assert_eq!(b["error"]["details"][0]["field"], "label");
    let (s, b) = send(
        &app,
        post("/api/v5/catalog/items", &editor).set_json(json!({"label": "x"})),
    )
    .await;
    assert_error(s, &b, 422, "validation_failed");
    let (s, b) = send(
        &app,
        post("/api/v5/catalog/items", &editor)
            .set_json(json!({"key": "bind_password", "value": "hunter2", "secret": true})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(
        (b["key"].as_str(), b["secret"].as_bool()),
        (Some("bind_password"), Some(true))
    );
    assert!(
        b["value"].is_null(),
        "a secret value is never returned: {b}"
    );
    let (_, b) = send(&app, get("/api/v5/catalog/items", &keys.viewer)).await;
    assert!(!b.to_string().contains("hunter2"), "{b}");

    // The form's options show a new protocol at once (the options cache is dropped).
    let (_, form) = send(&app, post("/api/v5/artifacts/auths/get", &editor)).await;
    assert_eq!(form["protocols"]["options"].as_array().unwrap().len(), 8);
    let (s, _) = send(
        &app,
        post("/api/v5/catalog/protocols", &editor).set_json(json!({"label": "tacacs"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, form) = send(&app, post("/api/v5/artifacts/auths/get", &editor)).await;
    assert_eq!(form["protocols"]["options"].as_array().unwrap().len(), 9);

    let (s, b) = send(&app, get("/api/v5/catalog/users", &keys.viewer)).await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = send(
        &app,
        patch("/api/v5/catalog/departments/nope", &editor).set_json(json!({"label": "x"})),
    )
    .await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = send(
        &app,
        patch("/api/v5/catalog/flags/flag-active", &editor).set_json(json!({"label": "on"})),
    )
    .await;
    assert_error(s, &b, 409, "conflict");
    let (s, b) = send(
        &app,
        get("/api/v5/catalog/departments?page_size=0", &keys.viewer),
    )
    .await;
    assert_error(s, &b, 400, "bad_request");
}

async fn deletes_are_for_admins_and_unused_entries(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let editor = key(&data, "ed", Role::Editor, &[], false);
    let (_, used) = send(
        &app,
        post("/api/v5/catalog/locations", &keys.admin).set_json(json!({"label": "Berlin"})),
    )
    .await;
    let (_, unused) = send(
        &app,
        post("/api/v5/catalog/locations", &keys.admin).set_json(json!({"label": "Paris"})),
    )
    .await;
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": [{"name": "A", "protocol_ids": ["protocol-external"], "location_ids": [used["id"]]}]})),
    )
    .await;
    assert_eq!(b["results"][0]["success"], true, "{s} {b}");

    let del = |id: &serde_json::Value, key: &str| {
        TestRequest::delete()
            .uri(&format!(
                "/api/v5/catalog/locations/{}",
                id.as_str().unwrap()
            ))
            .insert_header(("X-Api-Key", key.to_owned()))
    };
    let (s, b) = send(&app, del(&unused["id"], &editor)).await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = send(&app, del(&used["id"], &keys.admin)).await;
    assert_error(s, &b, 409, "conflict");
    let (s, b) = send(&app, del(&unused["id"], &keys.admin)).await;
    assert_eq!((s, b), (StatusCode::NO_CONTENT, serde_json::Value::Null));
    let (s, b) = send(&app, del(&unused["id"], &keys.admin)).await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = send(
        &app,
        TestRequest::delete()
            .uri("/api/v5/catalog/protocols/protocol-ldap")
            .insert_header(("X-Api-Key", keys.admin.clone())),
    )
    .await;
    assert_error(s, &b, 409, "conflict");
    let (_, log) = send(&app, get("/api/v5/audit?page_size=100", &keys.admin)).await;
    let ops: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        ops.iter().filter(|o| **o == "catalog.delete").count(),
        1,
        "{ops:?}"
    );
    assert_eq!(
        ops.iter().filter(|o| **o == "catalog.create").count(),
        2,
        "{ops:?}"
    );
}
