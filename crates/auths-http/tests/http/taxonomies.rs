//! Taxonomies in full on the Foreman-compatible API (foreman-v2 spec, "The clients
//! people run"): update and destroy of locations and organizations.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use auths_domain::Role;
use auths_store::testing::TestDb;
use serde_json::{Value, json};

use crate::support::{key, post, send, service};

crate::on_both_backends!(
    taxonomies_are_renamed_with_foremans_answers,
    a_taxonomy_in_use_is_not_destroyed,
    paging_beyond_64_bits_is_a_positive_integer,
);

fn req(method: &str, uri: &str, key: &str) -> TestRequest {
    let r = match method {
        "PUT" => TestRequest::put(),
        "DELETE" => TestRequest::delete(),
        _ => TestRequest::get(),
    };
    r.uri(uri).insert_header(("X-Api-Key", key.to_owned()))
}

async fn taxonomies_are_renamed_with_foremans_answers(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let mut numbers = Vec::new();
    for (path, body) in [
        ("/api/locations", json!({"location": {"name": "Berlin"}})),
        ("/api/locations", json!({"location": {"name": "Paris"}})),
        (
            "/api/organizations",
            json!({"organization": {"name": "Finance"}}),
        ),
    ] {
        let (s, b) = send(&app, post(path, &keys.admin).set_json(body)).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        numbers.push(b["id"].as_i64().unwrap());
    }
    let (berlin, org) = (numbers[0], numbers[2]);
    let audit_count = || async {
        send(&app, req("GET", "/api/v5/audit?page_size=1", &keys.admin))
            .await
            .1["total_count"]
            .as_u64()
            .unwrap()
    };

    let put = |uri: String, body: Value| req("PUT", &uri, &keys.admin).set_json(body);
    let (s, b) = send(
        &app,
        put(
            format!("/api/locations/{berlin}"),
            json!({"location": {"name": "Berlin Mitte"}}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["id"].as_i64(), b["name"].as_str()),
        (Some(berlin), Some("Berlin Mitte"))
    );
    let (_, shown) = send(
        &app,
        req("GET", &format!("/api/locations/{berlin}"), &keys.admin),
    )
    .await;
    assert_eq!(shown["name"], "Berlin Mitte");
    let (s, b) = send(
        &app,
        put(
            format!("/api/organizations/{org}"),
            json!({"organization": {"name": "Finance EU"}}),
        ),
    )
    .await;
    assert_eq!(
        (s, b["name"].as_str()),
        (StatusCode::OK, Some("Finance EU")),
        "{b}"
    );

    // What a client read, sent back: the same answer, no new audit record.
    let before = audit_count().await;
    for body in [
        json!({"location": {"name": "Berlin Mitte"}}),
        json!({"location": {"description": "not kept"}}),
        json!({"location": {}}),
    ] {
        let (s, b) = send(&app, put(format!("/api/locations/{berlin}"), body.clone())).await;
        assert_eq!(
            (s, b["name"].as_str()),
            (StatusCode::OK, Some("Berlin Mitte")),
            "{body}: {b}"
        );
    }
    assert_eq!(audit_count().await, before, "no-op updates are not audited");

    // Foreman's validation answers.
    for (body, field, message) in [
        (json!({"location": {"name": ""}}), "name", "can't be blank"),
        (
            json!({"location": {"name": "x".repeat(256)}}),
            "name",
            "is too long (maximum is 255 characters)",
        ),
        (
            json!({"location": {"name": "paris"}}),
            "name",
            "has already been taken",
        ),
    ] {
        let (s, b) = send(&app, put(format!("/api/locations/{berlin}"), body.clone())).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
        assert_eq!(b["error"]["errors"][field][0], message, "{body}: {b}");
        assert_eq!(b["error"]["id"], berlin, "{b}");
    }
    let (s, b) = send(
        &app,
        put(
            "/api/locations/999999".into(),
            json!({"location": {"name": "X"}}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    assert_eq!(
        b["message"], "Location with id 999999 not found",
        "Foreman's taxonomy 404"
    );
    // A viewer may not; a key scoped to another department does not see the record.
    let (s, b) = send(
        &app,
        req("PUT", &format!("/api/locations/{berlin}"), &keys.viewer)
            .set_json(json!({"location": {"name": "Nope"}})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (_, other) = send(
        &app,
        post("/api/v5/catalog/departments", &keys.admin).set_json(json!({"label": "HR"})),
    )
    .await;
    let hr = auths_domain::EntryId::parse(other["id"].as_str().unwrap()).unwrap();
    let scoped = key(&data, "hr-editor", Role::Editor, &[&hr], false);
    let (s, b) = send(
        &app,
        req("PUT", &format!("/api/organizations/{org}"), &scoped)
            .set_json(json!({"organization": {"name": "Mine now"}})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (_, shown) = send(
        &app,
        req("GET", &format!("/api/organizations/{org}"), &keys.admin),
    )
    .await;
    assert_eq!(shown["name"], "Finance EU", "unchanged");
}

async fn a_taxonomy_in_use_is_not_destroyed(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let (_, used) = send(
        &app,
        post("/api/locations", &keys.admin).set_json(json!({"location": {"name": "Used"}})),
    )
    .await;
    let (_, spare) = send(
        &app,
        post("/api/locations", &keys.admin).set_json(json!({"location": {"name": "Spare"}})),
    )
    .await;
    let (used_n, spare_n) = (used["id"].as_i64().unwrap(), spare["id"].as_i64().unwrap());
    // An auth in the first location (its catalog id, from the v5 list).
    let (_, locations) = send(
        &app,
        req("GET", "/api/v5/catalog/locations?search=Used", &keys.admin),
    )
    .await;
    let used_id = locations["entries"][0]["id"].as_str().unwrap().to_owned();
    let (_, created) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": [
            {"name": "Kiosk", "protocol_ids": ["protocol-external"], "location_ids": [used_id]}
        ]})),
    )
    .await;
    assert_eq!(created["results"][0]["success"], true, "{created}");

    let (s, b) = send(
        &app,
        req("DELETE", &format!("/api/locations/{used_n}"), &keys.admin),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(
        b["error"]["full_messages"][0],
        "Cannot delete record because dependent auth sources exist"
    );
    let (s, _) = send(
        &app,
        req("GET", &format!("/api/locations/{used_n}"), &keys.admin),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "still there");

    // Catalog deletes are an admin's: an editor is refused.
    let editor = key(&data, "ed", Role::Editor, &[], false);
    let (s, b) = send(
        &app,
        req("DELETE", &format!("/api/locations/{spare_n}"), &editor),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, b) = send(
        &app,
        req("DELETE", &format!("/api/locations/{spare_n}"), &keys.admin),
    )
    .await;
    assert_eq!(
        (s, b["name"].as_str()),
        (StatusCode::OK, Some("Spare")),
        "{b}"
    );
    let (s, b) = send(
        &app,
        req("GET", &format!("/api/locations/{spare_n}"), &keys.admin),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (s, _) = send(
        &app,
        req("DELETE", &format!("/api/locations/{spare_n}"), &keys.admin),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "gone");
}

async fn paging_beyond_64_bits_is_a_positive_integer(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    for name in ["Berlin", "Paris"] {
        let (s, b) = send(
            &app,
            post("/api/locations", &keys.admin).set_json(json!({"location": {"name": name}})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let huge = "99999999999999999999999";
    let (s, b) = send(
        &app,
        req(
            "GET",
            &format!("/api/locations?per_page={huge}"),
            &keys.admin,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["results"].as_array().map(Vec::len), Some(2), "{b}");
    let (s, b) = send(
        &app,
        req("GET", &format!("/api/locations?page={huge}"), &keys.admin),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["results"], json!([]), "past the end: {b}");
    let (s, _) = send(&app, req("GET", "/api/locations?per_page=0", &keys.admin)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}
