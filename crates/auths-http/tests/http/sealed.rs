//! Bounded, sealed, revocable (issue "Bounded, sealed, revocable"): one named test a
//! finding of the review that asked for it, as far as it is built.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::test::{TestRequest, call_service};
use auths_domain::Role;
use auths_store::testing::TestDb;
use serde_json::json;

use crate::support::{key, post, send, service};

crate::on_both_backends!(
    any_mcp_header_marks_an_agents_call,
    a_v5_body_must_say_it_is_json,
    every_answer_carries_the_security_headers,
    a_refused_credential_gets_no_basic_challenge,
    a_revoked_key_is_refused_at_once_here_and_within_a_second_elsewhere,
    a_department_search_is_no_longer_than_a_label,
    a_draft_keeps_wrong_values_but_none_past_the_publish_bounds,
    drafts_are_counted_and_paged,
    a_draft_holds_at_most_64_ki_characters,
    exports_expire_and_are_bounded_per_key,
    foreman_per_page_all_answers_every_auth_in_batches,
);

const CREATE: &str = "/api/v5/artifacts/auths/create";

fn create_body() -> serde_json::Value {
    json!({"auths": [{"name": "Agent's auth", "protocol_ids": ["protocol-ldap"]}]})
}

async fn any_mcp_header_marks_an_agents_call(t: TestDb) {
    let (data, _keys) = service(&t);
    let app = crate::app!(data);
    // An editor whose key may not make MCP writes.
    let editor = key(&data, "agent-editor", Role::Editor, &[], false);
    let empty = HeaderValue::from_static("");
    let latin1 = HeaderValue::from_bytes(b"caf\xe9").unwrap();
    for (what, values) in [
        ("empty", vec![empty.clone()]),
        ("blank", vec![HeaderValue::from_static("   ")]),
        ("not ASCII", vec![latin1]),
        ("repeated", vec![empty, HeaderValue::from_static("claude")]),
    ] {
        let mut req = post(CREATE, &editor).set_json(create_body());
        for v in values {
            req = req.append_header((HeaderName::from_static("x-mcp"), v));
        }
        let (s, b) = send(&app, req).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{what}: {b}");
    }
    // Without the header, the same call is an ordinary one.
    let (s, b) = send(&app, post(CREATE, &editor).set_json(create_body())).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn a_v5_body_must_say_it_is_json(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let body = create_body().to_string();
    // No Content-Type, or a form's, or text: 415, and nothing is created.
    for content_type in [
        None,
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
    ] {
        let mut req = post(CREATE, &keys.admin).set_payload(body.clone());
        if let Some(ct) = content_type {
            req = req.insert_header(("Content-Type", ct));
        }
        let (s, b) = send(&app, req).await;
        assert_eq!(
            s,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}: {b}"
        );
    }
    let (_, found) = send(
        &app,
        post("/api/v5/artifacts/auths/search", &keys.admin).set_json(json!({})),
    )
    .await;
    assert_eq!(found["total_count"], 0, "{found}");
    // An operation without a body still needs no Content-Type.
    let (s, b) = send(&app, post("/api/v5/artifacts/auths/drafts", &keys.admin)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn every_answer_carries_the_security_headers(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let requests = [
        TestRequest::get().uri("/healthz"),
        TestRequest::get().uri("/api/v5/openapi.json"),
        TestRequest::get().uri("/api/v5/catalog/protocols"),
        TestRequest::get()
            .uri("/api/v5/catalog/protocols")
            .insert_header(("X-Api-Key", keys.admin.clone())),
        TestRequest::get()
            .uri("/api/auth_source_externals")
            .insert_header(("X-Api-Key", keys.admin.clone())),
        TestRequest::get().uri("/apidoc/v2.json"),
        // (The admin page at `/` is revalidated instead: tests/http/admin.rs.)
        TestRequest::get().uri("/admin/no-such-file.js"),
        TestRequest::post().uri("/no/such/path"),
    ];
    for req in requests {
        let res = call_service(&app, req.to_request()).await;
        let path = res.request().path().to_owned();
        let h = res.headers();
        for (name, want) in [
            ("cache-control", "no-store"),
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
        ] {
            assert_eq!(
                h.get(name).and_then(|v| v.to_str().ok()),
                Some(want),
                "{path} ({}): {name}",
                res.status()
            );
        }
    }
}

async fn a_refused_credential_gets_no_basic_challenge(t: TestDb) {
    let (data, _keys) = service(&t);
    let app = crate::app!(data);
    for uri in ["/api/v5/catalog/protocols", "/api/auth_source_externals"] {
        let res = call_service(&app, TestRequest::get().uri(uri).to_request()).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{uri}");
        let challenge = res
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(challenge.starts_with("Bearer"), "{uri}: {challenge}");
        assert!(!challenge.contains("Basic"), "{uri}: {challenge}");
    }
}

async fn a_revoked_key_is_refused_at_once_here_and_within_a_second_elsewhere(t: TestDb) {
    use auths_app::{AppError, AuthService, Credential, Settings};
    use std::time::{Duration, Instant};
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    // Another instance on the same database: its own pool, its own key cache.
    let elsewhere = AuthService::new(
        auths_store::Db::open(&t.url, &auths_store::PoolOptions::default()).unwrap(),
        Settings {
            data_dir: keys.data_dir.path().to_owned(),
            ..Settings::default()
        },
    );
    let doomed = key(&data, "doomed", Role::Editor, &[], false);
    let credential = Credential {
        key: doomed.clone(),
        name: None,
    };
    let protocols = || {
        TestRequest::get()
            .uri("/api/v5/catalog/protocols")
            .insert_header(("X-Api-Key", doomed.clone()))
    };
    // Both have verified it, and keep it.
    assert!(elsewhere.authenticate(&credential).is_ok());
    assert_eq!(send(&app, protocols()).await.0, StatusCode::OK);
    assert!(elsewhere.authenticate(&credential).is_ok(), "cached");

    data.revoke_key("doomed").unwrap();
    assert_eq!(
        send(&app, protocols()).await.0,
        StatusCode::UNAUTHORIZED,
        "refused at once where it was revoked"
    );
    let revoked = Instant::now();
    loop {
        match elsewhere.authenticate(&credential) {
            Err(AppError::Unauthenticated) => break,
            Ok(_) => {
                assert!(
                    revoked.elapsed() < Duration::from_secs(1),
                    "still accepted elsewhere after a second"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("{e}"),
        }
    }
}

async fn a_department_search_is_no_longer_than_a_label(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let search = |needle: String| {
        post("/api/v5/artifacts/auths/search", &keys.admin)
            .set_json(json!({"department_search": needle}))
    };
    let (s, b) = send(&app, search("x".repeat(255))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Past it: refused, not echoed (3 MB came back in the answer before).
    let (s, b) = send(&app, search("x".repeat(256))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b.to_string().len() < 1000, "{}", b.to_string().len());
}

async fn a_draft_keeps_wrong_values_but_none_past_the_publish_bounds(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let draft = |body: serde_json::Value| {
        actix_web::test::TestRequest::patch()
            .uri("/api/v5/artifacts/auths/draft")
            .insert_header(("X-Api-Key", keys.admin.clone()))
            .set_json(body)
    };
    // A wrong but bounded value is kept, for the form to show.
    let (s, b) = send(
        &app,
        draft(json!({"expected_version": 0, "name": " ", "slug_ids": ["?"]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Past the bounds publishing has, nothing is kept (the review stored 63 MB).
    for (body, field) in [
        (
            json!({"expected_version": 0, "name": "n".repeat(256)}),
            "name",
        ),
        (
            json!({"expected_version": 0, "description": "d".repeat(4097)}),
            "description",
        ),
        (
            json!({"expected_version": 0, "item_ids": ["i".repeat(129)]}),
            "item_ids",
        ),
        (
            json!({"expected_version": 0, "flag_id": "f".repeat(129)}),
            "flag_id",
        ),
    ] {
        let (s, b) = send(&app, draft(body)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {b}");
        assert!(b.to_string().contains(field), "{field}: {b}");
        assert!(
            b.to_string().len() < 2000,
            "{field}: the value is not echoed"
        );
    }
    let (_, list) = send(&app, post("/api/v5/artifacts/auths/drafts", &keys.admin)).await;
    assert_eq!(list["entries"].as_array().map(Vec::len), Some(1), "{list}");
}

async fn drafts_are_counted_and_paged(t: TestDb) {
    use auths_domain::draft::MAX_DRAFTS_PER_PRINCIPAL;
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let draft = |key: &str, body: serde_json::Value| {
        TestRequest::patch()
            .uri("/api/v5/artifacts/auths/draft")
            .insert_header(("X-Api-Key", key.to_owned()))
            .set_json(body)
    };
    let drafts = "/api/v5/artifacts/auths/drafts";
    // The first draft can be published; the others are work in progress.
    let (s, first) = send(
        &app,
        draft(
            &keys.admin,
            json!({"expected_version": 0, "name": "Draft 0", "protocol_ids": ["protocol-ldap"]}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{first}");
    for i in 1..MAX_DRAFTS_PER_PRINCIPAL {
        let (s, b) = send(
            &app,
            draft(
                &keys.admin,
                json!({"expected_version": 0, "name": format!("Draft {i}")}),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "draft {i}: {b}");
    }
    // One more is refused, with a conflict that says what to do.
    let (s, b) = send(&app, draft(&keys.admin, json!({"expected_version": 0}))).await;
    crate::support::assert_error(s, &b, 409, "conflict");
    let message = b["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("500 drafts"), "{b}");
    assert!(message.contains("publish or delete"), "{b}");
    // Editing one it keeps is still allowed.
    let (s, b) = send(
        &app,
        draft(
            &keys.admin,
            json!({"input_draft_id": first["draft_id"], "expected_version": 1, "description": "kept"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // The limit is a key's: another editor starts drafts of its own.
    let editor = key(&data, "drafting-editor", Role::Editor, &[], false);
    let (s, b) = send(&app, draft(&editor, json!({"expected_version": 0}))).await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // The list is paged (25 by default), newest first, with the count.
    let (s, b) = send(&app, post(drafts, &keys.admin)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["total_count"], 500, "{}", b["total_count"]);
    assert_eq!(b["entries"].as_array().map(Vec::len), Some(25));
    assert_eq!(
        b["entries"][0]["draft_id"], first["draft_id"],
        "the edited one is newest"
    );
    let (_, b) = send(
        &app,
        post(drafts, &keys.admin).set_json(json!({"page_size": 100})),
    )
    .await;
    assert_eq!(b["entries"].as_array().map(Vec::len), Some(100));
    let (_, b) = send(
        &app,
        post(drafts, &keys.admin).set_json(json!({"page_size": 20, "page_offset": 490})),
    )
    .await;
    assert_eq!(b["entries"].as_array().map(Vec::len), Some(10));
    assert_eq!(b["total_count"], 500);
    let (_, b) = send(&app, post(drafts, &editor)).await;
    assert_eq!(
        b["total_count"], 1,
        "another key's drafts are not counted: {b}"
    );
    for body in [
        json!({"page_size": 101}),
        json!({"page_size": 0}),
        json!({"page_offset": -1}),
    ] {
        let (s, b) = send(&app, post(drafts, &keys.admin).set_json(body.clone())).await;
        crate::support::assert_error(s, &b, 400, "bad_request");
    }

    // Publishing a draft makes room for a new one.
    let (s, b) = send(
        &app,
        post(CREATE, &keys.admin).set_json(json!({"auths": [{"draft_id": first["draft_id"]}]})),
    )
    .await;
    assert_eq!(b["results"][0]["success"], true, "{s} {b}");
    let (s, b) = send(&app, draft(&keys.admin, json!({"expected_version": 0}))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = send(&app, draft(&keys.admin, json!({"expected_version": 0}))).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
}

async fn exports_expire_and_are_bounded_per_key(t: TestDb) {
    use auths_app::{AuthService, Settings};
    use auths_domain::upload::MAX_EXPORTS_PER_PRINCIPAL;
    use auths_domain::{Store, UploadRepository};
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let export = "/api/v5/artifacts/auths/export";
    let files = || {
        std::fs::read_dir(keys.data_dir.path().join("uploads"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let download = |id: &serde_json::Value, key: &str| {
        TestRequest::get()
            .uri(&format!("/api/v5/uploads/{}", id.as_str().unwrap_or("?")))
            .insert_header(("X-Api-Key", key.to_owned()))
            .to_request()
    };
    let editor = key(&data, "exporting-editor", Role::Editor, &[], false);

    // Past the retention, a file answers 404, and the next export (or a start) removes
    // it with its record.
    let short = actix_web::web::Data::new(AuthService::new(
        t.db.clone(),
        Settings {
            data_dir: keys.data_dir.path().to_owned(),
            export_retention: std::time::Duration::from_secs(2),
            ..Settings::default()
        },
    ));
    let short_app = crate::app!(short);
    let (_, kept) = send(&short_app, post(export, &keys.admin)).await;
    let res = call_service(&short_app, download(&kept["upload_id"], &keys.admin)).await;
    assert_eq!(res.status(), StatusCode::OK);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let res = call_service(&short_app, download(&kept["upload_id"], &keys.admin)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "expired");
    assert_eq!(files(), 1, "not removed before the next export");
    let (s, fresh) = send(&short_app, post(export, &editor)).await;
    assert_eq!(s, StatusCode::OK, "{fresh}");
    assert_eq!(files(), 1, "only the new export is left");
    let res = call_service(&short_app, download(&fresh["upload_id"], &editor)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let gone = kept["upload_id"].as_str().unwrap_or_default().to_owned();
    let row = short.store().read(|tx| tx.upload_by_id(&gone)).unwrap();
    assert!(row.is_none(), "expired records are removed too");
    // At start-up, the same clean-up.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(short.remove_expired_exports().unwrap(), 1);
    assert_eq!(files(), 0);

    // A key keeps its newest 20 files: the 21st export removes the oldest.
    let mut made = Vec::new();
    for _ in 0..=MAX_EXPORTS_PER_PRINCIPAL {
        let (s, b) = send(&app, post(export, &keys.admin)).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        made.push(b["upload_id"].clone());
    }
    assert_eq!(files(), 20);
    let res = call_service(&app, download(&made[0], &keys.admin)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "the oldest went");
    let res = call_service(&app, download(&made[1], &keys.admin)).await;
    assert_eq!(res.status(), StatusCode::OK, "the 20 newest stay");
    let first = made[0].as_str().unwrap_or_default().to_owned();
    let row = data.store().read(|tx| tx.upload_by_id(&first)).unwrap();
    assert!(row.is_none(), "its record went with it");
    // The quota is a key's own: another key's export removes none of these.
    let (s, _) = send(&app, post(export, &editor)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(files(), 21);
}

async fn foreman_per_page_all_answers_every_auth_in_batches(t: TestDb) {
    // More records than a batch (500) several times over, and more than one statement
    // could bind on SQLite if the index loaded them at once.
    const N: usize = 2400;
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let caller = auths_app::audit::cli_caller();
    let items: Vec<auths_app::CreateItem> = (0..N)
        .map(|n| auths_app::CreateItem {
            draft_id: None,
            fields: auths_domain::RawFields {
                name: Some(format!("Ext {n:04}")),
                protocol_ids: Some(vec!["protocol-external".into()]),
                ..auths_domain::RawFields::default()
            },
        })
        .collect();
    for chunk in items.chunks(1000) {
        let results = data.create_many(&caller, chunk).unwrap();
        assert!(results.iter().all(Result::is_ok));
    }
    // Not external: counted nowhere here.
    let (s, b) = send(
        &app,
        post(CREATE, &keys.admin)
            .set_json(json!({"auths": [{"name": "Corp LDAP", "protocol_ids": ["protocol-ldap"]}]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let get = |uri: &str| {
        TestRequest::get()
            .uri(uri)
            .insert_header(("X-Api-Key", keys.viewer.clone()))
    };
    let ids = |b: &serde_json::Value| -> Vec<i64> {
        b["results"]
            .as_array()
            .map(|r| r.iter().filter_map(|x| x["id"].as_i64()).collect())
            .unwrap_or_default()
    };
    let index = "/api/auth_source_externals";
    for per_page in ["all", "ALL", "4294967296"] {
        let (s, b) = send(&app, get(&format!("{index}?per_page={per_page}"))).await;
        assert_eq!(s, StatusCode::OK, "{per_page}");
        assert_eq!(
            (b["total"].as_u64(), b["subtotal"].as_u64()),
            (Some(2400), Some(2400))
        );
        let want = if per_page == "4294967296" {
            4_294_967_296_u64
        } else {
            2400
        };
        assert_eq!(b["per_page"], want, "{per_page}: per_page as asked");
        let found = ids(&b);
        assert_eq!(found.len(), N, "{per_page}: every row");
        assert!(found.windows(2).all(|w| w[0] < w[1]), "by id, once each");
        assert_eq!(b["results"][0]["name"], "Ext 0000");
        assert!(b["results"][0]["locations"].is_array());
    }
    // A long page of a number starts where it should and stops at its size.
    let (_, all) = send(&app, get(&format!("{index}?per_page=all"))).await;
    let every = ids(&all);
    let (s, b) = send(&app, get(&format!("{index}?per_page=1000&page=2"))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ids(&b), every[1000..2000]);
    let (_, b) = send(&app, get(&format!("{index}?per_page=1000&page=3"))).await;
    assert_eq!(ids(&b), every[2000..]);
    let (_, b) = send(&app, get(&format!("{index}?per_page=all&page=2"))).await;
    assert_eq!(ids(&b).len(), 0, "past the last page: {}", b["per_page"]);
    assert_eq!(b["per_page"], 2400);
    // The search, its subtotal and the order hold across batches.
    let (s, b) = send(
        &app,
        get(&format!(
            "{index}?per_page=all&search=name%20~%20%22Ext%201%22&order=name%20DESC"
        )),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", b["error"]);
    assert_eq!(
        (b["total"].as_u64(), b["subtotal"].as_u64()),
        (Some(2400), Some(1000))
    );
    assert_eq!(ids(&b).len(), 1000);
    assert_eq!(b["results"][0]["name"], "Ext 1999");
    assert_eq!(b["results"][999]["name"], "Ext 1000");
    // A bad search is still a 400 before anything is written.
    let (s, _) = send(
        &app,
        get(&format!("{index}?per_page=all&search=foo%20%3D%201")),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Taxonomies likewise.
    let (s, b) = send(&app, get("/api/locations?per_page=all")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["results"].as_array().map(Vec::len),
        b["total"].as_u64().map(|n| n as usize)
    );
}

async fn a_draft_holds_at_most_64_ki_characters(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let draft = |body: serde_json::Value| {
        TestRequest::patch()
            .uri("/api/v5/artifacts/auths/draft")
            .insert_header(("X-Api-Key", keys.admin.clone()))
            .set_json(body)
    };
    // Every field within its own bound, the whole past 64 Ki characters: five lists of
    // 200 ids of 128 characters (128,000).
    let ids = |p: &str| -> Vec<String> { (0..200).map(|i| format!("{p}{i:0>127}")).collect() };
    let roomy = crate::roomy_app!(data);
    let (s, b) = send(
        &roomy,
        draft(
            json!({"expected_version": 0, "name": "Huge", "slug_ids": ids("s"),
            "department_ids": ids("d"), "location_ids": ids("l"), "item_ids": ids("i"),
            "protocol_ids": ids("p")}),
        ),
    )
    .await;
    crate::support::assert_error(s, &b, 422, "validation_failed");
    assert_eq!(b["error"]["details"][0]["field"], "draft", "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("65536"),
        "{b}"
    );
    // A draft that grows past it by edits is refused too, and keeps what it had.
    let (s, first) = send(
        &roomy,
        draft(json!({"expected_version": 0, "name": "Growing", "slug_ids": ids("s")})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let (s, b) = send(
        &roomy,
        draft(
            json!({"input_draft_id": first["draft_id"], "expected_version": 1,
            "department_ids": ids("d"), "location_ids": ids("l"), "item_ids": ids("i")}),
        ),
    )
    .await;
    crate::support::assert_error(s, &b, 422, "validation_failed");
    let (_, list) = send(&app, post("/api/v5/artifacts/auths/drafts", &keys.admin)).await;
    assert_eq!(list["total_count"], 1);
    assert_eq!(
        list["entries"][0]["version"], 1,
        "unchanged: {}",
        list["entries"][0]["version"]
    );
}
