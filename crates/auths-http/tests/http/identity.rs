//! Identities: credential forms, 401 and 403, department scope, the MCP channel, and
//! the audit log.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use auths_app::AuthService;
use auths_domain::prelude::*;
use auths_domain::{CatalogKind, EntryId, ItemData, NewCatalogEntry, Role};
use auths_store::Db;
use auths_store::testing::TestDb;
use base64::Engine;
use serde_json::{Value, json};

use crate::support::{assert_error, key, post, send, service};

crate::on_both_backends!(
    every_credential_form_is_accepted,
    unknown_revoked_and_mismatched_credentials_get_one_401,
    role_and_mcp_refusals_are_403_for_the_whole_request,
    mcp_keys_with_writes_allowed_publish_and_are_audited_as_mcp,
    scoped_keys_cannot_read_or_create_in_other_departments,
    every_write_is_audited_with_secrets_masked,
    audit_is_scoped_and_closed_to_viewers,
    keys_are_stored_only_as_hashes,
);

const GET: &str = "/api/v5/artifacts/auths/get";
const CREATE: &str = "/api/v5/artifacts/auths/create";

fn department(svc: &AuthService<Db>, id: &str, label: &str) -> EntryId {
    let e = NewCatalogEntry {
        id: EntryId::parse(id).unwrap(),
        kind: CatalogKind::Departments,
        label: label.into(),
        item: None,
    };
    svc.store()
        .write(|tx| tx.insert_entry(&e, auths_app::now()))
        .unwrap()
        .id
}

fn basic(name: &str, key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{name}:{key}"))
    )
}

async fn create_one<S, B>(app: &S, key: &str, item: Value) -> Value
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let (s, b) = send(app, post(CREATE, key).set_json(json!({"auths": [item]}))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["results"][0].clone()
}

async fn every_credential_form_is_accepted(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    for req in [
        TestRequest::post()
            .uri(GET)
            .insert_header(("X-Api-Key", keys.viewer.clone())),
        TestRequest::post()
            .uri(GET)
            .insert_header(("Authorization", format!("Bearer {}", keys.viewer))),
        TestRequest::post()
            .uri(GET)
            .insert_header(("Authorization", basic("viewer", &keys.viewer))),
    ] {
        let (s, b) = send(&app, req).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["actor_name"], "viewer");
    }
}

async fn unknown_revoked_and_mismatched_credentials_get_one_401(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let editor = key(&data, "ed", Role::Editor, &[], false);
    assert_eq!(send(&app, post(GET, &editor)).await.0, StatusCode::OK);
    data.revoke_key("ed").unwrap();

    let mut answers = Vec::new();
    for req in [
        post(GET, &editor), // revoked
        post(
            GET,
            "auths_0000000000000000000000000000000000000000000000000000000000000000",
        ), // unknown
        post(GET, ""),      // empty
        TestRequest::post()
            .uri(GET)
            .insert_header(("Authorization", basic("someone-else", &keys.viewer))), // wrong name
        TestRequest::post()
            .uri(GET)
            .insert_header(("Authorization", "Basic not-base64!")), // malformed
        TestRequest::post()
            .uri(GET)
            .insert_header(("Authorization", "Token abc")), // unknown scheme
        TestRequest::post().uri(GET), // none
    ] {
        answers.push(send(&app, req).await);
    }
    for (s, b) in &answers {
        assert_error(*s, b, 401, "unauthenticated");
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "one and the same 401: {answers:?}"
    );
}

async fn role_and_mcp_refusals_are_403_for_the_whole_request(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let item = json!({"auths": [{"name": "X", "protocol_ids": ["protocol-ldap"]}]});
    let (s, b) = send(&app, post(CREATE, &keys.viewer).set_json(item.clone())).await;
    assert_error(s, &b, 403, "forbidden");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("auths.create"),
        "{b}"
    );

    let editor = key(&data, "agent", Role::Editor, &[], false);
    let mcp = |req: TestRequest| req.insert_header(("X-MCP", "claude-desktop"));
    let (s, b) = send(&app, mcp(post(CREATE, &editor)).set_json(item.clone())).await;
    assert_error(s, &b, 403, "forbidden");
    assert!(
        b["error"]["message"].as_str().unwrap().contains("MCP"),
        "{b}"
    );
    // The same key may read through MCP, and may create without it.
    assert_eq!(send(&app, mcp(post(GET, &editor))).await.0, StatusCode::OK);
    let (s, b) = send(&app, post(CREATE, &editor).set_json(item)).await;
    assert_eq!(
        (s, b["results"][0]["success"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{b}"
    );
}

async fn mcp_keys_with_writes_allowed_publish_and_are_audited_as_mcp(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let trusted = key(&data, "trusted-agent", Role::Editor, &[], true);
    let req = post(CREATE, &trusted)
        .insert_header(("X-MCP", "claude"))
        .set_json(json!({"auths": [{"name": "Agent made", "protocol_ids": ["protocol-oidc"]}]}));
    let (s, b) = send(&app, req).await;
    assert_eq!(
        (s, b["results"][0]["success"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{b}"
    );
    let auth_id = b["results"][0]["auth_id"].as_str().unwrap();

    let (s, log) = send(
        &app,
        TestRequest::get()
            .uri(&format!("/api/v5/audit?auth_id={auth_id}"))
            .insert_header(("X-Api-Key", keys.admin.clone())),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{log}");
    assert_eq!(log["total_count"], 1, "{log}");
    let e = &log["entries"][0];
    assert_eq!(
        (
            e["channel"].as_str(),
            e["actor_name"].as_str(),
            e["operation"].as_str()
        ),
        (Some("mcp"), Some("trusted-agent"), Some("auth.create"))
    );
    // The X-MCP header's value names the client (server spec, "The MCP front door").
    assert_eq!(e["client"], "claude", "{e}");
    // A plain API call has none.
    let (_, b) = send(
        &app,
        post(CREATE, &trusted)
            .set_json(json!({"auths": [{"name": "Plain", "protocol_ids": ["protocol-oidc"]}]})),
    )
    .await;
    let plain = b["results"][0]["auth_id"].as_str().unwrap();
    let (_, log) = send(
        &app,
        TestRequest::get()
            .uri(&format!("/api/v5/audit?auth_id={plain}"))
            .insert_header(("X-Api-Key", keys.admin.clone())),
    )
    .await;
    assert_eq!(
        (&log["entries"][0]["channel"], &log["entries"][0]["client"]),
        (&json!("api"), &Value::Null),
        "{log}"
    );
}

async fn scoped_keys_cannot_read_or_create_in_other_departments(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let fin = department(&data, "d-fin", "Finance");
    let hr = department(&data, "d-hr", "HR");
    let r = create_one(&app, &keys.admin, json!({"name": "HR LDAP", "protocol_ids": ["protocol-ldap"], "department_ids": [hr.as_str()]})).await;
    let hr_auth = r["auth_id"].as_str().unwrap().to_owned();
    let r = create_one(&app, &keys.admin, json!({"name": "Fin LDAP", "protocol_ids": ["protocol-ldap"], "department_ids": [fin.as_str()]})).await;
    let fin_auth = r["auth_id"].as_str().unwrap().to_owned();

    let scoped = key(&data, "fin-editor", Role::Editor, &[&fin], false);
    let (s, own) = send(
        &app,
        post(GET, &scoped).set_json(json!({"auth_id": fin_auth})),
    )
    .await;
    assert_eq!(
        (s, own["can_edit"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{own}"
    );

    // Another department's auth answers exactly like a missing one.
    let hidden = send(
        &app,
        post(GET, &scoped).set_json(json!({"auth_id": hr_auth})),
    )
    .await;
    let missing = send(
        &app,
        post(GET, &scoped).set_json(json!({"auth_id": "0190f3a2-0000-7000-8000-000000000000"})),
    )
    .await;
    assert_error(hidden.0, &hidden.1, 404, "not_found");
    let strip = |v: &Value, id: &str| v.to_string().replace(id, "ID");
    assert_eq!(
        strip(&hidden.1, &hr_auth),
        strip(&missing.1, "0190f3a2-0000-7000-8000-000000000000")
    );

    // Creating into another department is refused item by item, that department
    // answering as one that does not exist; into none, as a refusal.
    for departments in [json!([hr.as_str()]), json!([fin.as_str(), hr.as_str()])] {
        let r = create_one(&app, &scoped, json!({"name": format!("try {departments}"), "protocol_ids": ["protocol-ldap"], "department_ids": departments})).await;
        assert_eq!(r["error"]["code"], "validation_failed", "{r}");
        assert_eq!(r["error"]["details"][0]["field"], "department_ids", "{r}");
        assert!(!r.to_string().contains("HR"), "{r}");
    }
    let r = create_one(
        &app,
        &scoped,
        json!({"name": "try none", "protocol_ids": ["protocol-ldap"], "department_ids": []}),
    )
    .await;
    assert_eq!(r["error"]["code"], "forbidden", "{r}");
    let r = create_one(&app, &scoped, json!({"name": "Fin 2", "protocol_ids": ["protocol-ldap"], "department_ids": [fin.as_str()]})).await;
    assert_eq!(r["success"], true, "{r}");
}

async fn every_write_is_audited_with_secrets_masked(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let secret = NewCatalogEntry {
        id: EntryId::parse("item-pw").unwrap(),
        kind: CatalogKind::Items,
        label: "bind_password".into(),
        item: Some(ItemData::parse("bind_password", "s3cr3t-value", true).unwrap()),
    };
    data.store()
        .write(|tx| tx.insert_entry(&secret, auths_app::now()))
        .unwrap();
    let r = create_one(
        &app,
        &keys.admin,
        json!({"name": "Corp", "protocol_ids": ["protocol-ldap"], "item_ids": ["item-pw"]}),
    )
    .await;
    let auth_id = r["auth_id"].as_str().unwrap().to_owned();
    // A failed create writes no record.
    let failed = create_one(
        &app,
        &keys.admin,
        json!({"name": "corp", "protocol_ids": ["protocol-ldap"]}),
    )
    .await;
    assert_eq!(failed["success"], false);

    let (s, log) = send(
        &app,
        TestRequest::get()
            .uri("/api/v5/audit?page_size=500")
            .insert_header(("X-Api-Key", keys.admin.clone())),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{log}");
    let auth_entries: Vec<&Value> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["operation"] == "auth.create")
        .collect();
    assert_eq!(auth_entries.len(), 1, "{log}");
    let e = auth_entries[0];
    assert_eq!(e["auth_id"], auth_id.as_str());
    assert_eq!(e["actor_name"], "bootstrap-admin");
    assert_eq!(e["channel"], "api");
    assert!(e["before"].is_null());
    assert_eq!(e["after"]["name"]["label"], "Corp");
    assert_eq!(e["after"]["items"][0]["value"], auths_app::audit::MASK);
    assert!(!log.to_string().contains("s3cr3t-value"), "{log}");
    // Key creation is audited too (the viewer key of the fixture), without the key.
    assert!(
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["operation"] == "key.create" && e["after"]["name"] == "viewer")
    );
    assert!(!log.to_string().contains(&keys.viewer));
    // Newest first.
    let ids: Vec<i64> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
}

async fn audit_is_scoped_and_closed_to_viewers(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let fin = department(&data, "d-fin", "Finance");
    let hr = department(&data, "d-hr", "HR");
    let hr_auth = create_one(
        &app,
        &keys.admin,
        json!({"name": "HR", "protocol_ids": ["protocol-ldap"], "department_ids": [hr.as_str()]}),
    )
    .await;
    let fin_auth = create_one(
        &app,
        &keys.admin,
        json!({"name": "Fin", "protocol_ids": ["protocol-ldap"], "department_ids": [fin.as_str()]}),
    )
    .await;
    let audit = |key: &str, q: &str| {
        TestRequest::get()
            .uri(&format!("/api/v5/audit{q}"))
            .insert_header(("X-Api-Key", key.to_owned()))
    };

    let (s, b) = send(&app, audit(&keys.viewer, "")).await;
    assert_error(s, &b, 403, "forbidden");

    let scoped = key(&data, "fin-editor", Role::Editor, &[&fin], false);
    let (s, b) = send(&app, audit(&scoped, "")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let ids: Vec<&str> = b["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["auth_id"].as_str())
        .collect();
    assert_eq!(ids, [fin_auth["auth_id"].as_str().unwrap()], "{b}");
    assert_eq!(b["total_count"], 1);
    // Another department's auth: the same answer as an auth that never existed.
    let other = send(
        &app,
        audit(
            &scoped,
            &format!("?auth_id={}", hr_auth["auth_id"].as_str().unwrap()),
        ),
    )
    .await;
    let never = send(&app, audit(&scoped, "?auth_id=never-existed")).await;
    assert_eq!(other, never);
    assert_eq!(other.1["total_count"], 0);

    for bad in [
        "?page_size=0",
        "?page_size=501",
        "?page_offset=-1",
        "?page_size=abc",
        "?unknown=1",
    ] {
        let (s, b) = send(&app, audit(&keys.admin, bad)).await;
        assert_error(s, &b, 400, "bad_request");
    }
    let (s, b) = send(&app, audit(&keys.admin, "?page_size=1&page_offset=1")).await;
    assert_eq!(
        (s, b["entries"].as_array().unwrap().len()),
        (StatusCode::OK, 1),
        "{b}"
    );
    assert!(b["total_count"].as_u64().unwrap() >= 4, "{b}");
}

async fn keys_are_stored_only_as_hashes(t: TestDb) {
    let (data, keys) = service(&t);
    let _ = data;
    let stored = t.principals_text();
    assert!(
        stored.contains("viewer") && stored.contains("bootstrap-admin"),
        "{stored}"
    );
    for k in [&keys.admin, &keys.viewer] {
        assert!(
            !stored.contains(k.as_str()),
            "a key is stored in plain text"
        );
        assert!(
            !stored.contains(&k["auths_".len()..]),
            "a key's random part is stored in plain text"
        );
    }
}

#[actix_rt::test]
async fn repeated_failed_credentials_from_one_address_are_slowed_down() {
    let t = TestDb::sqlite();
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let from =
        |ip: &str, key: &str| post(GET, key).peer_addr(format!("{ip}:40000").parse().unwrap());
    for _ in 0..auths_http::throttle::MAX_FAILURES {
        let (s, _) = send(&app, from("10.9.9.9", "auths_wrong")).await;
        assert_eq!(s.as_u16(), 401);
    }
    // Now a wrong credential from that address is answered 429, for a while...
    let (s, b) = send(&app, from("10.9.9.9", "auths_wrong_again")).await;
    assert_eq!(s.as_u16(), 429, "{b}");
    assert_eq!(
        b["error"]["message"],
        "Too many tries, please try again in a few minutes."
    );
    let (s, b) = send(
        &app,
        TestRequest::get()
            .uri("/api/auth_source_externals")
            .insert_header(("X-Api-Key", "auths_wrong"))
            .peer_addr("10.9.9.9:1".parse().unwrap()),
    )
    .await;
    assert_eq!(
        (s.as_u16(), b),
        (
            429,
            json!({"error": {"message": "Too many tries, please try again in a few minutes."}})
        )
    );
    // ...while a valid key from the same address (another client behind the same
    // proxy) goes through, in both APIs (the finding: valid keys were locked out).
    let (s, b) = send(&app, from("10.9.9.9", &keys.admin)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = send(
        &app,
        TestRequest::get()
            .uri("/api/auth_source_externals")
            .insert_header(("X-Api-Key", keys.admin.clone()))
            .peer_addr("10.9.9.9:1".parse().unwrap()),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // ...and other addresses are not affected.
    let (s, _) = send(&app, from("10.9.9.10", &keys.admin)).await;
    assert_eq!(s, StatusCode::OK);
}
