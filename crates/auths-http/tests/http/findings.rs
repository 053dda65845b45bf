//! The review's findings of unbounded work (issue "Bounded, sealed, revocable"), one
//! named regression test each, beside the ones in `sealed.rs` and `keys.rs`.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use auths_store::testing::TestDb;
use serde_json::json;

use crate::support::{post, send, service};

crate::on_both_backends!(
    forty_thousand_ids_in_a_create_item_are_a_clear_422,
    a_scoped_search_of_a_thousand_terms_is_a_clear_400,
    an_error_never_echoes_a_huge_value,
    a_search_filters_by_at_most_200_departments,
);

async fn forty_thousand_ids_in_a_create_item_are_a_clear_422(t: TestDb) {
    let (data, keys) = service(&t);
    // The server's own body limit (4 MiB), not the test app's small one.
    let app = crate::roomy_app!(data);
    let ids: Vec<String> = (0..40_000).map(|i| format!("d{i}")).collect();
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": [{
            "name": "Too many", "protocol_ids": ["protocol-ldap"], "department_ids": ids,
        }]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let result = &b["results"][0];
    assert_eq!(result["success"], false, "{b}");
    assert_eq!(result["error"]["code"], "validation_failed", "{result}");
    assert!(
        result["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("200")),
        "names the bound: {result}"
    );
    let (_, found) = send(
        &app,
        post("/api/v5/artifacts/auths/search", &keys.admin).set_json(json!({})),
    )
    .await;
    assert_eq!(found["total_count"], 0, "nothing created");
}

async fn a_scoped_search_of_a_thousand_terms_is_a_clear_400(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    // A thousand terms pass the length bound (4096 characters); 150 short ones pass
    // it but not the bound of conditions (100). Each is a 400 naming its bound.
    for (terms, bound) in [(1000, "4096"), (150, "100")] {
        let search: Vec<String> = (0..terms).map(|i| format!("name=n{i}")).collect();
        let query = search.join("%20or%20").replace('=', "%3D");
        let (s, b) = send(
            &app,
            TestRequest::get()
                .uri(&format!("/api/auth_source_externals?search={query}"))
                .insert_header(("X-Api-Key", keys.admin.clone())),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{terms} terms: {b}");
        let message = b["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(bound), "{terms} terms, names {bound}: {b}");
    }
}

async fn an_error_never_echoes_a_huge_value(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::roomy_app!(data);
    let huge = "x".repeat(3_000_000);
    for (path, body) in [
        ("/api/v5/artifacts/auths/get", json!({"auth_id": huge})),
        (
            "/api/v5/artifacts/auths/duplicate",
            json!({"auth_id": huge}),
        ),
        (
            "/api/v5/keys",
            json!({"name": "k", "role": "viewer", "department_ids": [huge]}),
        ),
        (
            "/api/v5/artifacts/auths/update",
            json!({"auths": [{"auth_id": huge, "expected_version": 1}]}),
        ),
        (
            "/api/v5/artifacts/auths/delete",
            json!({"auth_ids": [huge]}),
        ),
    ] {
        let (s, b) = send(&app, post(path, &keys.admin).set_json(body)).await;
        assert!(s.is_client_error() || s == StatusCode::OK, "{path}: {s}");
        let text = b.to_string();
        assert!(text.len() < 4_000, "{path}: {s}, {} bytes", text.len());
        assert!(!text.contains(&huge[..2_000]), "{path}: echoed");
    }
    // Foreman's dialect too.
    let (s, b) = send(
        &app,
        TestRequest::get()
            .uri(&format!(
                "/api/auth_source_externals/{}",
                "9".repeat(30_000)
            ))
            .insert_header(("X-Api-Key", keys.admin.clone())),
    )
    .await;
    assert!(s.is_client_error(), "{s}");
    assert!(b.to_string().len() < 4_000, "{} bytes", b.to_string().len());
    let (s, b) = send(
        &app,
        TestRequest::get()
            .uri(&format!("/api/organizations/{}", "9".repeat(30_000)))
            .insert_header(("X-Api-Key", keys.admin.clone())),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(b.to_string().len() < 4_000, "{} bytes", b.to_string().len());
}

async fn a_search_filters_by_at_most_200_departments(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let ids = |n: usize| (0..n).map(|i| format!("d{i}")).collect::<Vec<_>>();
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/search", &keys.viewer)
            .set_json(json!({"filter_department_ids": ids(200)})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/search", &keys.viewer)
            .set_json(json!({"filter_department_ids": ids(201)})),
    )
    .await;
    crate::support::assert_error(s, &b, 400, "bad_request");
    assert!(
        b["error"]["message"].as_str().unwrap().contains("200"),
        "{b}"
    );
}
