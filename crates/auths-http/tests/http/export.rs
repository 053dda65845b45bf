//! Export to CSV and download.

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, read_body};
use auths_domain::prelude::*;
use auths_domain::{CatalogKind, EntryId, ItemData, NewCatalogEntry, Role};
use auths_store::testing::TestDb;
use serde_json::json;

use crate::support::{assert_error, key, post, send, service};

crate::on_both_backends!(
    exports_stream_visible_auths_without_secrets,
    uploads_are_for_their_creator_and_admins,
);

const EXPORT: &str = "/api/v5/artifacts/auths/export";

async fn exports_stream_visible_auths_without_secrets(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let pw = NewCatalogEntry {
        id: EntryId::parse("item-pw").unwrap(),
        kind: CatalogKind::Items,
        label: "bind_password".into(),
        item: Some(ItemData::parse("bind_password", "hunter2-secret", true).unwrap()),
    };
    let host = NewCatalogEntry {
        id: EntryId::parse("item-host").unwrap(),
        kind: CatalogKind::Items,
        label: "host".into(),
        item: Some(ItemData::parse("host", "ldap.example.com", false).unwrap()),
    };
    let fin = NewCatalogEntry {
        id: EntryId::parse("d-fin").unwrap(),
        kind: CatalogKind::Departments,
        label: "Finance".into(),
        item: None,
    };
    for e in [&pw, &host, &fin] {
        data.store()
            .write(|tx| tx.insert_entry(e, auths_app::now()))
            .unwrap();
    }
    let mut items = vec![
        json!({"name": "=HYPERLINK(\"x\")", "protocol_ids": ["protocol-ldap", "protocol-ldaps"], "item_ids": ["item-pw", "item-host"], "department_ids": ["d-fin"]}),
    ];
    // More than one batch of 500, to cross the keyset paging.
    items.extend(
        (0..520)
            .map(|i| json!({"name": format!("Auth {i:04}"), "protocol_ids": ["protocol-oidc"]})),
    );
    for chunk in items.chunks(100) {
        let (s, b) = send(
            &app,
            post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": chunk})),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            b["results"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["success"] == true),
            "{b}"
        );
    }

    let (s, b) = send(&app, post(EXPORT, &keys.admin)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["row_count"], 521);
    let file_name = b["file_name"].as_str().unwrap();
    assert!(
        file_name.starts_with("auths-") && file_name.ends_with(".csv"),
        "{file_name}"
    );

    let res = call_service(
        &app,
        TestRequest::get()
            .uri(&format!(
                "/api/v5/uploads/{}",
                b["upload_id"].as_str().unwrap()
            ))
            .insert_header(("X-Api-Key", keys.admin.clone()))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    let disposition = res
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment") && disposition.contains(file_name),
        "{disposition}"
    );
    let body = String::from_utf8(read_body(res).await.to_vec()).unwrap();
    let mut rows = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = rows.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header, auths_app::EXPORT_HEADER);
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 521);
    let first = records.iter().find(|r| r[2].contains("HYPERLINK")).unwrap();
    assert_eq!(
        &first[2], "'=HYPERLINK(\"x\")",
        "formula cells are neutralised"
    );
    assert_eq!(&first[5], "ldap;ldaps");
    assert_eq!(
        &first[7], "host=ldap.example.com",
        "secret items are left out"
    );
    assert_eq!(&first[8], "Finance");
    assert!(!body.contains("hunter2-secret"));

    // One auth.
    let id = first[0].to_owned();
    let (_, b) = send(
        &app,
        post(EXPORT, &keys.admin).set_json(json!({"auth_id": id})),
    )
    .await;
    assert_eq!(b["row_count"], 1, "{b}");
    let (s, b) = send(
        &app,
        post(EXPORT, &keys.admin).set_json(json!({"auth_id": "nope"})),
    )
    .await;
    assert_error(s, &b, 404, "not_found");

    // A scoped key exports only its departments.
    let scoped = key(
        &data,
        "fin",
        Role::Editor,
        &[&EntryId::parse("d-fin").unwrap()],
        false,
    );
    let (_, b) = send(&app, post(EXPORT, &scoped)).await;
    assert_eq!(b["row_count"], 1, "{b}");

    let (s, b) = send(&app, post(EXPORT, &keys.viewer)).await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = send(
        &app,
        post(EXPORT, &scoped).insert_header(("X-MCP", "agent")),
    )
    .await;
    assert_error(s, &b, 403, "forbidden");

    let leftovers: Vec<_> = std::fs::read_dir(keys.data_dir.path().join("uploads"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        leftovers.iter().all(|f| f.ends_with(".csv")),
        "no partial file stays: {leftovers:?}"
    );
    assert_eq!(leftovers.len(), 3);
}

async fn uploads_are_for_their_creator_and_admins(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let alice = key(&data, "alice", Role::Editor, &[], false);
    let bob = key(&data, "bob", Role::Editor, &[], false);
    let (_, b) = send(&app, post(EXPORT, &alice)).await;
    let uri = format!("/api/v5/uploads/{}", b["upload_id"].as_str().unwrap());
    let get = |key: &str| {
        TestRequest::get()
            .uri(&uri)
            .insert_header(("X-Api-Key", key.to_owned()))
    };
    assert_eq!(
        call_service(&app, get(&alice).to_request()).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        call_service(&app, get(&keys.admin).to_request())
            .await
            .status(),
        StatusCode::OK
    );
    let (s, b) = send(&app, get(&bob)).await;
    assert_error(s, &b, 404, "not_found");
    for bad in [
        "/api/v5/uploads/nope",
        "/api/v5/uploads/..%2F..%2Fetc%2Fpasswd",
    ] {
        let (s, b) = send(
            &app,
            TestRequest::get()
                .uri(bad)
                .insert_header(("X-Api-Key", keys.admin.clone())),
        )
        .await;
        assert_error(s, &b, 404, "not_found");
    }
}
