//! The foundation: health, errors for every kind of bad request, create and get.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use auths_store::testing::TestDb;
use serde_json::{Value, json};

use crate::support::{LIMIT, assert_error, post, send, service};

crate::on_both_backends!(
    health_and_readiness,
    unknown_routes_and_methods_answer_json,
    malformed_json_wrong_types_and_unknown_fields_are_400,
    oversize_bodies_and_bulks_are_413,
    non_json_content_type_is_415,
    missing_or_bad_credentials_are_401,
    create_then_get_round_trips,
    create_reports_each_item_alone,
);

async fn health_and_readiness(t: TestDb) {
    let (data, _) = service(&t);
    let app = crate::app!(data);
    let (s, b) = send(&app, TestRequest::get().uri("/healthz")).await;
    assert_eq!((s.as_u16(), b["status"].as_str()), (200, Some("ok")));
    let (s, b) = send(&app, TestRequest::get().uri("/readyz")).await;
    assert_eq!((s.as_u16(), b["status"].as_str()), (200, Some("ready")));
}

async fn unknown_routes_and_methods_answer_json(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let (s, b) = send(&app, post("/api/v5/nothing-here", &keys.admin)).await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = send(&app, TestRequest::get().uri("/nothing")).await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = send(
        &app,
        TestRequest::get()
            .uri("/api/v5/artifacts/auths/get")
            .insert_header(("X-Api-Key", keys.admin.clone())),
    )
    .await;
    assert_error(s, &b, 405, "bad_request");
}

async fn malformed_json_wrong_types_and_unknown_fields_are_400(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let json_post = |body: &str| {
        post("/api/v5/artifacts/auths/create", &keys.admin)
            .insert_header(("content-type", "application/json"))
            .set_payload(body.to_owned())
    };
    let (s, b) = send(&app, json_post(r#"{"auths": [ "#)).await;
    assert_error(s, &b, 400, "bad_request");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("malformed JSON"),
        "{b}"
    );

    let (s, b) = send(&app, json_post(r#"{"auths": [{"name": 42}]}"#)).await;
    assert_error(s, &b, 400, "bad_request");
    assert_eq!(b["error"]["details"][0]["field"], "auths[0].name", "{b}");

    let (s, b) = send(&app, json_post(r#"{"auths": [], "extra": true}"#)).await;
    assert_error(s, &b, 400, "bad_request");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field"),
        "{b}"
    );

    let (s, b) = send(
        &app,
        json_post(r#"{"auth_id": ["x"]}"#).uri("/api/v5/artifacts/auths/get"),
    )
    .await;
    assert_error(s, &b, 400, "bad_request");
}

async fn oversize_bodies_and_bulks_are_413(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let big = format!(r#"{{"auths": [{{"name": "{}"}}]}}"#, "x".repeat(LIMIT));
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin).set_payload(big),
    )
    .await;
    assert_error(s, &b, 413, "payload_too_large");

    // 1001 items within the byte limit of a bigger app.
    let roomy = crate::roomy_app!(data);
    let items: Vec<Value> = (0..1001).map(|_| json!({})).collect();
    let (s, b) = send(
        &roomy,
        post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": items})),
    )
    .await;
    assert_error(s, &b, 413, "payload_too_large");
}

async fn non_json_content_type_is_415(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let req = post("/api/v5/artifacts/auths/get", &keys.admin)
        .insert_header(("content-type", "text/plain"))
        .set_payload("{}");
    let (s, b) = send(&app, req).await;
    assert_error(s, &b, 415, "bad_request");
    // JSON with a charset is JSON.
    let req = post("/api/v5/artifacts/auths/get", &keys.admin)
        .insert_header(("content-type", "application/json; charset=utf-8"))
        .set_payload("{}");
    assert_eq!(send(&app, req).await.0, StatusCode::OK);
}

async fn missing_or_bad_credentials_are_401(t: TestDb) {
    let (data, _) = service(&t);
    let app = crate::app!(data);
    let none = send(
        &app,
        TestRequest::post()
            .uri("/api/v5/artifacts/auths/get")
            .set_json(json!({})),
    )
    .await;
    assert_error(none.0, &none.1, 401, "unauthenticated");
    let bad = send(
        &app,
        post("/api/v5/artifacts/auths/get", "auths_wrong").set_json(json!({})),
    )
    .await;
    assert_eq!(none, bad, "unknown and missing keys get the same answer");
    // Credentials are checked before the body is read.
    let malformed = send(
        &app,
        TestRequest::post()
            .uri("/api/v5/artifacts/auths/get")
            .set_payload("{"),
    )
    .await;
    assert_eq!(malformed.0.as_u16(), 401);
}

async fn create_then_get_round_trips(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": [{
            "name": "  Corp LDAP ", "description": "The directory", "protocol_ids": ["protocol-ldap", "protocol-ldaps"]
        }]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let r = &b["results"][0];
    assert_eq!(
        (
            r["index"].as_u64(),
            r["success"].as_bool(),
            r["version"].as_i64()
        ),
        (Some(0), Some(true), Some(1)),
        "{b}"
    );
    let auth_id = r["auth_id"].as_str().unwrap().to_owned();

    let (s, form) = send(
        &app,
        post("/api/v5/artifacts/auths/get", &keys.viewer).set_json(json!({"auth_id": auth_id})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{form}");
    assert_eq!(form["auth_exists"], true);
    assert_eq!(form["actor_name"], "viewer");
    assert_eq!(form["names"]["value"]["label"], "Corp LDAP");
    assert_eq!(form["descriptions"]["value"]["label"], "The directory");
    assert_eq!(form["flags"]["value"]["label"], "active");
    assert_eq!(form["flags"]["options"].as_array().unwrap().len(), 3);
    assert_eq!(form["protocols"]["values"].as_array().unwrap().len(), 2);
    assert_eq!(form["protocols"]["options"].as_array().unwrap().len(), 8);
    assert_eq!(form["can_edit"], false, "a viewer cannot edit");
    assert!(
        form["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("auths.edit")
    );

    let (s, blank) = send(&app, post("/api/v5/artifacts/auths/get", &keys.admin)).await;
    assert_eq!(s, StatusCode::OK, "{blank}");
    assert_eq!(
        (blank["auth_exists"].as_bool(), blank["can_edit"].as_bool()),
        (Some(false), Some(true))
    );

    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/get", &keys.admin).set_json(json!({"auth_id": "missing"})),
    )
    .await;
    assert_error(s, &b, 404, "not_found");
}

async fn create_reports_each_item_alone(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": [
            {"name": "One", "protocol_ids": ["protocol-oidc"]},
            {"name": "one", "protocol_ids": ["protocol-oidc"]},
            {"name": "", "protocol_ids": ["nope"]},
            {"name": "Two", "protocol_ids": ["protocol-saml2"]},
        ]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let results = b["results"].as_array().unwrap();
    let ok: Vec<_> = results
        .iter()
        .map(|r| r["success"].as_bool().unwrap())
        .collect();
    assert_eq!(ok, [true, false, false, true]);
    assert_eq!(results[1]["error"]["code"], "conflict");
    assert_eq!(results[2]["error"]["code"], "validation_failed");
    assert_eq!(results[2]["error"]["details"][0]["field"], "name");
    assert!(results.iter().enumerate().all(|(i, r)| r["index"] == i));
}

#[actix_rt::test]
async fn the_ai_generate_setting_reaches_the_form() {
    let t = TestDb::sqlite();
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let (_, form) = send(&app, post("/api/v5/artifacts/auths/get", &keys.viewer)).await;
    assert_eq!(form["basic_show_ai_generate"], false);
    let settings = auths_app::Settings {
        show_ai_generate: true,
        data_dir: keys.data_dir.path().to_owned(),
        ..auths_app::Settings::default()
    };
    let on = actix_web::web::Data::new(auths_app::AuthService::new(t.db.clone(), settings));
    let app = crate::app!(on);
    let (_, form) = send(&app, post("/api/v5/artifacts/auths/get", &keys.viewer)).await;
    assert_eq!(form["basic_show_ai_generate"], true);
}
