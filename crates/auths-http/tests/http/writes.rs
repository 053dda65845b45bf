//! Update, delete and duplicate: versions, conflicts, concurrency, audit.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use auths_app::AppError;
use auths_domain::prelude::*;
use auths_domain::{
    AuthFields, AuthId, Caller, CatalogKind, Channel, Description, DescriptionChoice, EntryId,
    NewCatalogEntry,
};
use auths_store::testing::TestDb;
use serde_json::json;

use crate::support::{assert_error, post, send, service};

crate::on_both_backends!(
    updates_bump_the_version_and_are_audited,
    stale_versions_and_taken_names_conflict,
    concurrent_writers_on_one_version_have_exactly_one_winner,
    concurrent_writers_naming_no_version_all_apply,
    deprecated_auths_only_change_their_flag,
    deletes_are_per_item_and_keep_the_last_state_in_the_audit,
    duplicates_count_up_and_drop_slugs,
);

const CREATE: &str = "/api/v5/artifacts/auths/create";
const UPDATE: &str = "/api/v5/artifacts/auths/update";

macro_rules! create {
    ($app:expr, $key:expr, $item:expr) => {{
        let (s, b) = send($app, post(CREATE, $key).set_json(json!({"auths": [$item]}))).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["results"][0]["success"], true, "{b}");
        b["results"][0]["auth_id"].as_str().unwrap().to_owned()
    }};
}

macro_rules! update {
    ($app:expr, $key:expr, $items:expr) => {{
        let (s, b) = send($app, post(UPDATE, $key).set_json(json!({"auths": $items}))).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b["results"].as_array().unwrap().clone()
    }};
}

macro_rules! get {
    ($app:expr, $key:expr, $id:expr) => {
        send($app, post("/api/v5/artifacts/auths/get", $key).set_json(json!({"auth_id": $id}))).await
    };
}

async fn updates_bump_the_version_and_are_audited(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let id = create!(
        &app,
        &keys.admin,
        json!({"name": "Corp", "protocol_ids": ["protocol-ldap"]})
    );
    let r = update!(
        &app,
        &keys.admin,
        json!([{"auth_id": id, "expected_version": 1, "description": "Now described", "protocol_ids": ["protocol-ldaps", "protocol-ldap"]}])
    );
    assert_eq!(
        (r[0]["success"].as_bool(), r[0]["version"].as_i64()),
        (Some(true), Some(2)),
        "{r:?}"
    );
    let (_, form) = get!(&app, &keys.admin, &id);
    assert_eq!(form["version"], 2);
    assert_eq!(form["descriptions"]["value"]["label"], "Now described");
    assert_eq!(
        form["names"]["value"]["label"], "Corp",
        "fields not given stay"
    );
    assert_eq!(form["protocols"]["values"].as_array().unwrap().len(), 2);

    // The same values again change nothing: no new version, no audit record.
    let r = update!(
        &app,
        &keys.admin,
        json!([{"auth_id": id, "protocol_ids": ["protocol-ldap", "protocol-ldaps"]}])
    );
    assert_eq!(r[0]["version"], 2, "{r:?}");

    let (_, log) = send(
        &app,
        TestRequest::get()
            .uri(&format!("/api/v5/audit?auth_id={id}"))
            .insert_header(("X-Api-Key", keys.admin.clone())),
    )
    .await;
    let ops: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["operation"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["auth.update", "auth.create"], "{log}");
    let e = &log["entries"][0];
    assert_eq!(e["before"]["version"], 1);
    assert!(e["before"]["description"].is_null());
    assert_eq!(e["after"]["version"], 2);
    assert_eq!(e["after"]["description"]["label"], "Now described");

    // Items fail alone: unknown auth, bad value, and a good one.
    let r = update!(
        &app,
        &keys.admin,
        json!([
            {"auth_id": "nope", "description": "x"},
            {"auth_id": id, "name": ""},
            {"auth_id": id, "description": null, "flag_id": "flag-disabled"},
        ])
    );
    assert_eq!(r[0]["error"]["code"], "not_found");
    assert_eq!(r[1]["error"]["code"], "validation_failed");
    assert_eq!(
        (r[2]["success"].as_bool(), r[2]["version"].as_i64()),
        (Some(true), Some(3)),
        "{r:?}"
    );

    let (s, b) = send(
        &app,
        post(UPDATE, &keys.viewer).set_json(json!({"auths": [{"auth_id": id}]})),
    )
    .await;
    assert_error(s, &b, 403, "forbidden");
}

async fn stale_versions_and_taken_names_conflict(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let a = create!(
        &app,
        &keys.admin,
        json!({"name": "A", "protocol_ids": ["protocol-ldap"]})
    );
    let _ = create!(
        &app,
        &keys.admin,
        json!({"name": "B", "protocol_ids": ["protocol-ldap"]})
    );
    let _ = update!(
        &app,
        &keys.admin,
        json!([{"auth_id": a, "description": "v2"}])
    );
    let r = update!(
        &app,
        &keys.admin,
        json!([{"auth_id": a, "expected_version": 1, "description": "lost?"}])
    );
    assert_eq!(r[0]["error"]["code"], "conflict", "{r:?}");
    assert!(
        r[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("version 2"),
        "{r:?}"
    );
    let (_, form) = get!(&app, &keys.admin, &a);
    assert_eq!(
        form["descriptions"]["value"]["label"], "v2",
        "the stale write changed nothing"
    );

    let r = update!(&app, &keys.admin, json!([{"auth_id": a, "name": " b "}]));
    assert_eq!(r[0]["error"]["code"], "conflict", "{r:?}");
    // Renaming to its own name in another case is fine.
    let r = update!(&app, &keys.admin, json!([{"auth_id": a, "name": "a"}]));
    assert_eq!(r[0]["success"], true, "{r:?}");
}

/// The caller a key is, through the API.
fn api_caller(svc: &auths_app::AuthService<auths_store::Db>, key: &str) -> Arc<Caller> {
    let principal = svc
        .authenticate(&auths_app::Credential {
            key: key.to_owned(),
            name: None,
        })
        .unwrap();
    Arc::new(Caller {
        principal,
        channel: Channel::Api,
        client: None,
    })
}

async fn concurrent_writers_on_one_version_have_exactly_one_winner(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let id = create!(
        &app,
        &keys.admin,
        json!({"name": "Raced", "protocol_ids": ["protocol-ldap"]})
    );
    let auth_id = AuthId::parse(&id).unwrap();
    let svc = data.clone().into_inner();
    let caller = api_caller(&svc, &keys.admin);
    let writers = 8;
    let handles: Vec<_> = (0..writers)
        .map(|i| {
            let (svc, caller, auth_id) = (Arc::clone(&svc), Arc::clone(&caller), auth_id.clone());
            std::thread::spawn(move || {
                let patch = AuthFields {
                    description: Some(Some(DescriptionChoice::Text(
                        Description::parse(&format!("writer {i}")).unwrap().unwrap(),
                    ))),
                    ..AuthFields::default()
                };
                (i, svc.update_one(&caller, &auth_id, Some(1), &patch))
            })
        })
        .collect();
    let outcomes: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let winners: Vec<usize> = outcomes
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    for (_, r) in &outcomes {
        if let Err(e) = r {
            assert!(
                matches!(e, AppError::Conflict { .. }),
                "every loser is told of the conflict: {e:?}"
            );
        }
    }
    let (_, form) = get!(&app, &keys.admin, &id);
    assert_eq!(form["version"], 2);
    assert_eq!(
        form["descriptions"]["value"]["label"],
        format!("writer {}", winners[0])
    );
    let (_, log) = send(
        &app,
        TestRequest::get()
            .uri(&format!("/api/v5/audit?auth_id={id}"))
            .insert_header(("X-Api-Key", keys.admin.clone())),
    )
    .await;
    assert_eq!(
        log["total_count"], 2,
        "one create and one winning update: {log}"
    );
}

/// Updates that name no version apply to whatever is there, however they race (on
/// PostgreSQL the conditional write of a loser finds the row changed: it runs again),
/// and every one of them is a version of its own.
async fn concurrent_writers_naming_no_version_all_apply(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let id = create!(
        &app,
        &keys.admin,
        json!({"name": "Raced", "protocol_ids": ["protocol-ldap"]})
    );
    let auth_id = AuthId::parse(&id).unwrap();
    let svc = data.clone().into_inner();
    let caller = api_caller(&svc, &keys.admin);
    let writers = 20;
    let handles: Vec<_> = (0..writers)
        .map(|i| {
            let (svc, caller, auth_id) = (Arc::clone(&svc), Arc::clone(&caller), auth_id.clone());
            std::thread::spawn(move || {
                let patch = AuthFields {
                    description: Some(Some(DescriptionChoice::Text(
                        Description::parse(&format!("writer {i}")).unwrap().unwrap(),
                    ))),
                    ..AuthFields::default()
                };
                svc.update_one(&caller, &auth_id, None, &patch)
            })
        })
        .collect();
    for h in handles {
        let outcome = h.join().unwrap();
        assert!(outcome.is_ok(), "{outcome:?}");
    }
    let (_, form) = get!(&app, &keys.admin, &id);
    assert_eq!(form["version"], 1 + writers);
    let (_, h) = send(
        &app,
        post("/api/v5/artifacts/auths/history", &keys.admin).set_json(json!({"auth_id": id})),
    )
    .await;
    assert_eq!(h["total_count"], 1 + writers, "one version a write");
}

async fn deprecated_auths_only_change_their_flag(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let id = create!(
        &app,
        &keys.admin,
        json!({"name": "Old", "protocol_ids": ["protocol-ldap"], "flag_id": "flag-deprecated"})
    );
    let (_, form) = get!(&app, &keys.admin, &id);
    assert_eq!(
        (form["can_edit"].as_bool(), form["disabled_reason"].as_str()),
        (Some(false), Some("auth is deprecated"))
    );
    let r = update!(
        &app,
        &keys.admin,
        json!([{"auth_id": id, "description": "x"}])
    );
    assert_eq!(r[0]["error"]["code"], "forbidden", "{r:?}");
    let r = update!(
        &app,
        &keys.admin,
        json!([{"auth_id": id, "flag_id": "flag-active", "description": "revived"}])
    );
    assert_eq!(r[0]["success"], true, "{r:?}");
}

async fn deletes_are_per_item_and_keep_the_last_state_in_the_audit(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let slug = NewCatalogEntry {
        id: EntryId::parse("s1").unwrap(),
        kind: CatalogKind::Slugs,
        label: "corp".into(),
        item: None,
    };
    data.store()
        .write(|tx| tx.insert_entry(&slug, auths_app::now()))
        .unwrap();
    let id = create!(
        &app,
        &keys.admin,
        json!({"name": "Doomed", "protocol_ids": ["protocol-ldap"], "slug_ids": ["s1"]})
    );
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/delete", &keys.admin)
            .set_json(json!({"auth_ids": [id, "nope", id]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let r = b["results"].as_array().unwrap();
    assert_eq!(
        r.iter()
            .map(|x| x["success"].as_bool().unwrap())
            .collect::<Vec<_>>(),
        [true, false, false]
    );
    assert_eq!(r[1]["auth_id"], "nope");
    assert_eq!(r[2]["error"]["code"], "not_found");
    let (s, b) = get!(&app, &keys.admin, &id);
    assert_error(s, &b, 404, "not_found");
    let (_, log) = send(
        &app,
        TestRequest::get()
            .uri(&format!("/api/v5/audit?auth_id={id}"))
            .insert_header(("X-Api-Key", keys.admin.clone())),
    )
    .await;
    let e = &log["entries"][0];
    assert_eq!(
        (
            e["operation"].as_str(),
            e["before"]["name"]["label"].as_str()
        ),
        (Some("auth.delete"), Some("Doomed"))
    );
    assert!(e["after"].is_null());
    // The slug is free again, and so is the name.
    let _ = create!(
        &app,
        &keys.admin,
        json!({"name": "doomed", "protocol_ids": ["protocol-ldap"], "slug_ids": ["s1"]})
    );
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/delete", &keys.viewer).set_json(json!({"auth_ids": []})),
    )
    .await;
    assert_error(s, &b, 403, "forbidden");
}

async fn duplicates_count_up_and_drop_slugs(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let slug = NewCatalogEntry {
        id: EntryId::parse("s1").unwrap(),
        kind: CatalogKind::Slugs,
        label: "corp".into(),
        item: None,
    };
    data.store()
        .write(|tx| tx.insert_entry(&slug, auths_app::now()))
        .unwrap();
    let id = create!(
        &app,
        &keys.admin,
        json!({"name": "Corp", "description": "d", "protocol_ids": ["protocol-ldap"], "slug_ids": ["s1"]})
    );
    let mut names = Vec::new();
    let mut copies = Vec::new();
    for _ in 0..2 {
        let (s, b) = send(
            &app,
            post("/api/v5/artifacts/auths/duplicate", &keys.admin).set_json(json!({"auth_id": id})),
        )
        .await;
        assert_eq!(
            (s, b["success"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{b}"
        );
        let copy = b["auth_id"].as_str().unwrap().to_owned();
        let (_, form) = get!(&app, &keys.admin, &copy);
        names.push(form["names"]["value"]["label"].as_str().unwrap().to_owned());
        assert_eq!(form["slugs"]["values"], json!([]));
        assert_eq!(form["descriptions"]["value"]["label"], "d");
        copies.push(form);
    }
    assert_eq!(names, ["Corp (copy)", "Corp (copy 2)"]);
    let (_, original) = get!(&app, &keys.admin, &id);
    assert_eq!(copies[0]["group_id"], original["group_id"]);
    assert_ne!(copies[0]["auth_id"], original["auth_id"]);
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/duplicate", &keys.admin).set_json(json!({"auth_id": "nope"})),
    )
    .await;
    assert_error(s, &b, 404, "not_found");
}

mod races {
    use std::sync::Arc;

    use auths_app::{AppError, AuthService, Credential, DraftEdit};
    use auths_domain::{Caller, Change, Channel, DraftPatch};
    use auths_store::Db;
    use auths_store::testing::TestDb;

    fn admin(svc: &AuthService<Db>, key: &str) -> Caller {
        let principal = svc
            .authenticate(&Credential {
                key: key.to_owned(),
                name: None,
            })
            .unwrap();
        Caller {
            principal,
            channel: Channel::Api,
            client: None,
        }
    }

    crate::on_both_backends!(
        thirty_two_writers_on_one_draft,
        thirty_two_writers_on_one_auth_through_update,
        overlapping_bulk_creates_never_store_a_name_twice,
        a_bulk_creates_items_succeed_and_fail_alone,
    );

    /// One bulk create whose items fail in every way an item can (on PostgreSQL the
    /// items of a chunk are batched: read at once, written at once): each succeeds or
    /// fails alone, an item sees the names and slugs of the items before it, and what a
    /// failed item added to the catalogs goes with it.
    async fn a_bulk_creates_items_succeed_and_fail_alone(t: TestDb) {
        use auths_domain::prelude::*;
        let (data, keys) = crate::support::service(&t);
        let svc = data.into_inner();
        let caller = admin(&svc, &keys.admin);
        let now = chrono::Utc::now();
        for (kind, id, label) in [
            (
                auths_domain::CatalogKind::Departments,
                "dept-batch",
                "Batch dept",
            ),
            (auths_domain::CatalogKind::Slugs, "slug-batch", "batch-slug"),
        ] {
            let e = auths_domain::NewCatalogEntry {
                id: auths_domain::EntryId::parse(id).unwrap(),
                kind,
                label: label.into(),
                item: None,
            };
            t.db.write(|tx| tx.insert_entry(&e, now)).unwrap();
        }
        let item = |name: &str, description: &str, extra: &[(&str, &str)]| {
            let mut fields = auths_domain::RawFields {
                name: Some(name.into()),
                description: Some(description.into()),
                protocol_ids: Some(vec!["protocol-ldap".into()]),
                department_ids: Some(vec!["dept-batch".into()]),
                ..auths_domain::RawFields::default()
            };
            for (k, v) in extra {
                match *k {
                    "protocol" => fields.protocol_ids = Some(vec![(*v).into()]),
                    "slug" => fields.slug_ids = Some(vec![(*v).into()]),
                    _ => unreachable!(),
                }
            }
            auths_app::CreateItem {
                draft_id: None,
                fields,
            }
        };
        let items = [
            item("Alpha", "batch words new", &[("slug", "slug-batch")]),
            item(
                "Orphan name",
                "orphan words",
                &[("protocol", "protocol-none")],
            ),
            item("ALPHA", "batch words new", &[]),
            item("Gamma", "batch words new", &[("slug", "slug-batch")]),
            item("Beta", "batch words new", &[("protocol", "protocol-none")]),
            item("Beta", "batch words new", &[]),
        ];
        let results = svc.create_many(&caller, &items).unwrap();
        let kinds: Vec<String> = results
            .iter()
            .map(|r| match r {
                Ok(_) => "created".to_owned(),
                Err(AppError::Invalid(_)) => "invalid".to_owned(),
                Err(AppError::Conflict(c)) => format!("{c:?}"),
                Err(e) => format!("{e:?}"),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "created",
                "invalid",
                "NameTaken",
                "SlugTaken { slug: EntryId(\"slug-batch\") }",
                "invalid",
                "created"
            ]
        );
        // The failed items' texts are gone, the used ones stored once.
        assert_eq!(
            t.texts(
                "SELECT label AS t FROM catalog_entries WHERE kind IN ('names', 'descriptions') ORDER BY label"
            ),
            ["Alpha", "Beta", "batch words new"]
        );
        for (r, name) in [(&results[0], "Alpha"), (&results[5], "Beta")] {
            let created = r.as_ref().unwrap();
            let view = svc.get_one(&caller, &created.auth_id).unwrap();
            let auth = &view.auth;
            assert_eq!(auth.number, created.number);
            assert_eq!(auth.name.label, name);
            assert_eq!(auth.departments[0].id.as_str(), "dept-batch");
            assert_eq!(auth.slugs.len(), usize::from(name == "Alpha"));
            let id = created.auth_id.as_str();
            // One version, one audit record, filed under the auth's department.
            let q = |sql: &str| t.texts(&sql.replace("{id}", id));
            assert_eq!(
                q("SELECT CAST(version AS TEXT) AS t FROM auth_versions WHERE auth_id = '{id}'"),
                ["1"]
            );
            assert_eq!(
                q(
                    "SELECT d.entry_id AS t FROM audit_log l JOIN audit_departments d ON d.audit_number = l.number WHERE l.auth_id = '{id}' AND l.operation = 'auth.create'"
                ),
                ["dept-batch"]
            );
        }
        assert_eq!(
            t.texts(
                "SELECT CAST(COUNT(*) AS TEXT) AS t FROM audit_log WHERE operation = 'auth.create'"
            ),
            ["2"]
        );
        let search = auths_app::SearchRequest {
            text: Some("batch".into()),
            departments: None,
            department_search: None,
            page: auths_domain::PageRequest {
                limit: 10,
                offset: 0,
            },
        };
        assert_eq!(svc.search(&caller, &search).unwrap().total, 2);
    }

    async fn thirty_two_writers_on_one_draft(t: TestDb) {
        let (data, keys) = crate::support::service(&t);
        let svc = data.into_inner();
        let caller = Arc::new(admin(&svc, &keys.admin));
        let start = DraftEdit {
            draft_id: None,
            auth_id: None,
            expected_version: 0,
            from_version: None,
            patch: DraftPatch::default(),
        };
        let draft = svc.edit_draft(&caller, start).unwrap().draft.draft_id;
        let handles: Vec<_> = (0..32)
            .map(|i| {
                let (svc, caller, draft) = (Arc::clone(&svc), Arc::clone(&caller), draft.clone());
                std::thread::spawn(move || {
                    let patch = DraftPatch {
                        name: Change::Set(format!("writer {i}")),
                        ..DraftPatch::default()
                    };
                    (
                        i,
                        svc.edit_draft(
                            &caller,
                            DraftEdit {
                                draft_id: Some(draft.to_string()),
                                auth_id: None,
                                expected_version: 1,
                                from_version: None,
                                patch,
                            },
                        ),
                    )
                })
            })
            .collect();
        let outcomes: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners: Vec<usize> = outcomes
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(winners.len(), 1, "exactly one winner for version 1");
        assert!(
            outcomes
                .iter()
                .all(|(_, r)| r.is_ok() || matches!(r, Err(AppError::Conflict { .. })))
        );
        let now = svc.draft(&caller, &draft).unwrap().draft;
        assert_eq!(
            (now.version, now.values.name),
            (2, Some(format!("writer {}", winners[0]))),
            "the winner's change, whole"
        );
        let page = auths_domain::PageRequest {
            limit: 500,
            offset: 0,
        };
        let records = svc.list_audit(&caller, None, page).unwrap().rows;
        assert_eq!(
            records
                .iter()
                .filter(|r| r.operation == "draft.update")
                .count(),
            1,
            "one record per win"
        );
    }

    /// 32 clients each add their own item to one auth through `POST .../update`, read
    /// then write with `expected_version`, and retry on `conflict`. The requests go
    /// through the HTTP layer at once; the use cases run in parallel on the blocking
    /// pool.
    async fn thirty_two_writers_on_one_auth_through_update(t: TestDb) {
        use std::rc::Rc;

        use actix_web::http::StatusCode;
        use actix_web::test::TestRequest;
        use serde_json::{Value, json};

        use crate::support::{post, send};

        const WRITERS: usize = 32;
        let (data, keys) = crate::support::service(&t);
        let app = Rc::new(crate::app!(data));
        let key = Rc::new(keys.admin.clone());
        let mut items = Vec::new();
        for i in 0..WRITERS {
            let (s, b) = send(
                &*app,
                post("/api/v5/catalog/items", &key).set_json(
                    json!({"key": format!("k{i}"), "value": format!("v{i}"), "secret": false}),
                ),
            )
            .await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            items.push(b["id"].as_str().unwrap().to_owned());
        }
        let (s, b) = send(
            &*app,
            post("/api/v5/artifacts/auths/create", &key)
                .set_json(json!({"auths": [{"name": "Raced", "protocol_ids": ["protocol-ldap"]}]})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let id = Rc::new(b["results"][0]["auth_id"].as_str().unwrap().to_owned());

        let writers: Vec<_> =
            items
                .iter()
                .enumerate()
                .map(|(i, mine)| {
                    let (app, key, id, mine) = (
                        Rc::clone(&app),
                        Rc::clone(&key),
                        Rc::clone(&id),
                        mine.clone(),
                    );
                    actix_rt::spawn(async move {
                        // (version won, conflicts met)
                        let mut conflicts = Vec::new();
                        for _ in 0..=WRITERS {
                            let (s, form) = send(
                                &*app,
                                post("/api/v5/artifacts/auths/get", &key)
                                    .set_json(json!({"auth_id": *id})),
                            )
                            .await;
                            assert_eq!(s, StatusCode::OK, "{form}");
                            let version = form["version"].as_i64().unwrap();
                            let mut ids: Vec<Value> = form["items"]["values"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|v| v["id"].clone())
                                .collect();
                            ids.push(json!(mine));
                            let (s, b) = send(
                            &*app,
                            post("/api/v5/artifacts/auths/update", &key).set_json(json!({"auths": [
                                {"auth_id": *id, "expected_version": version, "item_ids": ids}
                            ]})),
                        )
                        .await;
                            assert_eq!(s, StatusCode::OK, "{b}");
                            let r = &b["results"][0];
                            if r["success"] == true {
                                assert_eq!(r["version"].as_i64(), Some(version + 1), "{b}");
                                return (i, version, conflicts);
                            }
                            assert_eq!(r["error"]["code"], "conflict", "every loser is told: {b}");
                            conflicts.push(version);
                        }
                        panic!("writer {i} never won in {} tries", WRITERS + 1)
                    })
                })
                .collect();
        let mut outcomes = Vec::new();
        for w in writers {
            outcomes.push(w.await.unwrap());
        }

        // Exactly one winner per version: versions 1..=32 were each won once.
        let mut won: Vec<i64> = outcomes.iter().map(|(_, v, _)| *v).collect();
        won.sort_unstable();
        assert_eq!(
            won,
            (1..=WRITERS as i64).collect::<Vec<_>>(),
            "{outcomes:?}"
        );
        let losses: usize = outcomes.iter().map(|(_, _, c)| c.len()).sum();
        assert!(
            losses >= WRITERS - 1,
            "the first round alone has 31 losers: {losses}"
        );
        eprintln!("{WRITERS} writers on one auth: {WRITERS} wins, {losses} conflicts");
        // A loser lost to a version that someone else won.
        for (i, _, lost) in &outcomes {
            for v in lost {
                assert!(
                    won.contains(v),
                    "writer {i} lost version {v}, which nobody won"
                );
            }
        }

        // The final state holds every winner's change: no item was lost.
        let (_, form) = send(
            &*app,
            post("/api/v5/artifacts/auths/get", &key).set_json(json!({"auth_id": *id})),
        )
        .await;
        assert_eq!(form["version"], WRITERS as i64 + 1, "{form}");
        let mut have: Vec<String> = form["items"]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_owned())
            .collect();
        have.sort();
        items.sort();
        assert_eq!(have, items, "no lost update");

        // One audit record per win, each one version on from the last, one item more.
        let (s, log) = send(
            &*app,
            TestRequest::get()
                .uri(&format!("/api/v5/audit?auth_id={}&page_size=500", *id))
                .insert_header(("X-Api-Key", (*key).clone())),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{log}");
        assert_eq!(
            log["total_count"],
            WRITERS + 1,
            "one create, one record per win"
        );
        let mut updates: Vec<(i64, usize, usize)> = log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["operation"] == "auth.update")
            .map(|e| {
                let count = |side: &str| e[side]["items"].as_array().map_or(0, Vec::len);
                (
                    e["after"]["version"].as_i64().unwrap(),
                    count("before"),
                    count("after"),
                )
            })
            .collect();
        updates.sort_unstable();
        assert_eq!(updates.len(), WRITERS);
        for (n, (version, before, after)) in updates.iter().enumerate() {
            assert_eq!(
                (*version, *before, *after),
                (n as i64 + 2, n, n + 1),
                "{updates:?}"
            );
        }
    }

    async fn overlapping_bulk_creates_never_store_a_name_twice(t: TestDb) {
        let (data, keys) = crate::support::service(&t);
        let svc = data.into_inner();
        let caller = Arc::new(admin(&svc, &keys.admin));
        // Four clients each create the same ten names (in different cases) in one bulk
        // request, two of them in the reverse order, so that the bulks' transactions
        // take their locks in opposite orders.
        let handles: Vec<_> = (0..4)
            .map(|c| {
                let (svc, caller) = (Arc::clone(&svc), Arc::clone(&caller));
                std::thread::spawn(move || {
                    let mut order: Vec<usize> = (0..10).collect();
                    if c >= 2 {
                        order.reverse();
                    }
                    let items: Vec<_> = order
                        .iter()
                        .map(|n| {
                            let name = if c % 2 == 0 {
                                format!("Shared {n}")
                            } else {
                                format!("SHARED {n}")
                            };
                            auths_app::CreateItem {
                                draft_id: None,
                                fields: auths_domain::RawFields {
                                    name: Some(name),
                                    description: Some(format!("shared text {n}")),
                                    protocol_ids: Some(vec!["protocol-ldap".into()]),
                                    ..auths_domain::RawFields::default()
                                },
                            }
                        })
                        .collect();
                    svc.create_many(&caller, &items).unwrap()
                })
            })
            .collect();
        let all: Vec<_> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        assert_eq!(
            all.iter().filter(|r| r.is_ok()).count(),
            10,
            "each name stored once"
        );
        for r in all.iter().filter_map(|r| r.as_ref().err()) {
            // Told the name is taken, or (a PostgreSQL deadlock's victim) that the
            // data changed concurrently.
            assert!(
                matches!(
                    r,
                    AppError::Conflict(
                        auths_app::Conflict::NameTaken | auths_app::Conflict::Concurrent
                    )
                ),
                "a loser must be told of the conflict: {r:?}"
            );
        }
        let search = auths_app::SearchRequest {
            text: Some("shared".into()),
            departments: None,
            department_search: None,
            page: auths_domain::PageRequest {
                limit: 100,
                offset: 0,
            },
        };
        assert_eq!(svc.search(&caller, &search).unwrap().total, 10);
    }
}
