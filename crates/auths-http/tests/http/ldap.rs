//! LDAP auth sources on the Foreman-compatible API (foreman-v2 spec, "The clients people
//! run"): Foreman's parameters and answers over auths and their items, the password a
//! secret never shown, writes that change nothing write nothing, and `test` against a
//! real OpenLDAP server.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use auths_domain::Role;
use auths_store::testing::TestDb;
use serde_json::{Value, json};

use crate::slapd::{ADMIN_DN, ADMIN_PASSWORD, BASE_DN, Slapd};
use crate::support::{key, post, send, service};

crate::on_both_backends!(
    ldap_sources_are_auths_shown_as_foreman_shows_them,
    a_put_that_changes_nothing_writes_nothing,
    bad_parameters_are_refused_in_foremans_words,
    the_connection_test_reaches_a_real_directory,
    destroy_removes_the_source_and_its_password,
    a_password_taken_into_another_source_is_sent_nowhere,
);

/// A password no answer may ever show.
const CANARY: &str = "canary-pw-7d41b0e2";

fn req(method: &str, uri: &str, key: &str) -> TestRequest {
    let r = match method {
        "PUT" => TestRequest::put(),
        "DELETE" => TestRequest::delete(),
        _ => TestRequest::get(),
    };
    r.uri(uri).insert_header(("X-Api-Key", key.to_owned()))
}

fn source(name: &str, port: u16, org: i64) -> Value {
    json!({"auth_source_ldap": {
        "name": name, "host": "127.0.0.1", "port": port, "account": ADMIN_DN,
        "account_password": CANARY, "base_dn": BASE_DN, "attr_login": "uid",
        "onthefly_register": false, "server_type": "posix", "organization_ids": [org],
    }})
}

async fn ldap_sources_are_auths_shown_as_foreman_shows_them(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let (_, org) = send(
        &app,
        post("/api/organizations", &keys.admin).set_json(json!({"organization": {"name": "Corp"}})),
    )
    .await;
    let org = org["id"].as_i64().unwrap();
    let (s, created) = send(
        &app,
        post("/api/auth_source_ldaps", &keys.admin).set_json(source("Corp LDAP", 389, org)),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["type"], "AuthSourceLdap");
    assert_eq!(
        (
            created["port"].as_u64(),
            created["tls"].as_bool(),
            created["server_type"].as_str()
        ),
        (Some(389), Some(false), Some("posix"))
    );
    assert_eq!(created["usergroup_sync"], true, "Foreman's default");
    assert_eq!(created["organizations"][0]["id"], org);
    assert!(created.get("account_password").is_none());
    // An external source beside it.
    let (s, ext) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin).set_json(
            json!({"auths": [{"name": "Web SSO", "protocol_ids": ["protocol-external"]}]}),
        ),
    )
    .await;
    assert!(s.is_success(), "{ext}");

    let mut seen = Vec::new();
    for uri in [
        format!("/api/auth_source_ldaps/{id}"),
        "/api/auth_source_ldaps".to_owned(),
        "/api/auth_source_ldaps?search=host%20~%20127.0&thin=true".to_owned(),
        format!("/api/organizations/{org}/auth_source_ldaps"),
        "/api/auth_sources".to_owned(),
        format!("/api/auth_sources/{id}"),
        "/api/v5/catalog/items?page_size=100".to_owned(),
        "/api/v5/audit?page_size=100".to_owned(),
    ] {
        let (s, b) = send(&app, req("GET", &uri, &keys.admin)).await;
        assert_eq!(s, StatusCode::OK, "{uri}: {b}");
        assert!(!b.to_string().contains(CANARY), "{uri} shows the password");
        seen.push(b);
    }
    assert_eq!(seen[0]["host"], "127.0.0.1");
    assert_eq!(seen[0]["external_usergroups"], json!([]));
    assert_eq!(
        (seen[1]["total"].as_u64(), seen[2]["subtotal"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(seen[3]["results"][0]["id"], id);
    let kinds: Vec<(&str, &str)> = seen[4]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("Corp LDAP", "AuthSourceLdap"),
            ("Web SSO", "AuthSourceExternal")
        ]
    );
    assert_eq!(seen[5]["type"], "AuthSourceLdap");
    // The parameters are the auth's items; the password one is secret.
    let password: Vec<&Value> = seen[6]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["key"] == "account_password")
        .collect();
    assert_eq!(password.len(), 1);
    assert_eq!(password[0]["secret"], true);

    // `host` is an LDAP source's field only; the external index does not know it.
    let (s, b) = send(
        &app,
        req(
            "GET",
            "/api/auth_source_externals?search=host=x",
            &keys.admin,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(
        b["error"]["message"],
        "Field 'host' not recognized for searching!"
    );
    let (s, b) = send(
        &app,
        req(
            "GET",
            "/api/auth_source_ldaps?search=host%20=%20other",
            &keys.admin,
        ),
    )
    .await;
    assert_eq!((s, b["subtotal"].as_u64()), (StatusCode::OK, Some(0)));
    // The external source is no LDAP source.
    let ext_id = seen[4]["results"][1]["id"].as_i64().unwrap();
    let (s, b) = send(
        &app,
        req(
            "GET",
            &format!("/api/auth_source_ldaps/{ext_id}"),
            &keys.admin,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        b["error"]["message"],
        format!("Resource auth_source_ldap not found by id '{ext_id}'")
    );
}

async fn audit_total(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
    admin: &str,
) -> u64 {
    send(app, req("GET", "/api/v5/audit?page_size=1", admin))
        .await
        .1["total_count"]
        .as_u64()
        .unwrap()
}

async fn a_put_that_changes_nothing_writes_nothing(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let (_, org) = send(
        &app,
        post("/api/organizations", &keys.admin).set_json(json!({"organization": {"name": "Corp"}})),
    )
    .await;
    let org = org["id"].as_i64().unwrap();
    let body = source("Corp LDAP", 389, org);
    let (_, created) = send(
        &app,
        post("/api/auth_source_ldaps", &keys.admin).set_json(&body),
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    let uri = format!("/api/auth_source_ldaps/{id}");
    let items = || async {
        send(
            &app,
            req("GET", "/api/v5/catalog/items?page_size=100", &keys.admin),
        )
        .await
        .1["total_count"]
            .as_u64()
            .unwrap()
    };
    let (audit, entries) = (audit_total(&app, &keys.admin).await, items().await);

    // The same body again, the password included, and what the Ansible module sends.
    for again in [
        body.clone(),
        json!({"auth_source_ldap": {"account_password": CANARY, "port": 389, "tls": false}}),
        json!({"auth_source_ldap": {"account_password": ""}}),
        // Defaults of parameters not kept read as they are.
        json!({"auth_source_ldap": {"usergroup_sync": true, "use_netgroups": "0", "onthefly_register": false, "server_type": "posix"}}),
        json!({"auth_source_ldap": {"port": null}}),
        json!({"auth_source_ldap": {"port": "389"}}),
    ] {
        let (s, b) = send(&app, req("PUT", &uri, &keys.admin).set_json(again)).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["updated_at"], created["updated_at"]);
    }
    assert_eq!(
        audit_total(&app, &keys.admin).await,
        audit,
        "no audit record"
    );
    assert_eq!(items().await, entries, "no catalog entry");

    // A second source with the same parameters shares their items: only its password
    // is an entry of its own.
    let mut twin = body.clone();
    twin["auth_source_ldap"]["name"] = json!("Twin LDAP");
    let (s, b) = send(
        &app,
        post("/api/auth_source_ldaps", &keys.admin).set_json(twin),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(
        items().await,
        entries + 1,
        "identical values are not stored twice"
    );
    let (audit, entries) = (audit_total(&app, &keys.admin).await, entries + 1);

    // A new password is a change, and the old one is not kept.
    let (s, _) = send(
        &app,
        req("PUT", &uri, &keys.admin)
            .set_json(json!({"auth_source_ldap": {"account_password": "another-pw"}})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(audit_total(&app, &keys.admin).await, audit + 1);
    assert_eq!(items().await, entries, "the old password item is replaced");
    // TLS swaps the protocol, and the default port follows when none is kept.
    let (s, b) = send(
        &app,
        req("PUT", &uri, &keys.admin)
            .set_json(json!({"auth_source_ldap": {"tls": true, "port": null}})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["tls"].as_bool(), b["port"].as_u64()),
        (Some(true), Some(636))
    );
    let auth_id = send(&app, req("GET", "/api/v5/audit?page_size=1", &keys.admin))
        .await
        .1["entries"][0]["auth_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, got) = send(
        &app,
        post("/api/v5/artifacts/auths/get", &keys.admin).set_json(json!({"auth_id": auth_id})),
    )
    .await;
    assert_eq!(
        got["protocols"]["values"],
        json!([{"id": "protocol-ldaps", "label": "ldaps"}])
    );
}

async fn bad_parameters_are_refused_in_foremans_words(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let create = |body: Value| post("/api/auth_source_ldaps", &keys.admin).set_json(body);
    let errors = |b: &Value| b["error"]["errors"].clone();

    let (s, b) = send(&app, create(json!({"auth_source_ldap": {"name": "X"}}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(errors(&b), json!({"host": ["can't be blank"]}));
    let (_, b) = send(
        &app,
        create(json!({"auth_source_ldap": {"name": "X", "host": "h", "onthefly_register": true, "attr_login": "uid"}})),
    )
    .await;
    let fields: Vec<&String> = b["error"]["errors"].as_object().unwrap().keys().collect();
    assert_eq!(fields, ["attr_firstname", "attr_lastname", "attr_mail"]);
    let (_, b) = send(
        &app,
        create(json!({"auth_source_ldap": {"name": "X", "host": "h", "port": 70000, "server_type": "nis", "tls": "maybe"}})),
    )
    .await;
    assert_eq!(
        errors(&b),
        json!({"port": ["must be an integer from 1 to 65535"], "server_type": ["is not included in the list"], "tls": ["is not included in the list"]})
    );
    let (_, b) = send(
        &app,
        create(json!({"auth_source_ldap": {"name": "n".repeat(256), "host": "h".repeat(61)}})),
    )
    .await;
    assert_eq!(
        errors(&b),
        json!({"name": ["is too long (maximum is 255 characters)"], "host": ["is too long (maximum is 60 characters)"]})
    );
    let (_, b) = send(
        &app,
        create(json!({"auth_source_ldap": {"name": "X", "host": "a\nb", "base_dn": "dc=x\u{7}", "account_password": "p".repeat(8193)}})),
    )
    .await;
    assert_eq!(
        errors(&b),
        json!({"host": ["is invalid"], "account_password": ["is too long (maximum is 8192 characters)"], "base_dn": ["is invalid"]})
    );
    let (_, b) = send(
        &app,
        create(json!({"auth_source_ldap": {"name": "X", "host": true, "account": {"x": 1}, "base_dn": ["x"], "port": 389}})),
    )
    .await;
    assert_eq!(
        errors(&b),
        json!({"host": ["must be a String"], "account": ["must be a String"], "base_dn": ["must be a String"]})
    );
    let (s, _) = send(&app, create(json!({"name": "Taken", "host": "h"}))).await;
    assert_eq!(
        s,
        StatusCode::CREATED,
        "parameters at the top level work too"
    );
    let (s, b) = send(
        &app,
        create(json!({"auth_source_ldap": {"name": "taken", "host": "h"}})),
    )
    .await;
    assert_eq!(
        (s, errors(&b)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"name": ["has already been taken"]})
        )
    );

    let (s, b) = send(
        &app,
        post("/api/auth_source_ldaps", &keys.viewer).set_json(json!({"name": "V", "host": "h"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        b["error"]["missing_permissions"],
        json!(["create_authenticators"])
    );
    let (s, _) = send(
        &app,
        post("/api/auth_source_ldaps", &keys.admin)
            .insert_header(("Content-Type", "text/plain"))
            .set_payload("name=x"),
    )
    .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    for (method, uri) in [
        ("GET", "/api/auth_source_ldaps/999"),
        ("PUT", "/api/auth_source_ldaps/999"),
        ("DELETE", "/api/auth_source_ldaps/999"),
        ("PUT", "/api/auth_source_ldaps/999/test"),
    ] {
        let r = req(method, uri, &keys.admin);
        let r = if method == "PUT" {
            r.set_json(json!({}))
        } else {
            r
        };
        let (s, b) = send(&app, r).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {uri}");
        assert_eq!(
            b["error"]["message"],
            "Resource auth_source_ldap not found by id '999'"
        );
    }
}

async fn the_connection_test_reaches_a_real_directory(t: TestDb) {
    let slapd = Slapd::start();
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let mut body = source("Corp LDAP", slapd.port, 0);
    body["auth_source_ldap"]["account_password"] = json!(ADMIN_PASSWORD);
    body["auth_source_ldap"]["organization_ids"] = json!([]);
    let (s, created) = send(
        &app,
        post("/api/auth_source_ldaps", &keys.admin).set_json(&body),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let uri = format!("/api/auth_source_ldaps/{id}");
    let test = || async {
        let (s, b) = send(&app, req("PUT", &format!("{uri}/test"), &keys.admin)).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(
            (b["id"].as_i64(), b["type"].as_str()),
            (Some(id), Some("AuthSourceLdap"))
        );
        (
            b["success"].as_bool().unwrap(),
            b["message"].as_str().unwrap().to_owned(),
        )
    };
    let change =
        |params: Value| req("PUT", &uri, &keys.admin).set_json(json!({"auth_source_ldap": params}));

    assert_eq!(
        test().await,
        (
            true,
            "Test connection to LDAP server was successful.".to_owned()
        )
    );
    // Pointed elsewhere without the password again, the source keeps its password but
    // the test sends it nowhere: nothing even connects.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let elsewhere = listener.local_addr().unwrap().port();
    send(&app, change(json!({"port": elsewhere}))).await;
    let (ok, message) = test().await;
    assert!(!ok);
    assert!(message.contains("Send account_password again"), "{message}");
    assert!(listener.accept().is_err(), "no connection was made");
    send(&app, change(json!({"port": slapd.port}))).await;
    assert!(
        test().await.0,
        "back to the directory the password was set for"
    );
    send(&app, change(json!({"host": "localhost"}))).await;
    assert!(!test().await.0, "another name is another directory");
    send(
        &app,
        change(json!({"host": "localhost", "account_password": ADMIN_PASSWORD})),
    )
    .await;
    assert!(test().await.0, "the password sent again with the new host");
    send(
        &app,
        change(json!({"account_password": "not-the-password"})),
    )
    .await;
    let (ok, message) = test().await;
    assert!(!ok);
    assert!(
        message.contains(&format!("as {ADMIN_DN}"))
            && message.contains("invalid credentials (LDAP result 49)"),
        "{message}"
    );
    send(
        &app,
        change(json!({"account_password": ADMIN_PASSWORD, "base_dn": "dc=missing,dc=org"})),
    )
    .await;
    let (ok, message) = test().await;
    assert!(!ok);
    assert!(
        message.contains("dc=missing,dc=org")
            && message.contains("no such object (LDAP result 32)"),
        "{message}"
    );
    // TLS asked of a directory that speaks plain LDAP: the handshake fails, clearly.
    send(
        &app,
        change(json!({"base_dn": BASE_DN, "tls": true, "account_password": ADMIN_PASSWORD})),
    )
    .await;
    let (ok, message) = test().await;
    assert!(!ok);
    assert!(
        message.starts_with(&format!(
            "Unable to connect to LDAP server ldaps://localhost:{}",
            slapd.port
        )),
        "{message}"
    );
    let port = slapd.port;
    drop(slapd);
    send(
        &app,
        change(json!({"tls": false, "account_password": ADMIN_PASSWORD})),
    )
    .await;
    let (ok, message) = test().await;
    assert!(!ok);
    assert!(
        message.starts_with(&format!(
            "Unable to connect to LDAP server ldap://localhost:{port}"
        )),
        "{message}"
    );
    // Testing needs the edit permission; a viewer is refused.
    let (s, b) = send(&app, req("PUT", &format!("{uri}/test"), &keys.viewer)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        b["error"]["missing_permissions"],
        json!(["edit_authenticators"])
    );
}

async fn destroy_removes_the_source_and_its_password(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let editor = key(data.get_ref(), "editor", Role::Editor, &[], false);
    let mut body = source("Corp LDAP", 389, 0);
    body["auth_source_ldap"]["organization_ids"] = json!([]);
    let (_, created) = send(
        &app,
        post("/api/auth_source_ldaps", &keys.admin).set_json(&body),
    )
    .await;
    let uri = format!("/api/auth_source_ldaps/{}", created["id"]);
    let (s, b) = send(&app, req("DELETE", &uri, &keys.viewer)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, b) = send(&app, req("DELETE", &uri, &editor)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["name"], "Corp LDAP");
    let (s, _) = send(&app, req("GET", &uri, &keys.admin)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, items) = send(
        &app,
        req("GET", "/api/v5/catalog/items?page_size=100", &keys.admin),
    )
    .await;
    assert!(
        items["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["key"] != "account_password"),
        "{items}"
    );
    let (_, log) = send(&app, req("GET", "/api/v5/audit?page_size=1", &keys.admin)).await;
    assert_eq!(log["entries"][0]["operation"], "auth.delete");
}

/// A secret item is an entry any auth may name by id: an editor who puts another
/// source's password item into a source pointing at their own host gets nothing sent
/// there (found by the attacker's second trial).
async fn a_password_taken_into_another_source_is_sent_nowhere(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let trap = listener.local_addr().unwrap().port();
    let mut victim = source("Victim LDAP", 389, 0);
    victim["auth_source_ldap"]["organization_ids"] = json!([]);
    let (s, b) = send(
        &app,
        post("/api/auth_source_ldaps", &keys.admin).set_json(&victim),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, evil) = send(
        &app,
        post("/api/auth_source_ldaps", &keys.admin).set_json(
            json!({"auth_source_ldap": {"name": "Evil LDAP", "host": "127.0.0.1", "port": trap}}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{evil}");
    let auth_of = |name: &'static str| {
        let app = &app;
        let admin = keys.admin.clone();
        async move {
            let (_, found) = send(
                app,
                post("/api/v5/artifacts/auths/search", &admin).set_json(json!({"search": name})),
            )
            .await;
            found["auths"][0]["auth_id"].as_str().unwrap().to_owned()
        }
    };
    let (victim_id, evil_id) = (auth_of("Victim").await, auth_of("Evil").await);
    let items = |id: String| {
        let app = &app;
        let admin = keys.admin.clone();
        async move {
            let (_, got) = send(
                app,
                post("/api/v5/artifacts/auths/get", &admin).set_json(json!({"auth_id": id})),
            )
            .await;
            got["items"]["values"].as_array().unwrap().clone()
        }
    };
    let password = items(victim_id.clone())
        .await
        .into_iter()
        .find(|i| i["key"] == "account_password")
        .unwrap();
    let mut ids: Vec<Value> = items(evil_id.clone())
        .await
        .iter()
        .map(|i| i["id"].clone())
        .collect();
    ids.push(password["id"].clone());
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/update", &keys.admin)
            .set_json(json!({"auths": [{"auth_id": evil_id, "item_ids": ids}]})),
    )
    .await;
    assert_eq!(b["results"][0]["success"], true, "{b}");
    let (s, b) = send(
        &app,
        req(
            "PUT",
            &format!("/api/auth_source_ldaps/{}/test", evil["id"]),
            &keys.admin,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["success"], false);
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("Send account_password again"),
        "{b}"
    );
    assert!(listener.accept().is_err(), "nothing was sent to the trap");
    // Replacing or deleting a shared password item keeps it for the auth still using it
    // (and, on PostgreSQL, does not end the transaction).
    let evil_uri = format!("/api/auth_source_ldaps/{}", evil["id"]);
    let (s, b) = send(
        &app,
        req("PUT", &evil_uri, &keys.admin)
            .set_json(json!({"auth_source_ldap": {"account_password": "evil-own-pw"}})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = send(&app, req("DELETE", &evil_uri, &keys.admin)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let kept = items(victim_id.clone()).await;
    assert!(kept.iter().any(|i| i["id"] == password["id"]), "{kept:?}");
}
