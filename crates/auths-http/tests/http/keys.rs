//! Keys over HTTP (server spec, "Keys over HTTP, and revocation"): admins list, issue
//! and revoke keys; a key is shown once; revocation and expiry refuse it at once.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use auths_domain::Role;
use auths_store::testing::TestDb;
use serde_json::json;

use crate::support::{assert_error, key, post, send, service};

crate::on_both_backends!(
    admins_issue_list_and_revoke_keys_over_http,
    only_admins_manage_keys,
    a_key_request_with_bad_values_is_refused_with_what_is_wrong,
    an_expired_key_is_refused_like_a_revoked_one,
);

const KEYS: &str = "/api/v5/keys";

fn get(path: &str, key: &str) -> TestRequest {
    TestRequest::get()
        .uri(path)
        .insert_header(("X-Api-Key", key.to_owned()))
}

fn delete(path: &str, key: &str) -> TestRequest {
    TestRequest::delete()
        .uri(path)
        .insert_header(("X-Api-Key", key.to_owned()))
}

async fn admins_issue_list_and_revoke_keys_over_http(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let (s, made) = send(
        &app,
        post("/api/v5/catalog/departments", &keys.admin).set_json(json!({"label": "Finance"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    let dep = made["id"].as_str().unwrap().to_owned();

    let res = actix_web::test::call_service(
        &app,
        post(KEYS, &keys.admin)
            .set_json(
                json!({"name": "ci bot", "role": "editor", "department_ids": [dep],
                "allow_mcp_writes": true, "expires_at": "2999-01-01T00:00:00Z"}),
            )
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        res.headers().get("location").unwrap(),
        "/api/v5/keys/ci%20bot"
    );
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let created: serde_json::Value =
        serde_json::from_slice(&actix_web::test::read_body(res).await).unwrap();
    let new_key = created["key"].as_str().unwrap().to_owned();
    assert!(
        new_key.starts_with("auths_") && new_key.len() == 70,
        "{created}"
    );
    assert_eq!(created["name"], "ci bot");
    assert_eq!(created["role"], "editor");
    assert_eq!(created["department_ids"], json!([dep]));
    assert_eq!(created["allow_mcp_writes"], true);
    assert_eq!(created["expires_at"], "2999-01-01T00:00:00Z");
    assert!(created["revoked_at"].is_null() && created["last_used_at"].is_null());

    // The new key works, with its scope.
    let (s, b) = send(&app, get("/api/v5/catalog/protocols", &new_key)).await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // Listed, never with the key or anything derived from it.
    let (s, list) = send(&app, get(KEYS, &keys.admin)).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let names: Vec<&str> = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bootstrap-admin", "ci bot", "viewer"]);
    let text = list.to_string();
    assert!(
        !text.contains(&new_key[6..]) && !text.contains("\"key\""),
        "{text}"
    );
    let listed = &list["entries"][1];
    for field in [
        "role",
        "department_ids",
        "allow_mcp_writes",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ] {
        assert_eq!(listed[field], created[field], "{field}");
    }

    // Paged, like every list.
    let (s, page) = send(
        &app,
        get("/api/v5/keys?page_size=1&page_offset=1", &keys.admin),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(page["total_count"], 3);
    assert_eq!(page["entries"].as_array().unwrap().len(), 1);
    assert_eq!(page["entries"][0]["name"], "ci bot");
    let (s, b) = send(&app, get("/api/v5/keys?page_size=501", &keys.admin)).await;
    assert_error(s, &b, 400, "bad_request");

    // A second active key of that name: 409.
    let (s, b) = send(
        &app,
        post(KEYS, &keys.admin).set_json(json!({"name": "ci bot", "role": "viewer"})),
    )
    .await;
    assert_error(s, &b, 409, "conflict");

    // Revoked: 204, refused at once, listed with its revocation time, gone for DELETE.
    let (s, _) = send(&app, delete("/api/v5/keys/ci%20bot", &keys.admin)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = send(&app, get("/api/v5/catalog/protocols", &new_key)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let list = send(&app, get(KEYS, &keys.admin)).await.1;
    assert!(list["entries"][1]["revoked_at"].is_string(), "{list}");
    let (s, b) = send(&app, delete("/api/v5/keys/ci%20bot", &keys.admin)).await;
    assert_error(s, &b, 404, "not_found");

    // Both changes are audited under the admin's name, without the key.
    let log = send(&app, get("/api/v5/audit?page_size=100", &keys.admin))
        .await
        .1;
    let ops: Vec<(&str, &str)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["operation"].as_str().unwrap().starts_with("key."))
        .map(|e| {
            (
                e["operation"].as_str().unwrap(),
                e["actor_name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(ops[0], ("key.revoke", "bootstrap-admin"), "{log}");
    assert_eq!(ops[1], ("key.create", "bootstrap-admin"), "{log}");
    assert!(!log.to_string().contains(&new_key[6..]));
}

async fn only_admins_manage_keys(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let editor = key(&data, "ed", Role::Editor, &[], true);
    let body = json!({"name": "sneaky", "role": "admin"});
    for who in [&editor, &keys.viewer] {
        assert_error_status(&app, get(KEYS, who), 403).await;
        assert_error_status(&app, post(KEYS, who).set_json(body.clone()), 403).await;
        assert_error_status(&app, delete("/api/v5/keys/viewer", who), 403).await;
    }
    // An admin's agent without MCP writes may not mint keys either.
    let (s, b) = send(
        &app,
        post(KEYS, &keys.admin)
            .insert_header(("X-MCP", "agent"))
            .set_json(body.clone()),
    )
    .await;
    assert_error(s, &b, 403, "forbidden");
    // No credential: 401.
    let (s, b) = send(&app, TestRequest::get().uri(KEYS)).await;
    assert_error(s, &b, 401, "unauthenticated");
    // Nothing was issued or revoked.
    let list = send(&app, get(KEYS, &keys.admin)).await.1;
    assert_eq!(list["entries"].as_array().unwrap().len(), 3, "{list}");
    assert!(
        list["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["revoked_at"].is_null())
    );
}

async fn assert_error_status<S, B>(app: &S, req: TestRequest, status: u16)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let (s, b) = send(app, req).await;
    assert_eq!(s.as_u16(), status, "{b}");
}

async fn a_key_request_with_bad_values_is_refused_with_what_is_wrong(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let many: Vec<String> = (0..201).map(|i| format!("dep-{i}")).collect();
    for (body, status, field) in [
        (
            json!({"name": "late", "role": "viewer", "expires_at": "2001-01-01T00:00:00Z"}),
            422,
            Some("expires_at"),
        ),
        (json!({"name": "a:b", "role": "viewer"}), 422, Some("name")),
        (
            json!({"name": "x", "role": "viewer", "department_ids": ["no-such-department"]}),
            422,
            Some("department"),
        ),
        (
            json!({"name": "x", "role": "viewer", "department_ids": many}),
            422,
            Some("department_ids"),
        ),
        (json!({"name": "x", "role": "root"}), 400, None),
        (
            json!({"name": "x", "role": "viewer", "expires_at": "tomorrow"}),
            400,
            None,
        ),
        (
            json!({"name": "x", "role": "viewer", "key": "chosen"}),
            400,
            None,
        ),
    ] {
        let (s, b) = send(&app, post(KEYS, &keys.admin).set_json(body.clone())).await;
        assert_eq!(s.as_u16(), status, "{body}: {b}");
        if let Some(field) = field {
            assert_eq!(b["error"]["details"][0]["field"], field, "{body}: {b}");
        }
    }
    let list = send(&app, get(KEYS, &keys.admin)).await.1;
    assert_eq!(
        list["entries"].as_array().unwrap().len(),
        2,
        "nothing issued: {list}"
    );
}

async fn an_expired_key_is_refused_like_a_revoked_one(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let expires = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let (s, created) = send(
        &app,
        post(KEYS, &keys.admin).set_json(json!({"name": "brief", "role": "viewer",
            "expires_at": expires.to_rfc3339()})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let brief = created["key"].as_str().unwrap().to_owned();
    // Verified (and so cached) before it expires...
    let (s, _) = send(&app, get("/api/v5/catalog/protocols", &brief)).await;
    assert_eq!(s, StatusCode::OK);
    let wait = (expires - chrono::Utc::now()).to_std().unwrap_or_default();
    std::thread::sleep(wait + std::time::Duration::from_millis(50));
    // ...and refused from its expiry on, cached or not, with the same 401 as any bad key.
    let (s, b) = send(&app, get("/api/v5/catalog/protocols", &brief)).await;
    assert_error(s, &b, 401, "unauthenticated");
    let list = send(&app, get(KEYS, &keys.admin)).await.1;
    let listed = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "brief")
        .unwrap()
        .clone();
    assert!(listed["revoked_at"].is_null() && listed["expires_at"].is_string());
}
