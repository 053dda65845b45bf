//! Behaviour pinned while the seams between the layers were reshaped: writes that
//! read nothing back answer and audit exactly what a read gives, and each API words
//! the same typed reasons its own way.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use auths_store::testing::TestDb;
use serde_json::{Value, json};

use crate::support::{post, send, service};

crate::on_both_backends!(
    writes_answer_and_audit_what_a_read_gives,
    each_api_words_the_same_reasons,
    checks_keep_their_order,
);

fn get(uri: &str, key: &str) -> TestRequest {
    TestRequest::get()
        .uri(uri)
        .insert_header(("X-Api-Key", key.to_owned()))
}

/// The sections of an audit snapshot or a form view, as `[label]` lists in their
/// order, so that the two can be compared.
fn sections(v: &Value, form: bool) -> Value {
    let labels = |key: &str| -> Value {
        let list = if form { &v[key]["values"] } else { &v[key] };
        // The audit shows an item by its key, which is its label.
        let label = if key == "items" && !form {
            "key"
        } else {
            "label"
        };
        Value::Array(
            list.as_array()
                .unwrap()
                .iter()
                .map(|e| e[label].clone())
                .collect(),
        )
    };
    let one = |key: &str, section: &str| -> Value {
        if form {
            v[section]["value"]["label"].clone()
        } else {
            v[key]["label"].clone()
        }
    };
    json!({
        "name": one("name", "names"),
        "description": one("description", "descriptions"),
        "flag": one("flag", "flags"),
        "protocols": labels("protocols"),
        "slugs": labels("slugs"),
        "items": labels("items"),
        "departments": labels("departments"),
        "locations": labels("locations"),
        "version": v["version"],
        "updated_at": v["updated_at"],
    })
}

async fn writes_answer_and_audit_what_a_read_gives(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let admin = &keys.admin;
    // Labels that differ only by case, and ids in another order than labels: the order
    // an auth built by a write shows must be the one the store reads back.
    let mut deps = Vec::new();
    for label in ["beta", "Alpha", "gamma"] {
        let (s, b) = send(
            &app,
            post("/api/v5/catalog/departments", admin).set_json(json!({"label": label})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        deps.push(b["id"].as_str().unwrap().to_owned());
    }
    let mut items = Vec::new();
    for (key, secret) in [("port", false), ("bind_password", true), ("host", false)] {
        let (_, b) = send(
            &app,
            post("/api/v5/catalog/items", admin)
                .set_json(json!({"key": key, "value": "v", "secret": secret})),
        )
        .await;
        items.push(b["id"].as_str().unwrap().to_owned());
    }
    let (_, created) = send(
        &app,
        post("/api/v5/artifacts/auths/create", admin).set_json(json!({"auths": [{
            "name": "Ordered", "description": "d", "protocol_ids": ["protocol-saml2", "protocol-external"],
            "department_ids": deps, "item_ids": items,
        }]})),
    )
    .await;
    let auth_id = created["results"][0]["auth_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, updated) = send(
        &app,
        post("/api/v5/artifacts/auths/update", admin).set_json(json!({"auths": [{
            "auth_id": auth_id, "department_ids": [deps[2], deps[0]], "flag_id": "flag-disabled",
        }]})),
    )
    .await;
    assert_eq!(updated["results"][0]["version"], 2, "{updated}");
    let (_, copy) = send(
        &app,
        post("/api/v5/artifacts/auths/duplicate", admin).set_json(json!({"auth_id": auth_id})),
    )
    .await;
    let copy_id = copy["auth_id"].as_str().unwrap().to_owned();
    let (_, index) = send(&app, get("/api/auth_source_externals", admin)).await;
    let number = index["results"][0]["id"].as_i64().unwrap();
    let (s, put) = send(
        &app,
        TestRequest::put()
            .uri(&format!("/api/auth_source_externals/{number}"))
            .insert_header(("X-Api-Key", admin.to_owned()))
            .set_json(json!({"name": "Renamed", "organization_ids": []})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{put}");

    for id in [&auth_id, &copy_id] {
        let (_, log) = send(&app, get(&format!("/api/v5/audit?auth_id={id}"), admin)).await;
        let (_, form) = send(
            &app,
            post("/api/v5/artifacts/auths/get", admin).set_json(json!({"auth_id": id})),
        )
        .await;
        let newest = &log["entries"][0]["after"];
        assert_eq!(
            sections(newest, false),
            sections(&form, true),
            "the audit of the last write of {id} holds what a read gives"
        );
        for entry in log["entries"].as_array().unwrap() {
            for item in entry["after"]["items"].as_array().into_iter().flatten() {
                let want = if item["secret"] == true {
                    "********"
                } else {
                    "v"
                };
                assert_eq!(item["value"], want, "a secret value is masked: {item}");
            }
        }
    }
    let (_, form) = send(
        &app,
        post("/api/v5/artifacts/auths/get", admin).set_json(json!({"auth_id": copy_id})),
    )
    .await;
    assert_eq!(
        sections(&form, true)["departments"],
        json!(["beta", "gamma"]),
        "the copy has the departments the update gave, by label"
    );
    assert_eq!(
        sections(&form, true)["items"],
        json!(["bind_password", "host", "port"])
    );
    assert_eq!(put["name"], "Renamed");
}

async fn each_api_words_the_same_reasons(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let admin = &keys.admin;
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", admin).set_json(json!({"auths": [
            {"name": "One", "protocol_ids": ["protocol-external"]},
            {"name": "Two", "protocol_ids": ["protocol-external"]},
        ]})),
    )
    .await;
    let two = b["results"][1]["auth_id"].as_str().unwrap().to_owned();
    let (_, index) = send(&app, get("/api/auth_source_externals?order=id", admin)).await;
    let one = index["results"][0]["id"].as_i64().unwrap();
    let put = |body: Value| {
        TestRequest::put()
            .uri(&format!("/api/auth_source_externals/{one}"))
            .insert_header(("X-Api-Key", admin.clone()))
            .set_json(body)
    };

    // A taken name: 409 `conflict` in v5, 422 in Foreman's words.
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/update", admin)
            .set_json(json!({"auths": [{"auth_id": two, "name": "one"}]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["results"][0]["error"]["code"], "conflict", "{b}");
    let (s, b) = send(&app, put(json!({"name": "TWO"}))).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"error": {"id": one, "errors": {"name": ["has already been taken"]}, "full_messages": ["Name has already been taken"]}})
        )
    );
    // Too long: the domain's rule, in Rails' words (a 256-character name is not blank).
    let (s, b) = send(&app, put(json!({"name": "n".repeat(256)}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        b["error"]["errors"]["name"],
        json!(["is too long (maximum is 255 characters)"])
    );
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/update", admin)
            .set_json(json!({"auths": [{"auth_id": two, "name": "n".repeat(256)}]})),
    )
    .await;
    assert_eq!(
        b["results"][0]["error"]["details"][0],
        json!({"field": "name", "message": "name is 256 characters long; at most 255 are allowed"})
    );
    // Every field of the wrong shape at once, as Foreman's validations do.
    let (s, b) = send(
        &app,
        put(json!({"auth_source_external": {"name": 3, "location_ids": "x", "organization_names": [1]}})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        b["error"]["errors"],
        json!({"name": ["must be a String"], "location_ids": ["must be an array of ids"], "organization_names": ["must be an array of names"]})
    );
    // NUL in a body: refused by the shared reader, in each API's words.
    let nul = r#"{"name": "a\u0000b"}"#;
    let (s, b) = send(
        &app,
        TestRequest::put()
            .uri(&format!("/api/auth_source_externals/{one}"))
            .insert_header(("X-Api-Key", admin.clone()))
            .insert_header(("Content-Type", "application/json"))
            .set_payload(nul),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("There was a problem in the JSON you submitted"),
        "{b}"
    );
    assert!(b["error"].get("code").is_none(), "Foreman's body: {b}");
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/get", admin)
            .insert_header(("Content-Type", "application/json"))
            .set_payload(r#"{"auth_id": "a\u0000b"}"#),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    // A query string with NUL, before credentials: each API's own body.
    let (s, b) = send(&app, get("/api/auth_source_externals?search=%00", "nokey")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b["error"].get("code").is_none(), "{b}");
    let (s, b) = send(&app, get("/api/v5/audit?auth_id=%00", "nokey")).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    // Unknown credentials: Foreman's sentence names the login, v5 says how to send a key.
    let basic = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "ci-bot:wrong");
    let (s, b) = send(
        &app,
        TestRequest::get()
            .uri("/api/v2/status")
            .insert_header(("Authorization", format!("Basic {basic}"))),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            StatusCode::UNAUTHORIZED,
            json!({"error": {"message": "Unable to authenticate user ci-bot"}})
        )
    );
    let (s, b) = send(&app, get("/api/v5/audit", "wrong")).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
}

async fn checks_keep_their_order(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let admin = &keys.admin;
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", admin)
            .set_json(json!({"auths": [{"name": "Ext", "protocol_ids": ["protocol-external"]}]})),
    )
    .await;
    let auth_id = b["results"][0]["auth_id"].as_str().unwrap().to_owned();
    let (_, index) = send(&app, get("/api/auth_source_externals", admin)).await;
    let number = index["results"][0]["id"].as_i64().unwrap();
    let put = |uri: String, key: &str| {
        TestRequest::put()
            .uri(&uri)
            .insert_header(("X-Api-Key", key.to_owned()))
    };

    // Foreman's order: the permission before the taxonomy, even one it cannot read.
    let (s, b) = send(
        &app,
        put(
            format!("/api/auth_source_externals/{number}?location_id=abc"),
            &keys.viewer,
        )
        .set_json(json!({"name": "x"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, b) = send(
        &app,
        put(
            format!("/api/auth_source_externals/{number}?location_id=abc"),
            admin,
        )
        .set_json(json!({"name": "x"})),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            StatusCode::NOT_FOUND,
            json!({"message": "Location with id abc not found"})
        )
    );
    // A body that is not an object asks for nothing, as Foreman ignores it.
    for body in [json!([]), json!(null), json!("name")] {
        let (s, b) = send(
            &app,
            put(format!("/api/auth_source_externals/{number}"), admin).set_json(&body),
        )
        .await;
        assert_eq!(
            (s, b["name"].as_str()),
            (StatusCode::OK, Some("Ext")),
            "{body}"
        );
    }
    // An empty body creates no taxonomy: it is no JSON.
    let (s, b) = send(
        &app,
        TestRequest::post()
            .uri("/api/locations")
            .insert_header(("X-Api-Key", admin.clone()))
            .insert_header(("Content-Type", "application/json")),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, b) = send(
        &app,
        TestRequest::post()
            .uri("/api/locations")
            .insert_header(("X-Api-Key", admin.clone()))
            .set_json(json!({"location": {"name": "Berlin"}})),
    )
    .await;
    assert_eq!(
        (s, b["name"].as_str()),
        (StatusCode::CREATED, Some("Berlin"))
    );

    // v5: an unknown field of an item is named by its path.
    for (path, body) in [
        (
            "/api/v5/artifacts/auths/update",
            json!({"auths": [{"auth_id": auth_id, "nme": 1}]}),
        ),
        (
            "/api/v5/artifacts/auths/create",
            json!({"auths": [{"name": "A", "protocol": 1}]}),
        ),
    ] {
        let (s, b) = send(&app, post(path, admin).set_json(&body)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
        let field = b["error"]["details"][0]["field"].as_str().unwrap();
        assert!(
            field == "auths[0].nme" || field == "auths[0].protocol",
            "{b}"
        );
    }
    let (s, b) = send(
        &app,
        TestRequest::patch()
            .uri("/api/v5/artifacts/auths/draft")
            .insert_header(("X-Api-Key", admin.clone()))
            .set_json(json!({"expected_version": 0, "colour": "red"})),
    )
    .await;
    assert_eq!(
        (s, b["error"]["details"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("colour"))
    );
    // A draft's ids in their order: the draft's, `auth_id` only to start one, the
    // auth's.
    let (_, draft) = send(
        &app,
        TestRequest::patch()
            .uri("/api/v5/artifacts/auths/draft")
            .insert_header(("X-Api-Key", admin.clone()))
            .set_json(json!({"expected_version": 0, "name": "D"})),
    )
    .await;
    let draft_id = draft["draft_id"].as_str().unwrap().to_owned();
    let (s, b) = send(
        &app,
        TestRequest::patch()
            .uri("/api/v5/artifacts/auths/draft")
            .insert_header(("X-Api-Key", admin.clone()))
            .set_json(
                json!({"input_draft_id": draft_id, "auth_id": "not an id", "expected_version": 1}),
            ),
    )
    .await;
    assert_eq!(
        (s, b["error"]["details"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("auth_id")),
        "{b}"
    );
    let (s, b) = send(
        &app,
        TestRequest::patch()
            .uri("/api/v5/artifacts/auths/draft")
            .insert_header(("X-Api-Key", admin.clone()))
            .set_json(
                json!({"input_draft_id": "not a draft id", "auth_id": "x", "expected_version": 1}),
            ),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found")),
        "{b}"
    );
}
