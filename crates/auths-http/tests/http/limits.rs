//! Limits on bad input, through the real extractors: nesting depth, text lengths, body
//! shapes, wrong methods. Body size and bulk size: `foundation`; page size: `search`,
//! `identity`; slow clients and nesting on the real server: `authsd`'s `slow_clients`.

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use auths_http::v5_endpoints;
use auths_store::Db;
use auths_store::testing::TestDb;
use serde_json::json;

use crate::support::{assert_error, post, send, service};

crate::on_both_backends!(
    text_lengths_are_bounded_with_a_clear_answer,
    bodies_have_the_documented_shape,
);

const DEEP: usize = 100_000;

fn concrete(path: &str) -> String {
    path.replace("{kind}", "departments")
        .replace("{id}", "x")
        .replace("{upload_id}", "x")
}

#[actix_rt::test]
async fn deep_nesting_is_a_clear_400_on_every_operation() {
    let t = TestDb::sqlite();
    let (data, keys) = service(&t);
    let app = crate::roomy_app!(data);
    let bodies = [
        "[".repeat(DEEP),
        format!("{}{}", "[".repeat(DEEP), "]".repeat(DEEP)),
        format!("{}1{}", r#"{"a":"#.repeat(DEEP), "}".repeat(DEEP)),
        format!(r#"{{"auths": {}"#, "[".repeat(DEEP)),
        format!(r#"{{"auths": [{{"name": {}}}]}}"#, "[".repeat(DEEP)),
    ];
    let mut tried = 0;
    for e in v5_endpoints::<Db>().iter().filter(|e| e.request.is_some()) {
        for body in &bodies {
            let req = TestRequest::default()
                .method(e.method.clone())
                .uri(&format!("/api{}", concrete(e.path)))
                .insert_header(("X-Api-Key", keys.admin.clone()))
                .insert_header(("content-type", "application/json"))
                .set_payload(body.clone());
            let (s, b) = send(&app, req).await;
            // 404 only where the path names nothing (`x`): the body is never read.
            if s == StatusCode::NOT_FOUND {
                assert!(e.path.contains("{id}"), "{} {}: {b}", e.method, e.path);
                continue;
            }
            assert_error(s, &b, 400, "bad_request");
            tried += 1;
        }
    }
    assert!(tried >= 40, "{tried}");
    // The Foreman-compatible API reads its own bodies.
    for (method, path) in [
        (Method::PUT, "/api/auth_source_externals/1"),
        (Method::POST, "/api/locations"),
        (Method::POST, "/api/v2/organizations"),
    ] {
        let req = TestRequest::default()
            .method(method.clone())
            .uri(path)
            .insert_header(("X-Api-Key", keys.admin.clone()))
            .insert_header(("content-type", "application/json"))
            .set_payload(bodies[3].clone());
        let (s, b) = send(&app, req).await;
        assert!(s.is_client_error(), "{method} {path}: {s} {b}");
        assert!(b["error"]["message"].is_string(), "{b}");
    }
    // Still answering.
    let (s, b) = send(&app, post("/api/v5/artifacts/auths/get", &keys.admin)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn text_lengths_are_bounded_with_a_clear_answer(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let create = |item: serde_json::Value| {
        post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": [item]}))
    };
    // Names: 255 characters (after trimming) fit, 256 do not; the field is named.
    let (s, b) = send(
        &app,
        create(
            json!({"name": format!("  {}  ", "é".repeat(255)), "protocol_ids": ["protocol-ldap"]}),
        ),
    )
    .await;
    assert_eq!(
        (s, &b["results"][0]["success"]),
        (StatusCode::OK, &json!(true)),
        "{b}"
    );
    for (item, field) in [
        (
            json!({"name": "n".repeat(256), "protocol_ids": ["protocol-ldap"]}),
            "name",
        ),
        (
            json!({"name": "d", "description": "d".repeat(4097), "protocol_ids": ["protocol-ldap"]}),
            "description",
        ),
        (
            json!({"name": "i", "protocol_ids": ["p".repeat(129)]}),
            "protocol_ids",
        ),
    ] {
        let (s, b) = send(&app, create(item)).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let error = &b["results"][0]["error"];
        assert_eq!(error["code"], "validation_failed", "{b}");
        assert_eq!(error["details"][0]["field"], field, "{b}");
    }
    // Catalog labels and item values.
    for (path, body, field) in [
        (
            "/api/v5/catalog/departments",
            json!({"label": "l".repeat(256)}),
            "label",
        ),
        (
            "/api/v5/catalog/items",
            json!({"key": "k", "value": "v".repeat(8193), "secret": true}),
            "value",
        ),
        (
            "/api/v5/catalog/items",
            json!({"key": "k".repeat(256), "value": "v"}),
            "key",
        ),
    ] {
        let (s, b) = send(&app, post(path, &keys.admin).set_json(body)).await;
        assert_error(s, &b, 422, "validation_failed");
        assert_eq!(b["error"]["details"][0]["field"], field, "{b}");
    }
    // Search texts: 1000 characters for auths, 255 for a catalog; beyond, 400.
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/search", &keys.admin)
            .set_json(json!({"search": "s".repeat(1000)})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/search", &keys.admin)
            .set_json(json!({"search": "s".repeat(1001)})),
    )
    .await;
    assert_error(s, &b, 400, "bad_request");
    let get = |q: String| {
        TestRequest::get()
            .uri(&format!("/api/v5/catalog/names?search={q}"))
            .insert_header(("X-Api-Key", keys.admin.clone()))
    };
    assert_eq!(send(&app, get("s".repeat(255))).await.0, StatusCode::OK);
    let (s, b) = send(&app, get("s".repeat(256))).await;
    assert_error(s, &b, 400, "bad_request");
}

async fn bodies_have_the_documented_shape(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let raw = |path: &str, body: &str| {
        post(path, &keys.admin)
            .insert_header(("content-type", "application/json"))
            .set_payload(body.to_owned())
    };
    // An array is not an object, at the top or inside (serde alone would take one for
    // a struct, field by field).
    for (path, body, field) in [
        ("/api/v5/artifacts/auths/get", "[null, null]", "body"),
        (
            "/api/v5/artifacts/auths/create",
            r#"{"auths": [["Corp"]]}"#,
            "auths[0]",
        ),
        ("/api/v5/artifacts/auths/delete", r#"[["x"]]"#, "body"),
    ] {
        let (s, b) = send(&app, raw(path, body)).await;
        assert_error(s, &b, 400, "bad_request");
        assert_eq!(
            b["error"]["details"][0]["field"], field,
            "{path} {body}: {b}"
        );
    }
    let (s, b) = send(
        &app,
        raw(
            "/api/v5/artifacts/auths/create",
            r#"{"auths": [{"name": "Corp", "protocol_ids": ["protocol-ldap"]}]}"#,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let id = b["results"][0]["auth_id"].as_str().unwrap().to_owned();
    // JSON has one kind of number: 1.0 is the integer 1 (JSON Schema agrees), 1.5 is
    // not an integer, and neither is a number past the 64-bit range.
    let update = |version: &str| {
        raw(
            "/api/v5/artifacts/auths/update",
            &format!(
                r#"{{"auths": [{{"auth_id": "{id}", "expected_version": {version}, "description": "v{version}"}}]}}"#
            ),
        )
    };
    let (s, b) = send(&app, update("1.0")).await;
    assert_eq!(
        (s, &b["results"][0]["version"]),
        (StatusCode::OK, &json!(2)),
        "{b}"
    );
    for bad in ["2.5", "-9223372036854775809", "1e300"] {
        let (s, b) = send(&app, update(bad)).await;
        assert_error(s, &b, 400, "bad_request");
        assert_eq!(
            b["error"]["details"][0]["field"], "auths[0].expected_version",
            "{bad}: {b}"
        );
    }
    let (s, b) = send(
        &app,
        raw(
            "/api/v5/artifacts/auths/search",
            r#"{"page_size": 2.0, "page_offset": 0.0}"#,
        ),
    )
    .await;
    assert_eq!(
        (s, b["total_count"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{b}"
    );
    // NUL is refused wherever it hides; a backslash before "u0000" is no NUL.
    let (s, b) = send(
        &app,
        raw("/api/v5/artifacts/auths/search", r#"{"search": "a\u0000"}"#),
    )
    .await;
    assert_error(s, &b, 400, "bad_request");
    let (s, b) = send(
        &app,
        raw(
            "/api/v5/artifacts/auths/search",
            r#"{"search": "a\\u0000"}"#,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

#[actix_rt::test]
async fn a_wrong_method_is_405_with_the_allowed_ones() {
    let t = TestDb::sqlite();
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let all = v5_endpoints::<Db>();
    for e in &all {
        let mut allowed: Vec<&str> = all
            .iter()
            .filter(|o| o.path == e.path)
            .map(|o| o.method.as_str())
            .collect();
        allowed.sort_unstable();
        let req = TestRequest::default()
            .method(Method::TRACE)
            .uri(&format!("/api{}", concrete(e.path)))
            .insert_header(("X-Api-Key", keys.admin.clone()));
        let res = actix_web::test::call_service(&app, req.to_request()).await;
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{}", e.path);
        let allow = res.headers().get("allow").map(|v| v.to_str().unwrap());
        let mut got: Vec<&str> = allow.unwrap_or_default().split(", ").collect();
        got.sort_unstable();
        assert_eq!(got, allowed, "{}: Allow {allow:?}", e.path);
    }
    let req = TestRequest::default()
        .method(Method::DELETE)
        .uri("/api/v2/auth_source_externals/1")
        .insert_header(("X-Api-Key", keys.admin.clone()));
    let res = actix_web::test::call_service(&app, req.to_request()).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers().get("allow").unwrap(), "GET, PUT");
}
