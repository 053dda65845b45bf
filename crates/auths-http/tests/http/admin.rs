//! `GET /` and `/admin/{file}`: the admin page's embedded assets, their headers (a
//! content security policy of their own, validators), and the JSON errors around them.
//! (The page itself is driven in a real browser by `crates/authsd/tests/admin_page.rs`.)

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, read_body};
use auths_store::testing::TestDb;

use crate::support::{send, service};

fn header<'a>(res: &'a actix_web::dev::ServiceResponse, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("{name} is missing"))
        .to_str()
        .unwrap()
}

#[actix_rt::test]
async fn the_page_and_its_assets_are_served_from_the_binary() {
    let t = TestDb::sqlite();
    let (data, _) = service(&t);
    let app = crate::app!(data);
    // The page needs no credentials: it asks for a key itself.
    let res = call_service(&app, TestRequest::get().uri("/").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-type"), "text/html; charset=utf-8");
    let csp = header(&res, "content-security-policy").to_owned();
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'none'",
    ] {
        assert!(csp.contains(part), "{part} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header(&res, "x-frame-options"), "DENY");
    assert_eq!(header(&res, "cache-control"), "no-cache");
    let etag = header(&res, "etag").to_owned();
    let html = String::from_utf8(read_body(res).await.to_vec()).unwrap();
    assert!(
        html.contains(r#"<script type="module" src="/admin/app.js">"#),
        "{html}"
    );
    // No inline script or style, which the policy would refuse anyway.
    assert!(!html.contains("<script>") && !html.contains("<style") && !html.contains(" style="));

    // Every file the page loads is there, with its media type; modules import only
    // files that exist.
    for (file, media) in [
        ("app.js", "text/javascript; charset=utf-8"),
        ("api.js", "text/javascript; charset=utf-8"),
        ("dom.js", "text/javascript; charset=utf-8"),
        ("search.js", "text/javascript; charset=utf-8"),
        ("form.js", "text/javascript; charset=utf-8"),
        ("history.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ] {
        let res = call_service(
            &app,
            TestRequest::get()
                .uri(&format!("/admin/{file}"))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{file}");
        assert_eq!(header(&res, "content-type"), media, "{file}");
        assert_eq!(header(&res, "x-content-type-options"), "nosniff");
        let text = String::from_utf8(read_body(res).await.to_vec()).unwrap();
        for import in text.split("from './").skip(1) {
            let target = import.split('\'').next().unwrap();
            let res = call_service(
                &app,
                TestRequest::get()
                    .uri(&format!("/admin/{target}"))
                    .to_request(),
            )
            .await;
            assert_eq!(res.status(), StatusCode::OK, "{file} imports {target}");
        }
        // The page never keeps a key anywhere but the tab's session storage.
        assert!(!text.contains("localStorage"), "{file}");
        assert!(!text.contains("document.cookie"), "{file}");
        assert!(
            !text.contains("innerHTML"),
            "{file} builds markup from text"
        );
    }

    // A client that holds the page already is told so (304), and HEAD answers headers.
    let res = call_service(
        &app,
        TestRequest::get()
            .uri("/")
            .insert_header(("If-None-Match", etag.clone()))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&res, "etag"), etag);
    let res = call_service(
        &app,
        TestRequest::default()
            .method(actix_web::http::Method::HEAD)
            .uri("/admin/app.css")
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_rt::test]
async fn what_is_not_the_page_answers_a_json_error() {
    let t = TestDb::sqlite();
    let (data, _) = service(&t);
    let app = crate::app!(data);
    // No file but the page's own: no path out of the embedded set.
    for uri in [
        "/admin/nope.js",
        "/admin/index.html",
        "/admin/..%2FCargo.toml",
        "/admin/",
    ] {
        let (s, b) = send(&app, TestRequest::get().uri(uri)).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{uri}: {b}");
        assert_eq!(b["error"]["code"], "not_found", "{uri}: {b}");
    }
    // A write to the page is not allowed, and says which methods are.
    let res = call_service(&app, TestRequest::post().uri("/").to_request()).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&res, "allow"), "GET, HEAD");
    let body: serde_json::Value = serde_json::from_slice(&read_body(res).await).unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
}
