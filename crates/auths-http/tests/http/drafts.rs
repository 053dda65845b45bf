//! Drafts: versions, null clears, privacy, form state, publishing (and consuming).

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use auths_domain::Role;
use auths_store::testing::TestDb;
use serde_json::{Value, json};

use crate::support::{assert_error, key, post, send, service};

crate::on_both_backends!(
    drafts_are_versioned_private_and_report_problems,
    publishing_a_new_draft_consumes_it,
    drafts_of_existing_auths_never_lose_updates,
    agents_edit_drafts_but_do_not_publish,
    the_owner_discards_a_draft_and_the_audit_says_so,
);

const DRAFT: &str = "/api/v5/artifacts/auths/draft";

fn patch(key: &str, body: Value) -> TestRequest {
    TestRequest::patch()
        .uri(DRAFT)
        .insert_header(("X-Api-Key", key.to_owned()))
        .set_json(body)
}

fn fields(b: &Value) -> Vec<String> {
    b["form_state"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap().to_owned())
        .collect()
}

async fn drafts_are_versioned_private_and_report_problems(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let alice = key(&data, "alice", Role::Editor, &[], false);
    let bob = key(&data, "bob", Role::Editor, &[], false);

    let (s, b) = send(
        &app,
        patch(
            &alice,
            json!({"expected_version": 0, "name": "Draft SSO", "description": "first"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["success"].as_bool(), b["new_version"].as_i64()),
        (Some(true), Some(1))
    );
    assert_eq!(fields(&b), ["protocol_ids"], "{b}");
    assert_eq!(b["form_state"]["can_publish"], false);
    let id = b["draft_id"].as_str().unwrap().to_owned();

    let (s, b) = send(&app, patch(&alice, json!({"input_draft_id": id, "expected_version": 1, "protocol_ids": ["protocol-oidc"], "description": null}))).await;
    assert_eq!(
        (s, b["new_version"].as_i64()),
        (StatusCode::OK, Some(2)),
        "{b}"
    );
    assert!(
        b["form_state"]["values"]["description"].is_null(),
        "null clears: {b}"
    );
    assert_eq!(
        b["form_state"]["values"]["name"], "Draft SSO",
        "absent fields stay"
    );
    assert_eq!(b["form_state"]["can_publish"], true, "{b}");

    let (s, b) = send(
        &app,
        patch(
            &alice,
            json!({"input_draft_id": id, "expected_version": 1, "name": "lost?"}),
        ),
    )
    .await;
    assert_error(s, &b, 409, "conflict");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("version 2"),
        "{b}"
    );

    // Bad values are kept and reported, not refused.
    let (s, b) = send(
        &app,
        patch(
            &alice,
            json!({"input_draft_id": id, "expected_version": 2, "flag_id": "nope", "name": ""}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mut f = fields(&b);
    f.sort();
    assert_eq!(f, ["flag_id", "name"], "{b}");

    // Only the owner sees or edits it.
    let (s, b) = send(
        &app,
        patch(
            &bob,
            json!({"input_draft_id": id, "expected_version": 3, "name": "mine"}),
        ),
    )
    .await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/get", &bob).set_json(json!({"draft_id": id})),
    )
    .await;
    assert_error(s, &b, 404, "not_found");
    let (_, b) = send(&app, post("/api/v5/artifacts/auths/drafts", &bob)).await;
    assert_eq!(b["entries"], json!([]));

    let (s, form) = send(
        &app,
        post("/api/v5/artifacts/auths/get", &alice).set_json(json!({"draft_id": id})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{form}");
    assert_eq!(
        (
            form["draft_version"].as_i64(),
            form["auth_exists"].as_bool()
        ),
        (Some(3), Some(false))
    );
    assert_eq!(form["protocols"]["values"][0]["label"], "oidc");

    send(
        &app,
        patch(&alice, json!({"expected_version": 0, "name": "Second"})),
    )
    .await;
    let (_, b) = send(&app, post("/api/v5/artifacts/auths/drafts", &alice)).await;
    let names: Vec<&str> = b["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["values"]["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["Second", ""], "newest first: {b}");

    let (s, b) = send(&app, patch(&keys.viewer, json!({"expected_version": 0}))).await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = send(&app, patch(&alice, json!({"expected_version": 5}))).await;
    assert_error(s, &b, 409, "conflict");
    let (s, b) = send(&app, patch(&alice, json!({"name": "no version"}))).await;
    assert_error(s, &b, 400, "bad_request");
}

async fn publishing_a_new_draft_consumes_it(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let (_, b) = send(
        &app,
        patch(
            &keys.admin,
            json!({"expected_version": 0, "name": "Published", "protocol_ids": ["protocol-ldap"]}),
        ),
    )
    .await;
    let id = b["draft_id"].as_str().unwrap().to_owned();
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin)
            .set_json(json!({"auths": [{"draft_id": id}, {"draft_id": id}]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["results"][0]["success"], true, "{b}");
    assert_eq!(
        b["results"][1]["error"]["code"], "not_found",
        "the draft is consumed: {b}"
    );
    let auth_id = b["results"][0]["auth_id"].as_str().unwrap();
    let (_, form) = send(
        &app,
        post("/api/v5/artifacts/auths/get", &keys.admin).set_json(json!({"auth_id": auth_id})),
    )
    .await;
    assert_eq!(form["names"]["value"]["label"], "Published");
    let (_, b) = send(&app, post("/api/v5/artifacts/auths/drafts", &keys.admin)).await;
    assert_eq!(b["entries"], json!([]));
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin)
            .set_json(json!({"auths": [{"draft_id": "x", "name": "both"}]})),
    )
    .await;
    assert_eq!(b["results"][0]["error"]["code"], "validation_failed", "{b}");

    // A draft that cannot be published stays, and says why.
    let (_, b) = send(
        &app,
        patch(
            &keys.admin,
            json!({"expected_version": 0, "name": "published"}),
        ),
    )
    .await;
    let id = b["draft_id"].as_str().unwrap().to_owned();
    assert!(
        fields(&b).contains(&"name".to_owned()),
        "the name is taken: {b}"
    );
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin)
            .set_json(json!({"auths": [{"draft_id": id}]})),
    )
    .await;
    assert_eq!(b["results"][0]["success"], false, "{b}");
    let (_, b) = send(&app, post("/api/v5/artifacts/auths/drafts", &keys.admin)).await;
    assert_eq!(b["entries"].as_array().unwrap().len(), 1);
}

async fn drafts_of_existing_auths_never_lose_updates(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin)
            .set_json(json!({"auths": [{"name": "Live", "protocol_ids": ["protocol-ldap"]}]})),
    )
    .await;
    let auth_id = b["results"][0]["auth_id"].as_str().unwrap().to_owned();
    let (s, b) = send(
        &app,
        patch(
            &keys.admin,
            json!({"auth_id": auth_id, "expected_version": 2, "description": "x"}),
        ),
    )
    .await;
    assert_error(s, &b, 409, "conflict");
    let (_, b) = send(
        &app,
        patch(
            &keys.admin,
            json!({"auth_id": auth_id, "expected_version": 1, "description": "from draft"}),
        ),
    )
    .await;
    let draft = b["draft_id"].as_str().unwrap().to_owned();
    assert!(
        b["form_state"]["values"]["name_id"].is_string(),
        "starts from the auth: {b}"
    );
    assert_eq!(b["form_state"]["can_publish"], true, "{b}");
    let (_, form) = send(
        &app,
        post("/api/v5/artifacts/auths/get", &keys.admin).set_json(json!({"auth_id": auth_id})),
    )
    .await;
    assert_eq!(form["draft_version"], 1, "{form}");

    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/update", &keys.admin)
            .set_json(json!({"auths": [{"auth_id": auth_id, "draft_id": draft}]})),
    )
    .await;
    assert_eq!(
        (
            b["results"][0]["success"].as_bool(),
            b["results"][0]["version"].as_i64()
        ),
        (Some(true), Some(2)),
        "{b}"
    );
    let (_, form) = send(
        &app,
        post("/api/v5/artifacts/auths/get", &keys.admin).set_json(json!({"auth_id": auth_id})),
    )
    .await;
    assert_eq!(form["descriptions"]["value"]["label"], "from draft");
    assert!(form["draft_version"].is_null());

    // A draft started at version 2, then someone else publishes version 3: the draft
    // cannot overwrite it.
    let (_, b) = send(
        &app,
        patch(
            &keys.admin,
            json!({"auth_id": auth_id, "expected_version": 2, "description": "stale"}),
        ),
    )
    .await;
    let draft = b["draft_id"].as_str().unwrap().to_owned();
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/update", &keys.admin)
            .set_json(json!({"auths": [{"auth_id": auth_id, "description": "newer"}]})),
    )
    .await;
    assert_eq!(b["results"][0]["version"], 3);
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/update", &keys.admin)
            .set_json(json!({"auths": [{"auth_id": auth_id, "draft_id": draft}]})),
    )
    .await;
    assert_eq!(b["results"][0]["error"]["code"], "conflict", "{b}");
    let (_, form) = send(
        &app,
        post("/api/v5/artifacts/auths/get", &keys.admin).set_json(json!({"auth_id": auth_id})),
    )
    .await;
    assert_eq!(form["descriptions"]["value"]["label"], "newer");
}

async fn agents_edit_drafts_but_do_not_publish(t: TestDb) {
    let (data, _keys) = service(&t);
    let app = crate::app!(data);
    let agent = key(&data, "agent", Role::Editor, &[], false);
    let (s, b) = send(
        &app,
        patch(
            &agent,
            json!({"expected_version": 0, "name": "By agent", "protocol_ids": ["protocol-ldap"]}),
        )
        .insert_header(("X-MCP", "claude")),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["form_state"]["can_publish"], false,
        "an MCP caller without MCP writes may not publish"
    );
    let id = b["draft_id"].as_str().unwrap().to_owned();
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &agent)
            .insert_header(("X-MCP", "claude"))
            .set_json(json!({"auths": [{"draft_id": id}]})),
    )
    .await;
    assert_error(s, &b, 403, "forbidden");
    let (_, b) = send(
        &app,
        TestRequest::get()
            .uri("/api/v5/audit?page_size=50")
            .insert_header(("X-Api-Key", _keys.admin.clone())),
    )
    .await;
    let e = b["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["operation"] == "draft.create")
        .unwrap()
        .clone();
    assert_eq!(
        (e["channel"].as_str(), e["actor_name"].as_str()),
        (Some("mcp"), Some("agent"))
    );
}

/// `DELETE .../draft/{id}`: the owner discards a draft (204, then 404: it is gone);
/// another key cannot, and learns nothing (404); a viewer may not (403); the audit log
/// keeps the draft's id and version, not its values.
async fn the_owner_discards_a_draft_and_the_audit_says_so(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let other = key(&data, "other-editor", Role::Editor, &[], false);
    let (s, b) = send(
        &app,
        patch(
            &keys.admin,
            json!({"expected_version": 0, "name": "Throwaway"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let id = b["draft_id"].as_str().unwrap().to_owned();
    let delete = |k: &str| {
        TestRequest::delete()
            .uri(&format!("{DRAFT}/{id}"))
            .insert_header(("X-Api-Key", k.to_owned()))
    };
    let (s, b) = send(&app, delete(&keys.viewer)).await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = send(&app, delete(&other)).await;
    assert_error(s, &b, 404, "not_found");
    let (s, _) = send(&app, delete(&keys.admin)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = send(&app, delete(&keys.admin)).await;
    assert_error(s, &b, 404, "not_found");
    let (_, list) = send(&app, post("/api/v5/artifacts/auths/drafts", &keys.admin)).await;
    assert_eq!(list["total_count"], 0, "{list}");
    // A malformed id names no draft.
    let (s, b) = send(
        &app,
        TestRequest::delete()
            .uri(&format!("{DRAFT}/not%20an%20id"))
            .insert_header(("X-Api-Key", keys.admin.clone())),
    )
    .await;
    assert_error(s, &b, 404, "not_found");
    let (_, log) = send(
        &app,
        TestRequest::get()
            .uri("/api/v5/audit?page_size=5")
            .insert_header(("X-Api-Key", keys.admin.clone())),
    )
    .await;
    let e = &log["entries"][0];
    assert_eq!(e["operation"], "draft.delete", "{log}");
    assert_eq!(e["before"]["draft_id"], json!(id), "{log}");
    assert_eq!(e["after"], Value::Null, "{log}");
    assert!(
        !log.to_string().contains("Throwaway"),
        "no values in the log: {log}"
    );
}
