//! History, diff and earlier versions (auths-v5 spec, "History, diff, restore, dry
//! runs"): every published version kept in the write's transaction, with what it
//! changed; secrets as fingerprints, never values; `/get`'s visibility.

use actix_web::http::StatusCode;
use auths_domain::Role;
use auths_store::testing::TestDb;
use serde_json::{Value, json};

use crate::support::{key, post, send, service};

crate::on_both_backends!(
    every_version_is_kept_with_what_it_changed,
    history_follows_the_visibility_of_get,
    an_earlier_version_is_restored_as_a_draft,
    dry_runs_answer_the_changes_and_write_nothing,
);

/// A secret value no answer may show.
const CANARY: &str = "history-canary-5d0e";

async fn every_version_is_kept_with_what_it_changed(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let item = |key: &str, value: &str, secret: bool| {
        post("/api/v5/catalog/items", &keys.admin)
            .set_json(json!({"key": key, "value": value, "secret": secret}))
    };
    let (_, host) = send(&app, item("host", "ldap1.example.org", false)).await;
    let (_, pw) = send(&app, item("bind_password", CANARY, true)).await;
    let (_, host2) = send(&app, item("host", "ldap2.example.org", false)).await;
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": [
            {"name": "Corp LDAP", "protocol_ids": ["protocol-ldap"], "item_ids": [host["id"], pw["id"]]}
        ]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let id = b["results"][0]["auth_id"].as_str().unwrap().to_owned();
    let update = |body: Value| {
        post("/api/v5/artifacts/auths/update", &keys.admin).set_json(json!({"auths": [body]}))
    };
    let (_, b) = send(
        &app,
        update(json!({"auth_id": id, "expected_version": 1, "name": "Corp LDAP EU"})),
    )
    .await;
    assert_eq!(b["results"][0]["success"], true, "{b}");
    let (_, b) = send(
        &app,
        update(json!({"auth_id": id, "expected_version": 2, "item_ids": [host2["id"], pw["id"]]})),
    )
    .await;
    assert_eq!(b["results"][0]["success"], true, "{b}");
    // The same values again: no version.
    let (_, b) = send(
        &app,
        update(json!({"auth_id": id, "expected_version": 3, "name": "Corp LDAP EU"})),
    )
    .await;
    assert_eq!(b["results"][0]["success"], true, "{b}");

    // A stale version: the current one, and what changed since.
    let (_, b) = send(
        &app,
        update(json!({"auth_id": id, "expected_version": 1, "description": "late"})),
    )
    .await;
    let error = &b["results"][0]["error"];
    assert_eq!(
        (error["code"].as_str(), error["current_version"].as_i64()),
        (Some("conflict"), Some(3)),
        "{b}"
    );
    assert_eq!(
        error["details"],
        json!([{"field": "name", "message": "changed since version 1"}, {"field": "items", "message": "changed since version 1"}])
    );
    let history = |body: Value| post("/api/v5/artifacts/auths/history", &keys.admin).set_json(body);
    let (s, h) = send(&app, history(json!({"auth_id": id}))).await;
    assert_eq!(s, StatusCode::OK, "{h}");
    assert_eq!(h["total_count"], 3, "{h}");
    let versions: Vec<i64> = h["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [3, 2, 1], "newest first");
    let e3 = &h["entries"][0];
    assert_eq!(
        (
            e3["actor_name"].as_str(),
            e3["channel"].as_str(),
            e3["operation"].as_str()
        ),
        (Some("bootstrap-admin"), Some("api"), Some("auth.update"))
    );
    assert_eq!(
        e3["changes"],
        json!([{"field": "items",
            "added": [{"id": host2["id"], "key": "host", "value": "ldap2.example.org", "secret": false, "fingerprint": null}],
            "removed": [{"id": host["id"], "key": "host", "value": "ldap1.example.org", "secret": false, "fingerprint": null}]}])
    );
    assert_eq!(
        h["entries"][1]["changes"],
        json!([{"field": "name", "before": {"id": h["entries"][1]["changes"][0]["before"]["id"], "label": "Corp LDAP"},
            "after": {"id": h["entries"][1]["changes"][0]["after"]["id"], "label": "Corp LDAP EU"}}])
    );
    let first: Vec<&str> = h["entries"][2]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        first,
        ["name", "flag", "protocols", "items"],
        "the first version, from nothing"
    );
    // The secret item: key and fingerprint, never the value.
    let secret = h["entries"][2]["changes"][3]["added"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["secret"] == true)
        .unwrap()
        .clone();
    let fingerprint = secret["fingerprint"].as_str().unwrap().to_owned();
    assert!(
        fingerprint.len() == 16 && fingerprint.chars().all(|c| c.is_ascii_hexdigit()),
        "{secret}"
    );
    assert_eq!(secret["value"], Value::Null);
    let (_, page) = send(
        &app,
        history(json!({"auth_id": id, "page_size": 1, "page_offset": 1})),
    )
    .await;
    assert_eq!(
        (
            page["entries"][0]["version"].as_i64(),
            page["total_count"].as_u64()
        ),
        (Some(2), Some(3))
    );
    assert_eq!(
        page["entries"][0]["changes"], h["entries"][1]["changes"],
        "a page knows the version before it"
    );

    let diff = |body: Value| post("/api/v5/artifacts/auths/diff", &keys.admin).set_json(body);
    let (s, d) = send(&app, diff(json!({"auth_id": id, "from_version": 1}))).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(
        (d["from_version"].as_i64(), d["to_version"].as_i64()),
        (Some(1), Some(3))
    );
    let fields: Vec<&str> = d["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "items"]);
    let (_, same) = send(
        &app,
        diff(json!({"auth_id": id, "from_version": 2, "to_version": 2})),
    )
    .await;
    assert_eq!(same["changes"], json!([]));
    let (s, b) = send(&app, diff(json!({"auth_id": id, "from_version": 9}))).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found")),
        "{b}"
    );

    // An earlier version, as it was, not editable.
    let get = |body: Value| post("/api/v5/artifacts/auths/get", &keys.admin).set_json(body);
    let (s, v1) = send(&app, get(json!({"auth_id": id, "version": 1}))).await;
    assert_eq!(s, StatusCode::OK, "{v1}");
    assert_eq!(
        (
            v1["names"]["value"]["label"].as_str(),
            v1["version"].as_i64(),
            v1["can_edit"].as_bool()
        ),
        (Some("Corp LDAP"), Some(1), Some(false))
    );
    assert_eq!(v1["disabled_reason"], "an earlier version");
    let (_, current) = send(&app, get(json!({"auth_id": id, "version": 3}))).await;
    assert_eq!(
        (
            current["can_edit"].as_bool(),
            current["disabled_reason"].clone()
        ),
        (Some(true), Value::Null),
        "the current version, asked as a version, is the ordinary view"
    );
    let (s, b) = send(&app, get(json!({"version": 1}))).await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a version is never ignored: {b}"
    );
    let (_, now) = send(&app, get(json!({"auth_id": id}))).await;
    let shown = now["items"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["secret"] == true)
        .unwrap()
        .clone();
    assert_eq!(
        shown["fingerprint"].as_str(),
        Some(fingerprint.as_str()),
        "{shown}"
    );

    for answer in [&h, &page, &d, &v1, &now] {
        assert!(!answer.to_string().contains(CANARY), "{answer}");
    }
}

async fn history_follows_the_visibility_of_get(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let (_, fin) = send(
        &app,
        post("/api/v5/catalog/departments", &keys.admin).set_json(json!({"label": "Finance"})),
    )
    .await;
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": [
            {"name": "Finance SSO", "protocol_ids": ["protocol-oidc"], "department_ids": [fin["id"]]}
        ]})),
    )
    .await;
    let id = b["results"][0]["auth_id"].as_str().unwrap().to_owned();
    let (_, hr) = send(
        &app,
        post("/api/v5/catalog/departments", &keys.admin).set_json(json!({"label": "HR"})),
    )
    .await;
    let hr_id = auths_domain::EntryId::parse(hr["id"].as_str().unwrap()).unwrap();
    let outsider = key(data.get_ref(), "hr-editor", Role::Editor, &[&hr_id], false);
    let editor = key(data.get_ref(), "editor", Role::Editor, &[], false);
    let history =
        |k: &str| post("/api/v5/artifacts/auths/history", k).set_json(json!({"auth_id": id}));
    let (s, _) = send(&app, history(&keys.viewer)).await;
    assert_eq!(s, StatusCode::OK, "a global viewer sees it");
    let (s, b) = send(&app, history(&outsider)).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (s, _) = send(
        &app,
        post("/api/v5/artifacts/auths/diff", &outsider)
            .set_json(json!({"auth_id": id, "from_version": 1})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Moved to HR: the HR editor sees the auth, and its states since, not before.
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/update", &keys.admin).set_json(
            json!({"auths": [{"auth_id": id, "expected_version": 1, "department_ids": [hr["id"]], "description": "hr only now"}]}),
        ),
    )
    .await;
    assert_eq!(b["results"][0]["version"], 2, "{b}");
    let (s, h) = send(&app, history(&outsider)).await;
    assert_eq!(
        (s, h["total_count"].as_u64()),
        (StatusCode::OK, Some(2)),
        "{h}"
    );
    assert_eq!(
        h["entries"][1]["changes"],
        json!([]),
        "a Finance state: no content"
    );
    assert!(
        !h.to_string().contains(r#""label":"Finance""#),
        "nothing of the earlier state: {h}"
    );
    let (s, _) = send(
        &app,
        post("/api/v5/artifacts/auths/diff", &outsider)
            .set_json(json!({"auth_id": id, "from_version": 1})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for (version, want) in [(1, StatusCode::NOT_FOUND), (2, StatusCode::OK)] {
        let (s, _) = send(
            &app,
            post("/api/v5/artifacts/auths/get", &outsider)
                .set_json(json!({"auth_id": id, "version": version})),
        )
        .await;
        assert_eq!(s, want, "version {version}");
    }
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/delete", &keys.admin).set_json(json!({"auth_ids": [id]})),
    )
    .await;
    assert_eq!(b["results"][0]["success"], true, "{b}");
    let (s, _) = send(&app, history(&editor)).await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "a deleted auth's history is for admins"
    );
    let (s, h) = send(&app, history(&keys.admin)).await;
    assert_eq!(
        (s, h["total_count"].as_u64()),
        (StatusCode::OK, Some(2)),
        "{h}"
    );
    let (s, _) = send(
        &app,
        post("/api/v5/artifacts/auths/diff", &keys.admin)
            .set_json(json!({"auth_id": id, "from_version": 1})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = send(
        &app,
        post("/api/v5/artifacts/auths/history", &keys.admin)
            .set_json(json!({"auth_id": "never-was"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn an_earlier_version_is_restored_as_a_draft(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": [
            {"name": "Corp", "description": "first", "protocol_ids": ["protocol-ldap"]}
        ]})),
    )
    .await;
    let id = b["results"][0]["auth_id"].as_str().unwrap().to_owned();
    let update = |body: Value| {
        post("/api/v5/artifacts/auths/update", &keys.admin).set_json(json!({"auths": [body]}))
    };
    send(
        &app,
        update(json!({"auth_id": id, "expected_version": 1, "description": "second", "protocol_ids": ["protocol-oidc"]})),
    )
    .await;
    let draft = |body: Value| {
        actix_web::test::TestRequest::patch()
            .uri("/api/v5/artifacts/auths/draft")
            .insert_header(("X-Api-Key", keys.admin.clone()))
            .set_json(body)
    };
    // Restore version 1 into a draft of the current version (2), and publish it.
    let (s, d) = send(
        &app,
        draft(json!({"auth_id": id, "from_version": 1, "expected_version": 2})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(
        d["form_state"]["values"]["protocol_ids"],
        json!(["protocol-ldap"])
    );
    // An edit that changes nothing writes nothing: same draft version, no audit record.
    let audit = || async {
        send(
            &app,
            actix_web::test::TestRequest::get()
                .uri("/api/v5/audit?page_size=1")
                .insert_header(("X-Api-Key", keys.admin.clone())),
        )
        .await
        .1["total_count"]
            .as_u64()
            .unwrap()
    };
    let before = audit().await;
    let (s, same) = send(
        &app,
        draft(json!({"input_draft_id": d["draft_id"], "expected_version": 1, "protocol_ids": ["protocol-ldap"]})),
    )
    .await;
    assert_eq!(
        (s, same["new_version"].as_i64()),
        (StatusCode::OK, Some(1)),
        "{same}"
    );
    assert_eq!(audit().await, before);
    // The restore draft, against the version it started from.
    let (s, dd) = send(
        &app,
        post("/api/v5/artifacts/auths/diff", &keys.admin)
            .set_json(json!({"draft_id": d["draft_id"]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{dd}");
    assert_eq!(
        (dd["from_version"].as_i64(), dd["to_version"].clone()),
        (Some(2), Value::Null)
    );
    let fields: Vec<&str> = dd["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["description", "protocols"], "{dd}");
    assert_eq!(dd["changes"][0]["after"]["label"], "first");
    let (s, _) = send(
        &app,
        post("/api/v5/artifacts/auths/diff", &keys.admin)
            .set_json(json!({"draft_id": d["draft_id"], "auth_id": id})),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "a draft_id alone, or two versions"
    );
    let (_, p) = send(
        &app,
        update(json!({"auth_id": id, "draft_id": d["draft_id"]})),
    )
    .await;
    assert_eq!(
        (
            p["results"][0]["success"].as_bool(),
            p["results"][0]["version"].as_i64()
        ),
        (Some(true), Some(3)),
        "{p}"
    );
    let (_, diff) = send(
        &app,
        post("/api/v5/artifacts/auths/diff", &keys.admin)
            .set_json(json!({"auth_id": id, "from_version": 1, "to_version": 3})),
    )
    .await;
    assert_eq!(
        diff["changes"],
        json!([]),
        "version 3 holds what version 1 held"
    );

    // A restore draft whose base moved conflicts when published.
    let (_, d) = send(
        &app,
        draft(json!({"auth_id": id, "from_version": 2, "expected_version": 3})),
    )
    .await;
    send(
        &app,
        update(json!({"auth_id": id, "expected_version": 3, "name": "Corp EU"})),
    )
    .await;
    let (_, p) = send(
        &app,
        update(json!({"auth_id": id, "draft_id": d["draft_id"]})),
    )
    .await;
    assert_eq!(p["results"][0]["error"]["code"], "conflict", "{p}");
    // An item edited in place in the catalog since: restored as the value it had.
    let (_, host) = send(
        &app,
        post("/api/v5/catalog/items", &keys.admin)
            .set_json(json!({"key": "host", "value": "ldap1.example.org"})),
    )
    .await;
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": [
            {"name": "Edited in place", "protocol_ids": ["protocol-ldap"], "item_ids": [host["id"]]}
        ]})),
    )
    .await;
    let other = b["results"][0]["auth_id"].as_str().unwrap().to_owned();
    let (s, _) = send(
        &app,
        actix_web::test::TestRequest::patch()
            .uri(&format!(
                "/api/v5/catalog/items/{}",
                host["id"].as_str().unwrap()
            ))
            .insert_header(("X-Api-Key", keys.admin.clone()))
            .set_json(json!({"key": "host", "value": "ldap2.example.org"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, r) = send(
        &app,
        draft(json!({"auth_id": other, "from_version": 1, "expected_version": 1})),
    )
    .await;
    let (_, p) = send(
        &app,
        update(json!({"auth_id": other, "draft_id": r["draft_id"]})),
    )
    .await;
    assert_eq!(p["results"][0]["version"], 2, "{p}");
    let (_, got) = send(
        &app,
        post("/api/v5/artifacts/auths/get", &keys.admin).set_json(json!({"auth_id": other})),
    )
    .await;
    assert_eq!(
        got["items"]["values"][0]["value"], "ldap1.example.org",
        "{got}"
    );
    // Wrong uses: an unknown version, or from_version without auth_id.
    let (s, b) = send(
        &app,
        draft(json!({"auth_id": id, "from_version": 9, "expected_version": 4})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (s, b) = send(
        &app,
        draft(json!({"from_version": 1, "expected_version": 0})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["details"][0]["field"], "from_version", "{b}");
}

async fn dry_runs_answer_the_changes_and_write_nothing(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let (_, pw) = send(
        &app,
        post("/api/v5/catalog/items", &keys.admin)
            .set_json(json!({"key": "bind_password", "value": CANARY, "secret": true})),
    )
    .await;
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": [
            {"name": "Corp", "protocol_ids": ["protocol-ldap"]}
        ]})),
    )
    .await;
    let id = b["results"][0]["auth_id"].as_str().unwrap().to_owned();
    let count = |uri: &'static str| {
        let admin = keys.admin.clone();
        let app = &app;
        async move {
            let (_, b) = send(
                app,
                actix_web::test::TestRequest::get()
                    .uri(uri)
                    .insert_header(("X-Api-Key", admin)),
            )
            .await;
            b["total_count"].as_u64().unwrap()
        }
    };
    let audit = count("/api/v5/audit?page_size=1").await;
    let names = count("/api/v5/catalog/names?page_size=1").await;
    let versions = || async {
        send(
            &app,
            post("/api/v5/artifacts/auths/history", &keys.admin).set_json(json!({"auth_id": id})),
        )
        .await
        .1["total_count"]
            .as_u64()
            .unwrap()
    };
    let before_versions = versions().await;

    let (s, c) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin).set_json(
            json!({"dry_run": true, "auths": [
                {"name": "Brand New", "protocol_ids": ["protocol-oidc"], "item_ids": [pw["id"]]},
                {"name": "Corp", "protocol_ids": ["protocol-oidc"]},
                {"name": "brand new", "protocol_ids": ["protocol-oidc"]},
            ]}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["dry_run"], true);
    assert_eq!(
        (
            c["results"][0]["success"].as_bool(),
            c["results"][0]["version"].as_i64()
        ),
        (Some(true), Some(1)),
        "{c}"
    );
    let fields: Vec<&str> = c["results"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "flag", "protocols", "items"]);
    assert_eq!(
        c["results"][1]["error"]["code"], "conflict",
        "the real write's checks: a taken name"
    );
    assert_eq!(
        c["results"][2]["error"]["code"], "conflict",
        "an item sees the items before it, as in the real write"
    );

    let (_, u) = send(
        &app,
        post("/api/v5/artifacts/auths/update", &keys.admin).set_json(json!({"dry_run": true, "auths": [
            {"auth_id": id, "expected_version": 1, "name": "Corp Renamed", "item_ids": [pw["id"]]},
            {"auth_id": id, "expected_version": 7, "name": "Stale"},
            {"auth_id": id, "expected_version": 2, "name": "Corp Renamed"},
        ]})),
    )
    .await;
    assert_eq!(
        (
            u["results"][0]["version"].as_i64(),
            u["results"][0]["changed"].as_bool()
        ),
        (Some(2), Some(true)),
        "{u}"
    );
    let fields: Vec<&str> = u["results"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "items"]);
    assert_eq!(u["results"][1]["error"]["code"], "conflict");
    assert_eq!(
        (
            u["results"][2]["changed"].as_bool(),
            u["results"][2]["version"].as_i64(),
            u["results"][2]["changes"].clone()
        ),
        (Some(false), Some(2), json!([])),
        "a write that changes nothing (after the first item, as the real write would see it)"
    );

    let (_, d) = send(
        &app,
        post("/api/v5/artifacts/auths/delete", &keys.admin)
            .set_json(json!({"dry_run": true, "auth_ids": [id, "nope"]})),
    )
    .await;
    assert_eq!(
        (d["dry_run"].as_bool(), d["results"][0]["success"].as_bool()),
        (Some(true), Some(true)),
        "{d}"
    );
    assert_eq!(d["results"][0]["changes"][0]["after"], Value::Null);
    assert_eq!(d["results"][1]["error"]["code"], "not_found");

    for answer in [&c, &u, &d] {
        assert!(!answer.to_string().contains(CANARY), "{answer}");
    }
    assert_eq!(
        count("/api/v5/audit?page_size=1").await,
        audit,
        "no audit record"
    );
    assert_eq!(
        count("/api/v5/catalog/names?page_size=1").await,
        names,
        "no catalog entry"
    );
    assert_eq!(versions().await, before_versions, "no version");
    let (_, got) = send(
        &app,
        post("/api/v5/artifacts/auths/get", &keys.admin).set_json(json!({"auth_id": id})),
    )
    .await;
    assert_eq!(
        (
            got["names"]["value"]["label"].as_str(),
            got["version"].as_i64()
        ),
        (Some("Corp"), Some(1))
    );

    // A real write that changes nothing answers changed: false and the same version.
    let (_, u) = send(
        &app,
        post("/api/v5/artifacts/auths/update", &keys.admin)
            .set_json(json!({"auths": [{"auth_id": id, "expected_version": 1, "name": "Corp"}]})),
    )
    .await;
    assert_eq!(
        (
            u["results"][0]["changed"].as_bool(),
            u["results"][0]["version"].as_i64()
        ),
        (Some(false), Some(1)),
        "{u}"
    );
    assert_eq!(count("/api/v5/audit?page_size=1").await, audit);
}
