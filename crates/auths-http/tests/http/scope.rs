//! Department scope on shared auths and shared catalog entries, and bad input stopped
//! at the edge (from a review of the first version).

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use auths_domain::{EntryId, Role};
use auths_store::testing::TestDb;
use serde_json::json;

use crate::support::{assert_error, key, post, send, service};

crate::on_both_backends!(
    shared_auths_change_only_in_the_callers_departments,
    shared_catalog_entries_are_changed_only_by_all_their_editors,
    bad_input_is_stopped_at_the_edge,
);

macro_rules! departments {
    ($app:expr, $key:expr) => {{
        let mut ids = Vec::new();
        for label in ["Finance", "HR"] {
            let (_, b) = send($app, post("/api/v5/catalog/departments", $key).set_json(json!({"label": label}))).await;
            ids.push(b["id"].as_str().unwrap().to_owned());
        }
        ids
    }};
}

async fn shared_auths_change_only_in_the_callers_departments(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let d = departments!(&app, &keys.admin);
    let (_, b) = send(&app, post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": [{"name": "Shared", "protocol_ids": ["protocol-ldap"], "department_ids": [d[0], d[1]]}]}))).await;
    let id = b["results"][0]["auth_id"].as_str().unwrap().to_owned();
    let fin = key(
        &data,
        "fin",
        Role::Editor,
        &[&EntryId::parse(&d[0]).unwrap()],
        false,
    );
    let update = |body: serde_json::Value| {
        post("/api/v5/artifacts/auths/update", &fin).set_json(json!({"auths": [body]}))
    };

    let (_, b) = send(
        &app,
        update(json!({"auth_id": id, "description": "edited by Finance"})),
    )
    .await;
    assert_eq!(
        b["results"][0]["success"], true,
        "a shared auth is editable: {b}"
    );
    let (_, b) = send(
        &app,
        update(json!({"auth_id": id, "department_ids": [d[0]]})),
    )
    .await;
    assert_eq!(
        b["results"][0]["error"]["code"], "forbidden",
        "HR is not Finance's to remove: {b}"
    );
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/delete", &fin).set_json(json!({"auth_ids": [id]})),
    )
    .await;
    assert_eq!(
        b["results"][0]["error"]["code"], "forbidden",
        "deleting takes it from HR too: {b}"
    );
    let (_, form) = send(
        &app,
        post("/api/v5/artifacts/auths/get", &keys.admin).set_json(json!({"auth_id": id})),
    )
    .await;
    assert_eq!(form["departments"]["values"].as_array().unwrap().len(), 2);
}

async fn shared_catalog_entries_are_changed_only_by_all_their_editors(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let d = departments!(&app, &keys.admin);
    let (_, item) = send(
        &app,
        post("/api/v5/catalog/items", &keys.admin)
            .set_json(json!({"key": "host", "value": "ldap.hr.example", "secret": false})),
    )
    .await;
    let item = item["id"].as_str().unwrap().to_owned();
    let (_, b) = send(&app, post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": [{"name": "HR LDAP", "protocol_ids": ["protocol-ldap"], "department_ids": [d[1]], "item_ids": [item]}]}))).await;
    assert_eq!(b["results"][0]["success"], true);
    let fin = key(
        &data,
        "fin",
        Role::Editor,
        &[&EntryId::parse(&d[0]).unwrap()],
        false,
    );
    let patch = |key: &str, uri: String, body: serde_json::Value| {
        TestRequest::patch()
            .uri(&uri)
            .insert_header(("X-Api-Key", key.to_owned()))
            .set_json(body)
    };
    let (s, b) = send(
        &app,
        patch(
            &fin,
            format!("/api/v5/catalog/items/{item}"),
            json!({"key": "host", "value": "ldap.evil.example", "secret": false}),
        ),
    )
    .await;
    // An entry only HR's auths use is not Finance's to see: not found, as a missing
    // one (the one scope rule of the server spec).
    assert_error(s, &b, 404, "not_found");
    let (s, b) = send(
        &app,
        patch(
            &fin,
            format!("/api/v5/catalog/departments/{}", d[1]),
            json!({"label": "Human Resources"}),
        ),
    )
    .await;
    assert_error(s, &b, 404, "not_found");
    // An HR editor may, and HR's editors see the change in the audit log.
    let hr = key(
        &data,
        "hr",
        Role::Editor,
        &[&EntryId::parse(&d[1]).unwrap()],
        false,
    );
    let (s, b) = send(
        &app,
        patch(
            &hr,
            format!("/api/v5/catalog/items/{item}"),
            json!({"key": "host", "value": "ldap2.hr.example", "secret": false}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, log) = send(
        &app,
        TestRequest::get()
            .uri("/api/v5/audit")
            .insert_header(("X-Api-Key", hr.clone())),
    )
    .await;
    assert!(
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["operation"] == "catalog.update"),
        "{log}"
    );
    let (_, log) = send(
        &app,
        TestRequest::get()
            .uri("/api/v5/audit")
            .insert_header(("X-Api-Key", fin.clone())),
    )
    .await;
    assert!(
        !log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["operation"] == "catalog.update"),
        "{log}"
    );
}

async fn bad_input_is_stopped_at_the_edge(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let (s, b) = send(
        &app,
        post("/api/v5/catalog/items", &keys.admin)
            .set_json(json!({"key": "k", "value": "a\u{0}b", "secret": false})),
    )
    .await;
    assert_error(s, &b, 400, "bad_request");
    let (s, b) = send(
        &app,
        TestRequest::get()
            .uri("/api/v5/catalog/names?search=%00")
            .insert_header(("X-Api-Key", keys.admin.clone())),
    )
    .await;
    assert_error(s, &b, 400, "bad_request");
    let (s, b) = send(
        &app,
        TestRequest::get()
            .uri("/api/auth_source_externals?search=%00")
            .insert_header(("X-Api-Key", keys.admin.clone())),
    )
    .await;
    assert_eq!(s.as_u16(), 400, "{b}");

    // A list longer than a section may hold is refused before it reaches a query.
    let many: Vec<String> = (0..5000).map(|i| format!("p{i}")).collect();
    let roomy = crate::roomy_app!(data);
    let (_, b) = send(
        &roomy,
        post("/api/v5/artifacts/auths/create", &keys.admin)
            .set_json(json!({"auths": [{"name": "x", "protocol_ids": many}]})),
    )
    .await;
    assert_eq!(
        b["results"][0]["error"]["code"],
        "validation_failed",
        "{}",
        b.to_string().chars().take(300).collect::<String>()
    );
    let (s, b) = send(
        &roomy,
        post("/api/v5/artifacts/auths/search", &keys.admin)
            .set_json(json!({"filter_department_ids": many})),
    )
    .await;
    assert_error(s, &b, 400, "bad_request");
    let (s, b) = send(
        &roomy,
        TestRequest::patch()
            .uri("/api/v5/artifacts/auths/draft")
            .insert_header(("X-Api-Key", keys.admin.clone()))
            .set_json(json!({"expected_version": 0, "slug_ids": many})),
    )
    .await;
    assert_error(s, &b, 422, "validation_failed");

    // draft_id comes alone, whatever the other fields hold.
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/update", &keys.admin)
            .set_json(json!({"auths": [{"auth_id": "a", "draft_id": "d", "name": ""}]})),
    )
    .await;
    assert_eq!(b["results"][0]["error"]["code"], "validation_failed", "{b}");
    // Operations without a body refuse fields.
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/drafts", &keys.admin).set_json(json!({"x": 1})),
    )
    .await;
    assert_error(s, &b, 400, "bad_request");
    // Draft records in the audit log carry no values (only the owner sees a draft).
    let (_, d) = send(
        &app,
        TestRequest::patch()
            .uri("/api/v5/artifacts/auths/draft")
            .insert_header(("X-Api-Key", keys.admin.clone()))
            .set_json(json!({"expected_version": 0, "name": "Private draft text"})),
    )
    .await;
    assert_eq!(d["success"], true);
    let (_, log) = send(
        &app,
        TestRequest::get()
            .uri("/api/v5/audit")
            .insert_header(("X-Api-Key", keys.admin.clone())),
    )
    .await;
    assert!(
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["operation"] == "draft.create")
    );
    assert!(!log.to_string().contains("Private draft text"), "{log}");
}
