//! The Foreman-compatible API: envelope, paging, search, show, update, taxonomy
//! scoping, Foreman's bodies and headers.

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, read_body};
use auths_domain::{EntryId, Role};
use auths_store::testing::TestDb;
use base64::Engine;
use serde_json::{Value, json};

use crate::support::{key, post, send, service};

crate::on_both_backends!(
    index_envelope_paging_search_and_order,
    show_update_and_taxonomy_scoping,
    foreman_errors_and_headers,
);

fn get(uri: &str, key: &str) -> TestRequest {
    TestRequest::get()
        .uri(uri)
        .insert_header(("X-Api-Key", key.to_owned()))
}

macro_rules! setup {
    ($t:expr) => {{
        let (data, keys) = service(&$t);
        let app = crate::app!(data);
        let mut tax = Vec::new();
        for (kind, label) in [("locations", "Location 1"), ("locations", "Location 2"), ("departments", "Organization 1"), ("departments", "Organization 2")] {
            let (s, b) = send(&app, post(&format!("/api/v5/catalog/{kind}"), &keys.admin).set_json(json!({"label": label}))).await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            tax.push(b["id"].as_str().unwrap().to_owned());
        }
        let items = json!([
            {"name": "External", "protocol_ids": ["protocol-external"], "location_ids": [tax[0]], "department_ids": [tax[2]]},
            {"name": "Kiosk", "protocol_ids": ["protocol-external"], "location_ids": [tax[1]], "department_ids": [tax[3]]},
            {"name": "Corp LDAP", "protocol_ids": ["protocol-ldap"], "location_ids": [tax[0]]},
        ]);
        let (_, b) = send(&app, post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": items}))).await;
        assert!(b["results"].as_array().unwrap().iter().all(|r| r["success"] == true), "{b}");
        let (_, idx) = send(&app, get("/api/auth_source_externals", &keys.admin)).await;
        let ids: Vec<i64> = idx["results"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
        let (_, locs) = send(&app, get("/api/locations", &keys.admin)).await;
        let (_, orgs) = send(&app, get("/api/organizations", &keys.admin)).await;
        let num = |v: &Value, i: usize| v["results"][i]["id"].as_i64().unwrap();
        ((data, keys, app), ids, [num(&locs, 0), num(&locs, 1)], [num(&orgs, 0), num(&orgs, 1)], tax)
    }};
}

async fn index_envelope_paging_search_and_order(t: TestDb) {
    let ((_data, keys, app), ids, locs, _orgs, _) = setup!(t);
    let (s, b) = send(&app, get("/api/auth_source_externals", &keys.viewer)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b.as_object().unwrap().keys().collect::<Vec<_>>(),
        [
            "page", "per_page", "results", "search", "sort", "subtotal", "total"
        ]
    );
    assert_eq!(
        (
            b["total"].as_u64(),
            b["subtotal"].as_u64(),
            b["page"].as_u64(),
            b["per_page"].as_u64()
        ),
        (Some(2), Some(2), Some(1), Some(20))
    );
    assert_eq!(b["search"], Value::Null);
    assert_eq!(b["sort"], json!({"by": null, "order": null}));
    assert_eq!(ids.len(), 2, "only externals");
    assert!(ids[0] < ids[1], "default order id ASC");
    let item = &b["results"][0];
    assert_eq!(item["name"], "External");
    assert_eq!(
        item["locations"],
        json!([{"id": locs[0], "name": "Location 1", "title": "Location 1", "description": null}])
    );
    let ts = item["created_at"].as_str().unwrap();
    assert!(
        ts.ends_with(" UTC") && ts.len() == 23,
        "Foreman's timestamp format: {ts}"
    );

    // Keys in Foreman's order, read from the raw body.
    let res = call_service(
        &app,
        get("/api/auth_source_externals", &keys.viewer).to_request(),
    )
    .await;
    let raw = String::from_utf8(read_body(res).await.to_vec()).unwrap();
    let pos = |k: &str| raw.find(&format!("\"{k}\":")).unwrap();
    assert!(
        pos("total") < pos("subtotal")
            && pos("subtotal") < pos("page")
            && pos("sort") < pos("results"),
        "{raw}"
    );
    assert!(
        pos("id") < pos("name")
            && pos("name") < pos("created_at")
            && pos("updated_at") < pos("locations")
            && pos("locations") < pos("organizations"),
        "{raw}"
    );

    let (_, b) = send(
        &app,
        get(
            "/api/auth_source_externals?search=name%20~%20kio&order=name%20DESC",
            &keys.viewer,
        ),
    )
    .await;
    assert_eq!(
        (b["total"].as_u64(), b["subtotal"].as_u64()),
        (Some(2), Some(1)),
        "{b}"
    );
    assert_eq!(b["search"], "name ~ kio");
    assert_eq!(b["sort"], json!({"by": "name", "order": "DESC"}));
    let (_, b) = send(
        &app,
        get("/api/auth_source_externals?order=name", &keys.viewer),
    )
    .await;
    assert_eq!(b["sort"], json!({"by": "name", "order": "ASC"}));
    let (_, b) = send(
        &app,
        get("/api/auth_source_externals?per_page=all", &keys.viewer),
    )
    .await;
    assert_eq!(b["per_page"], 2, "per_page all is the total");
    let (_, b) = send(
        &app,
        get(
            "/api/auth_source_externals?per_page=4294967296&page=1",
            &keys.viewer,
        ),
    )
    .await;
    assert_eq!(
        (
            b["per_page"].as_u64(),
            b["results"].as_array().unwrap().len()
        ),
        (Some(4294967296), 2)
    );
    let (_, b) = send(
        &app,
        get("/api/auth_source_externals?per_page=1&page=2", &keys.viewer),
    )
    .await;
    assert_eq!(b["results"][0]["id"], ids[1]);
    let (_, b) = send(
        &app,
        get("/api/auth_source_externals?per_page=1&page=9", &keys.viewer),
    )
    .await;
    assert_eq!(b["results"], json!([]), "past the last page");
    // Aliases.
    for uri in [
        "/api/v2/auth_source_externals",
        "/api/auth_source_externals.json",
        "/api/v2/auth_source_externals.json",
    ] {
        assert_eq!(
            send(&app, get(uri, &keys.viewer)).await.1["total"],
            2,
            "{uri}"
        );
    }
    // Nested and query-parameter taxonomy scoping.
    let (s, b) = send(
        &app,
        get(
            &format!("/api/locations/{}/auth_source_externals", locs[1]),
            &keys.viewer,
        ),
    )
    .await;
    assert_eq!((s, b["total"].as_u64()), (StatusCode::OK, Some(1)), "{b}");
    let (_, b) = send(
        &app,
        get(
            &format!("/api/auth_source_externals?location_id={}", locs[0]),
            &keys.viewer,
        ),
    )
    .await;
    assert_eq!(b["results"][0]["name"], "External");
    let (_, b) = send(
        &app,
        get("/api/auth_source_externals?location_id=", &keys.viewer),
    )
    .await;
    assert_eq!(b["total"], 2, "an empty value means any");
}

async fn show_update_and_taxonomy_scoping(t: TestDb) {
    let ((data, keys, app), ids, locs, orgs, tax) = setup!(t);
    let (s, b) = send(
        &app,
        get(
            &format!("/api/auth_source_externals/{}", ids[0]),
            &keys.viewer,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["external_usergroups"], json!([]));
    assert_eq!(b["organizations"][0]["name"], "Organization 1");
    let (s, _) = send(
        &app,
        get(
            &format!("/api/auth_source_externals/{}-external.json", ids[0]),
            &keys.viewer,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "the leading digits are the id");

    let put = |id: i64, key: &str, body: Value| {
        TestRequest::put()
            .uri(&format!("/api/auth_source_externals/{id}"))
            .insert_header(("X-Api-Key", key.to_owned()))
            .set_json(body)
    };
    let (s, b) = send(&app, put(ids[0], &keys.admin, json!({"auth_source_external": {"name": "External SSO", "location_ids": [locs[1]], "organization_names": ["Organization 2"]}}))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["name"], "External SSO");
    assert_eq!(b["locations"][0]["id"], locs[1]);
    assert_eq!(b["organizations"][0]["id"], orgs[1]);
    // One record, two APIs: the rename is a new version in v5, with its audit record.
    let (_, v5) = send(
        &app,
        post("/api/v5/artifacts/auths/search", &keys.admin)
            .set_json(json!({"search": "External SSO"})),
    )
    .await;
    assert_eq!(v5["auths"][0]["version"], 2, "{v5}");
    let auth_id = v5["auths"][0]["auth_id"].as_str().unwrap().to_owned();
    let (_, log) = send(
        &app,
        get(&format!("/api/v5/audit?auth_id={auth_id}"), &keys.admin),
    )
    .await;
    assert_eq!(log["entries"][0]["operation"], "auth.update");

    let (s, b) = send(&app, put(ids[0], &keys.admin, json!({}))).await;
    assert_eq!(
        (s, b["name"].as_str()),
        (StatusCode::OK, Some("External SSO")),
        "an empty hash changes nothing"
    );
    let (s, b) = send(&app, put(ids[0], &keys.admin, json!({"name": "Kiosk"}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(
        b,
        json!({"error": {"id": ids[0], "errors": {"name": ["has already been taken"]}, "full_messages": ["Name has already been taken"]}})
    );
    let (s, b) = send(&app, put(ids[0], &keys.admin, json!({"name": " "}))).await;
    assert_eq!(
        (s.as_u16(), b["error"]["errors"]["name"][0].as_str()),
        (422, Some("can't be blank"))
    );
    let (s, b) = send(
        &app,
        put(
            ids[0],
            &keys.admin,
            json!({"auth_source_external": {"location_names": ["Atlantis"]}}),
        ),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "better than Foreman's 500: {b}"
    );
    assert!(
        b["error"]["full_messages"][0]
            .as_str()
            .unwrap()
            .contains("Atlantis")
    );
    let (s, b) = send(
        &app,
        put(
            ids[0],
            &keys.admin,
            json!({"auth_source_external": {"location_ids": []}}),
        ),
    )
    .await;
    assert_eq!(
        (s, b["locations"].clone()),
        (StatusCode::OK, json!([])),
        "[] clears"
    );

    // Taxonomy scoping.
    let (s, b) = send(
        &app,
        get("/api/auth_source_externals?location_id=999", &keys.viewer),
    )
    .await;
    assert_eq!(
        (s.as_u16(), b),
        (404, json!({"message": "Location with id 999 not found"}))
    );
    let (s, b) = send(
        &app,
        get("/api/organizations/999/auth_source_externals", &keys.viewer),
    )
    .await;
    assert_eq!(
        (s.as_u16(), b),
        (
            404,
            json!({"message": "Organization with id 999 not found"})
        )
    );
    let (s, b) = send(
        &app,
        get(
            &format!(
                "/api/auth_source_externals/{}?organization_id={}",
                ids[1], orgs[0]
            ),
            &keys.viewer,
        ),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "not linked to that organization: {b}"
    );
    assert_eq!(
        b["error"]["message"],
        format!("Resource auth_source_external not found by id '{}'", ids[1])
    );
    let (s, b) = send(&app, get("/api/auth_source_externals/abc", &keys.viewer)).await;
    assert_eq!(
        (s.as_u16(), b["error"]["message"].as_str()),
        (
            404,
            Some("Resource auth_source_external not found by id 'abc'")
        )
    );

    // A department-scoped key sees what it sees through v5, and no more.
    let scoped = key(
        &data,
        "org2",
        Role::Editor,
        &[&EntryId::parse(&tax[3]).unwrap()],
        false,
    );
    let (_, b) = send(&app, get("/api/auth_source_externals", &scoped)).await;
    assert_eq!(
        (b["total"].as_u64(), b["results"].as_array().unwrap().len()),
        (Some(2), 2),
        "both are in Organization 2 now: {b}"
    );
    let (s, b) = send(
        &app,
        get(
            &format!("/api/organizations/{}/auth_source_externals", orgs[0]),
            &scoped,
        ),
    )
    .await;
    assert_eq!(
        (s.as_u16(), b),
        (
            404,
            json!({"message": format!("Organization with id {} not found", orgs[0])})
        )
    );
    let (_, b) = send(&app, get("/api/organizations", &scoped)).await;
    assert_eq!(b["total"], 1, "{b}");
}

async fn foreman_errors_and_headers(t: TestDb) {
    let ((_data, keys, app), ids, locs, _orgs, _) = setup!(t);
    let basic = |name: &str, key: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{name}:{key}"))
        )
    };
    let (s, b) = send(
        &app,
        TestRequest::get()
            .uri("/api/auth_source_externals")
            .insert_header(("Authorization", basic("admin", "wrong"))),
    )
    .await;
    assert_eq!(
        (s.as_u16(), b),
        (
            401,
            json!({"error": {"message": "Unable to authenticate user admin"}})
        )
    );
    let (s, b) = send(
        &app,
        TestRequest::put()
            .uri(&format!("/api/auth_source_externals/{}", ids[0]))
            .insert_header(("Authorization", basic("viewer", &keys.viewer)))
            .set_json(json!({})),
    )
    .await;
    assert_eq!(s.as_u16(), 403);
    assert_eq!(
        b,
        json!({"error": {"message": "Access denied", "details": "Missing one of the required permissions: edit_authenticators", "missing_permissions": ["edit_authenticators"]}})
    );

    let put = || {
        TestRequest::put()
            .uri(&format!("/api/auth_source_externals/{}", ids[0]))
            .insert_header(("X-Api-Key", keys.admin.clone()))
    };
    let (s, _) = send(
        &app,
        put()
            .insert_header(("content-type", "text/plain"))
            .set_payload("{}"),
    )
    .await;
    assert_eq!(s.as_u16(), 415);
    let (s, b) = send(
        &app,
        put()
            .insert_header(("content-type", "application/json; charset=utf-8"))
            .set_payload("{\"name\": "),
    )
    .await;
    assert_eq!(s.as_u16(), 400);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("There was a problem in the JSON you submitted"),
        "{b}"
    );
    // Check order: the taxonomy before the media type, the media type before the record.
    let (s, _) = send(
        &app,
        TestRequest::put()
            .uri(&format!(
                "/api/auth_source_externals/{}?location_id=999",
                ids[0]
            ))
            .insert_header(("X-Api-Key", keys.admin.clone()))
            .insert_header(("content-type", "text/plain")),
    )
    .await;
    assert_eq!(s.as_u16(), 404);
    let (s, _) = send(
        &app,
        TestRequest::put()
            .uri("/api/auth_source_externals/999999")
            .insert_header(("X-Api-Key", keys.admin.clone()))
            .insert_header(("content-type", "text/plain")),
    )
    .await;
    assert_eq!(s.as_u16(), 415);

    for (q, message) in [
        (
            "search=foo%20%3D%201",
            "Field 'foo' not recognized for searching!",
        ),
        (
            "search=id%20%3D%20x",
            "Value 'x' is not valid for field 'id'",
        ),
        (
            "search=id%20~%201",
            "the operator 'like' is not supported for field type 'integer'",
        ),
        (
            "order=foo",
            "the field 'foo' in the order statement is not valid field for search",
        ),
    ] {
        let (s, b) = send(
            &app,
            get(&format!("/api/auth_source_externals?{q}"), &keys.viewer),
        )
        .await;
        assert_eq!(
            (s.as_u16(), b),
            (
                400,
                json!({"error": {"message": message, "class": "ScopedSearch::QueryNotSupported"}})
            ),
            "{q}"
        );
    }
    for q in ["page=0", "page=x", "per_page=0", "per_page=lots"] {
        let (s, b) = send(
            &app,
            get(&format!("/api/auth_source_externals?{q}"), &keys.viewer),
        )
        .await;
        assert_eq!(s.as_u16(), 400, "{q}: {b}");
    }

    let res = call_service(
        &app,
        get(
            &format!("/api/locations/{}/auth_source_externals", locs[0]),
            &keys.viewer,
        )
        .to_request(),
    )
    .await;
    let h = res.headers();
    assert_eq!(h.get("foreman_api_version").unwrap(), "2");
    assert_eq!(
        h.get("foreman_current_location").unwrap().to_str().unwrap(),
        format!("{}; Location 1", locs[0])
    );
    assert_eq!(h.get("foreman_current_organization").unwrap(), "; ANY");
    let checksum = h
        .get("apipie-checksum")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();

    let (s, b) = send(&app, get("/api/status", &keys.viewer)).await;
    assert_eq!(
        (s.as_u16(), b["result"].as_str(), b["api_version"].as_i64()),
        (200, Some("ok"), Some(2))
    );
    let res = call_service(&app, TestRequest::get().uri("/apidoc/v2.json").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK, "no credentials needed");
    assert_eq!(
        res.headers()
            .get("apipie-checksum")
            .unwrap()
            .to_str()
            .unwrap(),
        checksum
    );
    let doc: Value = serde_json::from_slice(&read_body(res).await).unwrap();
    let methods = &doc["docs"]["resources"]["auth_source_externals"]["methods"];
    let names: Vec<&str> = methods
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["index", "show", "update"]);
    assert_eq!(methods[0]["apis"].as_array().unwrap().len(), 3);
}
