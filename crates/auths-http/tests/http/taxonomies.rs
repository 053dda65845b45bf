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
    taxonomies_are_searched_and_ordered_within_the_callers_scope,
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

    // A description is kept, and shown.
    let before = audit_count().await;
    let (s, b) = send(
        &app,
        put(
            format!("/api/locations/{berlin}"),
            json!({"location": {"description": "  Head office  "}}),
        ),
    )
    .await;
    assert_eq!(
        (s, b["description"].as_str()),
        (StatusCode::OK, Some("Head office")),
        "{b}"
    );
    assert_eq!(audit_count().await, before + 1);
    let (_, shown) = send(
        &app,
        req("GET", &format!("/api/locations/{berlin}"), &keys.admin),
    )
    .await;
    assert_eq!(shown["description"], "Head office");
    // A description that is not a string is refused, and loses nothing.
    for wrong in [json!(["a"]), json!({"a": 1}), json!(42), json!(true)] {
        let (s, b) = send(
            &app,
            put(
                format!("/api/locations/{berlin}"),
                json!({"location": {"description": wrong}}),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(b["error"]["errors"]["description"][0], "must be a String");
    }
    let (_, shown) = send(
        &app,
        req("GET", &format!("/api/locations/{berlin}"), &keys.admin),
    )
    .await;
    assert_eq!(shown["description"], "Head office");

    // What a client read, sent back: the same answer, no new audit record.
    let before = audit_count().await;
    for body in [
        json!({"location": {"name": "Berlin Mitte"}}),
        json!({"location": {"description": "Head office"}}),
        json!({"location": {"name": "Berlin Mitte", "description": "Head office"}}),
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

async fn taxonomies_are_searched_and_ordered_within_the_callers_scope(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let mut numbers = std::collections::HashMap::new();
    for name in ["Berlin", "Paris", "Bern", "Madrid"] {
        let (_, b) = send(
            &app,
            post("/api/locations", &keys.admin).set_json(json!({"location": {"name": name}})),
        )
        .await;
        numbers.insert(name, b["id"].as_i64().unwrap());
    }
    let names = |b: &Value| -> Vec<String> {
        b["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let index = |query: &str| req("GET", &format!("/api/locations?{query}"), &keys.admin);
    // What the Ansible modules send: a name, or a title.
    let (s, b) = send(&app, index("search=name%3D%22Paris%22")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(names(&b), ["Paris"]);
    assert_eq!(
        (b["total"].as_u64(), b["subtotal"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(b["search"], "name=\"Paris\"");
    let (_, b) = send(&app, index("search=title%3Dparis")).await;
    assert_eq!(names(&b), ["Paris"], "case-insensitive, title is the name");
    // Bare words, patterns, ids, and order.
    let (_, b) = send(&app, index("search=ber")).await;
    assert_eq!(names(&b), ["Berlin", "Bern"]);
    let (_, b) = send(&app, index("search=name%20~%20B*&order=name%20DESC")).await;
    assert_eq!(names(&b), ["Bern", "Berlin"]);
    assert_eq!(
        (b["sort"]["by"].as_str(), b["sort"]["order"].as_str()),
        (Some("name"), Some("DESC"))
    );
    let (_, b) = send(
        &app,
        index(&format!("search=id%20%3D%20{}", numbers["Madrid"])),
    )
    .await;
    assert_eq!(names(&b), ["Madrid"]);
    let (_, b) = send(&app, index("order=id%20DESC")).await;
    assert_eq!(names(&b), ["Madrid", "Bern", "Paris", "Berlin"]);
    let (_, b) = send(&app, index("per_page=all&search=ber")).await;
    assert_eq!(names(&b), ["Berlin", "Bern"]);
    // Foreman's errors for a field or an order it does not know.
    for query in ["search=host%3Dx", "order=host", "search=id%20~%201"] {
        let (s, b) = send(&app, index(query)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{query}: {b}");
        assert_eq!(
            b["error"]["class"], "ScopedSearch::QueryNotSupported",
            "{b}"
        );
    }
    // A key scoped to a department searches only the locations it sees: none are used
    // by its auths nor homed in its department, and every one here is homed nowhere
    // (made by a global key): it sees them all, like the unscoped list does.
    let (_, dep) = send(
        &app,
        post("/api/v5/catalog/departments", &keys.admin).set_json(json!({"label": "HR"})),
    )
    .await;
    let hr = auths_domain::EntryId::parse(dep["id"].as_str().unwrap()).unwrap();
    let scoped = key(&data, "hr-viewer", Role::Viewer, &[&hr], false);
    let listed = send(&app, req("GET", "/api/locations", &scoped)).await.1;
    let searched = send(&app, req("GET", "/api/locations?search=ber", &scoped))
        .await
        .1;
    assert_eq!(searched["total"], listed["total"], "{searched}");
    let seen = names(&listed);
    assert!(
        names(&searched).iter().all(|n| seen.contains(n)),
        "{searched}"
    );
    // Organizations: a scoped key sees its own departments only.
    let orgs = send(
        &app,
        req("GET", "/api/organizations?search=name~r", &scoped),
    )
    .await
    .1;
    assert_eq!(names(&orgs), ["HR"], "{orgs}");
}
