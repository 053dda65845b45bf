//! Search: full text, ranking, the department facet, paging, scope, and freshness.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use auths_domain::{EntryId, Role};
use auths_store::testing::TestDb;
use serde_json::{Value, json};

use crate::support::{assert_error, key, post, send, service};

crate::on_both_backends!(
    search_finds_words_in_every_section_and_ranks_names_first,
    the_facet_ignores_its_own_filter,
    search_pages_and_reflects_every_write,
    scoped_keys_search_only_their_departments,
    answers_reflect_another_processs_writes_at_once,
    a_bulk_create_indexes_what_it_keeps_and_nothing_of_a_failed_item,
    a_result_row_shows_what_get_shows_after_renames_and_updates,
);

const SEARCH: &str = "/api/v5/artifacts/auths/search";

macro_rules! setup {
    ($t:expr) => {{
        let (data, keys) = service(&$t);
        let app = crate::app!(data);
        let mut deps = Vec::new();
        for label in ["Finance", "Human Resources", "IT"] {
            let (s, b) = send(&app, post("/api/v5/catalog/departments", &keys.admin).set_json(json!({"label": label}))).await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            deps.push(b["id"].as_str().unwrap().to_owned());
        }
        let (_, slug) = send(&app, post("/api/v5/catalog/slugs", &keys.admin).set_json(json!({"label": "payroll-sso"}))).await;
        let items = json!([
            {"name": "Corporate Directory", "description": "The main LDAP of the company", "protocol_ids": ["protocol-ldaps"], "department_ids": [deps[2]]},
            {"name": "Payroll", "description": "Salary portal login", "protocol_ids": ["protocol-saml2"], "department_ids": [deps[0], deps[1]], "slug_ids": [slug["id"]]},
            {"name": "LDAP Legacy", "protocol_ids": ["protocol-ldap"], "department_ids": [deps[2]]},
            {"name": "Recruiting", "description": "Applicant tracking", "protocol_ids": ["protocol-oidc"], "department_ids": [deps[1]]},
            {"name": "Kiosk", "protocol_ids": ["protocol-external"]},
        ]);
        let (s, b) = send(&app, post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": items}))).await;
        assert!(b["results"].as_array().unwrap().iter().all(|r| r["success"] == true), "{s} {b}");
        (data, keys, app, deps)
    }};
}

/// The names, sorted: for searches whose matches rank differently on each backend
/// (BM25 weighs field length, `ts_rank` does not).
fn name_set(b: &Value) -> Vec<String> {
    let mut n = names(b);
    n.sort();
    n
}

fn names(b: &Value) -> Vec<String> {
    b["auths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"]["label"].as_str().unwrap().to_owned())
        .collect()
}

async fn search_finds_words_in_every_section_and_ranks_names_first(t: TestDb) {
    let (_data, keys, app, _) = setup!(t);
    let find = |q: &str| post(SEARCH, &keys.viewer).set_json(json!({"search": q}));
    let (s, b) = send(&app, find("ldap")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // The name match ranks before the description match.
    assert_eq!(names(&b), ["LDAP Legacy", "Corporate Directory"], "{b}");
    assert_eq!(b["total_count"], 2);
    assert_eq!(b["actor_name"], "viewer");
    let row = &b["auths"][0];
    for field in [
        "auth_id",
        "id",
        "name",
        "flag",
        "protocols",
        "slugs",
        "departments",
        "version",
        "updated_at",
        "can_edit",
    ] {
        assert!(!row[field].is_null(), "{field} in {row}");
    }
    assert_eq!(row["can_edit"], false);

    assert_eq!(
        names(&send(&app, find("SALARY")).await.1),
        ["Payroll"],
        "description, any case"
    );
    assert_eq!(
        names(&send(&app, find("payroll-sso")).await.1),
        ["Payroll"],
        "slug"
    );
    assert_eq!(
        names(&send(&app, find("oidc")).await.1),
        ["Recruiting"],
        "protocol"
    );
    assert_eq!(
        name_set(&send(&app, find("human")).await.1),
        ["Payroll", "Recruiting"],
        "department"
    );
    assert_eq!(
        names(&send(&app, find("recr")).await.1),
        ["Recruiting"],
        "word prefix"
    );
    assert_eq!(
        names(&send(&app, find("corporate ldap")).await.1),
        ["Corporate Directory"],
        "every word must match"
    );
    assert!(names(&send(&app, find("nothing-like-this")).await.1).is_empty());
    // Query syntax of either backend is just text.
    for hostile in [
        r#"" OR 1=1 --"#,
        "a:* & !b",
        "NEAR(x y)",
        "*",
        "'); DROP TABLE auths; --",
        "ü",
    ] {
        let (s, b) = send(&app, find(hostile)).await;
        assert_eq!(s, StatusCode::OK, "{hostile}: {b}");
    }
    let (_, all) = send(&app, post(SEARCH, &keys.viewer)).await;
    assert_eq!(
        names(&all),
        [
            "Corporate Directory",
            "Kiosk",
            "LDAP Legacy",
            "Payroll",
            "Recruiting"
        ],
        "no search: by name"
    );
}

async fn the_facet_ignores_its_own_filter(t: TestDb) {
    let (_data, keys, app, deps) = setup!(t);
    let (_, b) = send(
        &app,
        post(SEARCH, &keys.viewer).set_json(json!({"filter_department_ids": [deps[2]]})),
    )
    .await;
    assert_eq!(names(&b), ["Corporate Directory", "LDAP Legacy"]);
    assert_eq!(b["total_count"], 2);
    let options = b["department_filter"]["options"].as_array().unwrap();
    let facet: Vec<(String, u64, bool)> = options
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_owned(),
                o["count"].as_u64().unwrap(),
                o["selected"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        facet,
        [
            ("Human Resources".to_owned(), 2, false),
            ("IT".to_owned(), 2, true),
            ("Finance".to_owned(), 1, false)
        ]
    );

    let (_, b) = send(
        &app,
        post(SEARCH, &keys.viewer)
            .set_json(json!({"search": "payroll", "department_search": "fin"})),
    )
    .await;
    let options = b["department_filter"]["options"].as_array().unwrap();
    assert_eq!(options.len(), 1, "{b}");
    assert_eq!(
        (options[0]["name"].as_str(), options[0]["count"].as_u64()),
        (Some("Finance"), Some(1))
    );
    assert_eq!(b["department_filter"]["search"], "fin");

    let (s, b) = send(
        &app,
        post(SEARCH, &keys.viewer).set_json(json!({"filter_department_ids": ["not valid"]})),
    )
    .await;
    assert_error(s, &b, 422, "validation_failed");
}

async fn search_pages_and_reflects_every_write(t: TestDb) {
    let (_data, keys, app, deps) = setup!(t);
    let page = |size: i64, offset: i64| {
        post(SEARCH, &keys.viewer).set_json(json!({"page_size": size, "page_offset": offset}))
    };
    let (_, b) = send(&app, page(2, 2)).await;
    assert_eq!(
        (names(&b), b["total_count"].as_u64()),
        (
            vec!["LDAP Legacy".to_owned(), "Payroll".to_owned()],
            Some(5)
        )
    );
    let (_, b) = send(&app, page(2, 10)).await;
    assert!(names(&b).is_empty());
    for (size, offset) in [(0, 0), (501, 0), (10, -1)] {
        let (s, b) = send(&app, page(size, offset)).await;
        assert_error(s, &b, 400, "bad_request");
    }

    let (_, b) = send(
        &app,
        post(SEARCH, &keys.viewer).set_json(json!({"search": "kiosk"})),
    )
    .await;
    let kiosk = b["auths"][0]["auth_id"].as_str().unwrap().to_owned();
    let (_, r) = send(
        &app,
        post("/api/v5/artifacts/auths/update", &keys.admin)
            .set_json(json!({"auths": [{"auth_id": kiosk, "name": "Lobby Terminal"}]})),
    )
    .await;
    assert_eq!(r["results"][0]["success"], true, "{r}");
    let found = |q: &'static str| {
        send(
            &app,
            post(SEARCH, &keys.viewer).set_json(json!({"search": q})),
        )
    };
    assert!(
        names(&found("kiosk").await.1).is_empty(),
        "the old name is gone at once"
    );
    assert_eq!(names(&found("lobby").await.1), ["Lobby Terminal"]);

    // Renaming a department re-indexes the auths that have it.
    let uri = format!("/api/v5/catalog/departments/{}", deps[2]);
    let (s, b) = send(
        &app,
        TestRequest::patch()
            .uri(&uri)
            .insert_header(("X-Api-Key", keys.admin.clone()))
            .set_json(json!({"label": "Engineering"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        name_set(&found("engineering").await.1),
        ["Corporate Directory", "LDAP Legacy"]
    );

    let (_, r) = send(
        &app,
        post("/api/v5/artifacts/auths/delete", &keys.admin).set_json(json!({"auth_ids": [kiosk]})),
    )
    .await;
    assert_eq!(r["results"][0]["success"], true);
    assert!(names(&found("lobby").await.1).is_empty());
    assert_eq!(
        send(&app, post(SEARCH, &keys.viewer)).await.1["total_count"],
        4
    );
}

async fn scoped_keys_search_only_their_departments(t: TestDb) {
    let (data, keys, app, deps) = setup!(t);
    let _ = keys;
    let hr = EntryId::parse(&deps[1]).unwrap();
    let scoped = key(&data, "hr-viewer", Role::Viewer, &[&hr], false);
    let (_, b) = send(&app, post(SEARCH, &scoped)).await;
    assert_eq!(names(&b), ["Payroll", "Recruiting"]);
    assert_eq!(b["total_count"], 2);
    let facet: Vec<(String, u64)> = b["department_filter"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_owned(),
                o["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        facet,
        [("Human Resources".to_owned(), 2), ("Finance".to_owned(), 1)],
        "only visible auths are counted"
    );
    let (_, b) = send(
        &app,
        post(SEARCH, &scoped).set_json(json!({"search": "ldap"})),
    )
    .await;
    assert_eq!(b["total_count"], 0, "{b}");
}

/// Answers are cached per data generation, which lives in the database: a write made
/// by another service over the same database (another process, another replica) shows
/// in the very next answer, and the same question twice with no write between answers
/// the same.
async fn answers_reflect_another_processs_writes_at_once(t: TestDb) {
    let (_data, keys, app, deps) = setup!(t);
    let other = auths_app::AuthService::new(t.db.clone(), auths_app::Settings::default());
    let admin = other
        .authenticate(&auths_app::Credential {
            key: keys.admin.clone(),
            name: None,
        })
        .unwrap();
    let caller = auths_domain::Caller {
        principal: admin,
        channel: auths_domain::Channel::Api,
        client: None,
    };
    let ask = || {
        send(
            &app,
            post(SEARCH, &keys.viewer).set_json(json!({"search": "payroll"})),
        )
    };
    let (_, first) = ask().await;
    assert_eq!(first["total_count"], 1);
    assert_eq!(ask().await.1, first, "no write between: the same answer");

    let fields = auths_domain::RawFields {
        name: Some("Payroll Archive".into()),
        protocol_ids: Some(vec!["protocol-ldap".into()]),
        department_ids: Some(vec![deps[0].clone()]),
        ..auths_domain::RawFields::default()
    }
    .parse()
    .unwrap();
    other.create_one(&caller, &fields).unwrap();
    let (_, after) = ask().await;
    assert_eq!(after["total_count"], 2, "{after}");
    let finance = after["department_filter"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == deps[0].as_str())
        .unwrap()
        .clone();
    assert_eq!(finance["count"], 2, "{after}");
}

/// A bulk create runs its items in savepoints of one transaction and writes their
/// search rows at the end: each kept item is found, a failed item leaves nothing
/// (neither an auth, nor a search row, nor the catalog text it introduced).
async fn a_bulk_create_indexes_what_it_keeps_and_nothing_of_a_failed_item(t: TestDb) {
    let (_data, keys, app, deps) = setup!(t);
    let items = json!([
        {"name": "Zephyr Gateway", "description": "zephyrdesc one", "protocol_ids": ["protocol-ldap"], "department_ids": [deps[0]]},
        {"name": "zephyr gateway", "description": "zephyrdesc two", "protocol_ids": ["protocol-ldap"], "department_ids": [deps[0]]},
        {"name": "Zephyr Relay", "description": "zephyrdesc three", "protocol_ids": ["protocol-nope"]},
        {"name": "Zephyr Portal", "description": "zephyrdesc four", "protocol_ids": ["protocol-oidc"], "department_ids": [deps[1]]},
    ]);
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &keys.admin).set_json(json!({"auths": items})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let ok: Vec<bool> = b["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["success"] == true)
        .collect();
    assert_eq!(ok, [true, false, false, true], "{b}");
    assert_eq!(b["results"][1]["error"]["code"], "conflict", "{b}");
    assert_eq!(b["results"][2]["error"]["code"], "validation_failed", "{b}");

    let (_, found) = send(
        &app,
        post(SEARCH, &keys.viewer).set_json(json!({"search": "zephyr"})),
    )
    .await;
    assert_eq!(name_set(&found), ["Zephyr Gateway", "Zephyr Portal"]);
    let (_, found) = send(
        &app,
        post(SEARCH, &keys.viewer).set_json(json!({"search": "zephyrdesc"})),
    )
    .await;
    assert_eq!(found["total_count"], 2, "{found}");
    // The failed items' descriptions were not kept in the catalog either.
    let (s, page) = send(
        &app,
        actix_web::test::TestRequest::get()
            .uri("/api/v5/catalog/descriptions?search=zephyrdesc")
            .insert_header(("X-Api-Key", keys.admin.clone())),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let mut labels: Vec<&str> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["label"].as_str().unwrap())
        .collect();
    labels.sort_unstable();
    assert_eq!(labels, ["zephyrdesc four", "zephyrdesc one"]);
}

/// A result row is answered from the search index, not read from the tables: it must
/// show what `/get` shows (labels, order of sections, flag, version, time), after a
/// rename of an entry the auth uses and an update of the auth.
async fn a_result_row_shows_what_get_shows_after_renames_and_updates(t: TestDb) {
    let (_data, keys, app, deps) = setup!(t);
    let (s, b) = send(
        &app,
        TestRequest::patch()
            .uri(&format!("/api/v5/catalog/departments/{}", deps[1]))
            .insert_header(("X-Api-Key", keys.admin.clone()))
            .set_json(json!({"label": "People"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, found) = send(
        &app,
        post(SEARCH, &keys.admin).set_json(json!({"search": "payroll"})),
    )
    .await;
    let id = found["auths"][0]["auth_id"].as_str().unwrap().to_owned();
    // A flag of our own, given to the auth, then renamed: the row shows the new label.
    let (s, flag) = send(
        &app,
        post("/api/v5/catalog/flags", &keys.admin).set_json(json!({"label": "pilot"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{flag}");
    let (s, b) = send(
        &app,
        post("/api/v5/artifacts/auths/update", &keys.admin).set_json(json!({"auths": [
            {"auth_id": id, "flag_id": flag["id"], "protocol_ids": ["protocol-saml2", "protocol-oidc"]}]})),
    )
    .await;
    assert_eq!(b["results"][0]["success"], true, "{s} {b}");
    // The index now holds the auth with "pilot" (a search caught it up)...
    let (_, found) = send(
        &app,
        post(SEARCH, &keys.admin).set_json(json!({"search": "payroll"})),
    )
    .await;
    assert_eq!(found["auths"][0]["flag"]["label"], "pilot", "{found}");
    // ...and the rename alone must reach it.
    let (s, b) = send(
        &app,
        TestRequest::patch()
            .uri(&format!(
                "/api/v5/catalog/flags/{}",
                flag["id"].as_str().unwrap()
            ))
            .insert_header(("X-Api-Key", keys.admin.clone()))
            .set_json(json!({"label": "staged"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    for search in ["payroll", "people"] {
        let (_, found) = send(
            &app,
            post(SEARCH, &keys.admin).set_json(json!({"search": search})),
        )
        .await;
        let row = &found["auths"][0];
        let (_, form) = send(
            &app,
            post("/api/v5/artifacts/auths/get", &keys.admin).set_json(json!({"auth_id": id})),
        )
        .await;
        assert_eq!(row["auth_id"], json!(id), "{search}: {found}");
        for (field, section) in [
            ("protocols", "protocols"),
            ("slugs", "slugs"),
            ("departments", "departments"),
        ] {
            assert_eq!(row[field], form[section]["values"], "{search}: {field}");
        }
        assert_eq!(row["name"], form["names"]["value"]);
        assert_eq!(row["description"], form["descriptions"]["value"]);
        assert_eq!(row["flag"], form["flags"]["value"]);
        assert_eq!(row["version"], form["version"]);
        assert_eq!(row["updated_at"], form["updated_at"]);
        assert_eq!(row["can_edit"], json!(true));
        assert_eq!(row["departments"][1]["label"], "People", "{row}");
        assert_eq!(row["flag"]["label"], "staged", "{row}");
        // The facet names the department by its new label.
        let facet = &found["department_filter"]["options"];
        assert!(
            facet
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["name"] == "People"),
            "{facet}"
        );
    }
}
