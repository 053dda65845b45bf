//! The one scope rule for every object (server spec, "One scope rule for every
//! object"): a matrix of {viewer, editor, admin} × {global, scoped to Finance} over every
//! route of both APIs that touches a catalog entry, a department, a draft, an upload or
//! the audit log, and one named regression test for each finding of the review that
//! asked for the rule.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use auths_domain::{EntryId, Role};
use auths_store::testing::TestDb;
use serde_json::{Value, json};

use crate::support::{key, post, send, service};

crate::on_both_backends!(
    the_scope_matrix_holds_for_every_route,
    a_scoped_editor_cannot_borrow_another_departments_secret_item,
    catalog_lists_show_a_scoped_key_only_what_it_may_see,
    scoped_editors_rename_only_their_departments_and_create_none,
    a_draft_of_an_auth_that_left_scope_is_not_found,
    downloads_need_the_export_permission_and_mcp_writes,
    key_management_records_are_for_admins,
    foreman_put_keeps_the_organizations_it_read,
    refusals_name_no_other_department,
    what_a_department_makes_or_drops_stays_its_own,
    a_copy_links_only_what_its_maker_may_link,
    the_facet_names_only_departments_in_scope,
    unseen_entries_answer_exactly_like_unknown_ones,
    the_audit_hides_the_state_an_auth_left_scope_in,
    a_scoped_key_changes_no_vocabulary,
);

fn get(uri: &str, key: &str) -> TestRequest {
    TestRequest::get()
        .uri(uri)
        .insert_header(("X-Api-Key", key.to_owned()))
}

/// The status of an answer that need not be JSON (a download).
async fn status<S, B>(app: &S, req: TestRequest) -> StatusCode
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
{
    actix_web::test::call_service(app, req.to_request())
        .await
        .status()
}

fn with(method: &str, uri: &str, key: &str) -> TestRequest {
    let m = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
    TestRequest::default()
        .method(m)
        .uri(uri)
        .insert_header(("X-Api-Key", key.to_owned()))
}

/// Labels (or keys) of a catalog list or a Foreman index.
fn labels(v: &Value) -> Vec<String> {
    let list = v["entries"].as_array().or(v["results"].as_array());
    list.into_iter()
        .flatten()
        .map(|e| {
            e["label"]
                .as_str()
                .or(e["name"].as_str())
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// The world every test starts from: departments Finance and HR; an auth of each, and
/// one shared by both (external, so that Foreman shows it); items, locations, names and
/// descriptions used by one side, both, or none.
struct World {
    fin: String,
    hr: String,
    auth_fin: String,
    auth_hr: String,
    auth_shared: String,
    item_hr: String,
    item_secret_hr: String,
    item_shared: String,
    location_hr: String,
}

macro_rules! world {
    ($app:expr, $admin:expr) => {{
        let app = $app;
        let admin = $admin;
        let entry = |kind: &'static str, body: Value| {
            let req = post(&format!("/api/v5/catalog/{kind}"), admin).set_json(body);
            async move {
                let (s, b) = send(app, req).await;
                assert_eq!(s, StatusCode::CREATED, "{b}");
                b["id"].as_str().unwrap().to_owned()
            }
        };
        let fin = entry("departments", json!({"label": "Finance"})).await;
        let hr = entry("departments", json!({"label": "HR"})).await;
        let item = |key: &'static str, value: &'static str, secret: bool| {
            entry("items", json!({"key": key, "value": value, "secret": secret}))
        };
        let item_fin = item("host", "ldap.fin.example", false).await;
        let item_hr = item("host", "ldap.hr.example", false).await;
        let item_secret_hr = item("bind_password", "hr-canary-secret", true).await;
        let item_shared = item("port", "636", false).await;
        let location_hr = entry("locations", json!({"label": "HR Tower"})).await;
        entry("locations", json!({"label": "Open Plaza"})).await;
        let create = |body: Value| {
            let req = post("/api/v5/artifacts/auths/create", admin).set_json(json!({"auths": [body]}));
            async move {
                let (_, b) = send(app, req).await;
                assert_eq!(b["results"][0]["success"], true, "{b}");
                b["results"][0]["auth_id"].as_str().unwrap().to_owned()
            }
        };
        let auth_fin = create(json!({"name": "Finance LDAP", "description": "Finance directory",
            "protocol_ids": ["protocol-ldap"], "department_ids": [fin], "item_ids": [item_fin, item_shared]})).await;
        let auth_hr = create(json!({"name": "HR Payroll LDAP", "description": "HR secret plans",
            "protocol_ids": ["protocol-ldap"], "department_ids": [hr], "location_ids": [location_hr],
            "item_ids": [item_hr, item_secret_hr, item_shared], "slug_ids": []})).await;
        let auth_shared = create(json!({"name": "Shared SSO", "protocol_ids": ["protocol-external"],
            "department_ids": [fin, hr]})).await;
        let _ = auth_fin.clone();
        World { fin, hr, auth_fin, auth_hr, auth_shared, item_hr, item_secret_hr, item_shared, location_hr }
    }};
}

/// The six callers: (name, role, scoped to Finance).
const CALLERS: [(&str, Role, bool); 6] = [
    ("all-viewer", Role::Viewer, false),
    ("all-editor", Role::Editor, false),
    ("all-admin", Role::Admin, false),
    ("fin-viewer", Role::Viewer, true),
    ("fin-editor", Role::Editor, true),
    ("fin-admin", Role::Admin, true),
];

async fn the_scope_matrix_holds_for_every_route(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let w = world!(&app, &keys.admin);
    let fin_id = EntryId::parse(&w.fin).unwrap();
    for (name, role, scoped) in CALLERS {
        let scope: Vec<&EntryId> = if scoped { vec![&fin_id] } else { vec![] };
        let k = key(&data, name, role, &scope, false);
        // Admins are global whatever their key says.
        let limited = scoped && role != Role::Admin;
        let editor = role >= Role::Editor;
        let ctx = |what: &str| format!("{name}: {what}");

        // An item no auth uses yet (each caller links its own into an auth).
        let (_, free) = send(
            &app,
            post("/api/v5/catalog/items", &keys.admin)
                .set_json(json!({"key": "timeout", "value": format!("5 for {name}")})),
        )
        .await;
        let item_free = free["id"].as_str().unwrap().to_owned();

        // Catalog lists.
        let (s, items) = send(&app, get("/api/v5/catalog/items?page_size=500", &k)).await;
        assert_eq!(s, StatusCode::OK, "{}", ctx("items"));
        let ids: Vec<&str> = items["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids.contains(&w.item_hr.as_str()),
            !limited,
            "{}",
            ctx("HR's item")
        );
        assert_eq!(
            ids.contains(&w.item_secret_hr.as_str()),
            !limited,
            "{}",
            ctx("HR's secret")
        );
        assert!(
            ids.contains(&w.item_shared.as_str()),
            "{}",
            ctx("a shared item")
        );
        assert!(
            ids.contains(&item_free.as_str()),
            "{}",
            ctx("an unused item")
        );
        let (_, deps) = send(&app, get("/api/v5/catalog/departments", &k)).await;
        let expected: &[&str] = if limited {
            &["Finance"]
        } else {
            &["Finance", "HR"]
        };
        // Earlier (global) callers created departments of their own; a
        // scoped caller must see none of them, a global one all of them.
        let seen = labels(&deps);
        let world: Vec<&String> = seen
            .iter()
            .filter(|l| !l.starts_with("Dept of ") && !l.starts_with("Org of "))
            .collect();
        assert_eq!(world, expected, "{}", ctx("departments"));
        assert_eq!(
            deps["total_count"],
            seen.len(),
            "{}",
            ctx("department count")
        );
        if limited {
            assert_eq!(seen.len(), 1, "{}", ctx("a scoped key's departments"));
        }
        // HR's labels, in every list of both APIs that could show them.
        for (uri, hr_label) in [
            ("/api/v5/catalog/locations", "HR Tower"),
            ("/api/v5/catalog/names?search=ldap", "HR Payroll LDAP"),
            ("/api/v5/catalog/descriptions", "HR secret plans"),
            ("/api/organizations?per_page=all", "HR"),
            ("/api/locations?per_page=all", "HR Tower"),
        ] {
            let (_, list) = send(&app, get(uri, &k)).await;
            assert_eq!(
                labels(&list).contains(&hr_label.to_owned()),
                !limited,
                "{} {list}",
                ctx(uri)
            );
        }
        let (_, protocols) = send(&app, get("/api/v5/catalog/protocols", &k)).await;
        assert_eq!(
            protocols["total_count"],
            8,
            "{}",
            ctx("the vocabulary is everyone's")
        );

        // Creating a department: global editors and admins.
        let (s, b) = send(
            &app,
            post("/api/v5/catalog/departments", &k)
                .set_json(json!({"label": format!("Dept of {name}")})),
        )
        .await;
        let want = if !editor || limited { 403 } else { 201 };
        assert_eq!(s.as_u16(), want, "{} {b}", ctx("create a department"));
        let (s, b) = send(
            &app,
            post("/api/organizations", &k)
                .set_json(json!({"organization": {"name": format!("Org of {name}")}})),
        )
        .await;
        assert_eq!(s.as_u16(), want, "{} {b}", ctx("create an organization"));
        let (s, b) = send(
            &app,
            post("/api/v5/catalog/locations", &k)
                .set_json(json!({"label": format!("Room of {name}")})),
        )
        .await;
        assert_eq!(
            s.as_u16(),
            if editor { 201 } else { 403 },
            "{} {b}",
            ctx("create a location")
        );

        // Renaming: HR's item, a shared item, HR's department, Finance's.
        let rename_item = |id: &str| {
            with("PATCH", &format!("/api/v5/catalog/items/{id}"), &k)
                .set_json(json!({"key": "host", "value": format!("changed by {name}")}))
        };
        let (s, _) = send(&app, rename_item(&w.item_hr)).await;
        let want = if !editor {
            403
        } else if limited {
            404
        } else {
            200
        };
        assert_eq!(s.as_u16(), want, "{}", ctx("rename HR's item"));
        let (s, _) = send(&app, rename_item(&w.item_shared)).await;
        let want = if !editor || limited { 403 } else { 200 };
        assert_eq!(s.as_u16(), want, "{}", ctx("rename a shared item"));
        let (s, _) = send(
            &app,
            with(
                "PATCH",
                &format!("/api/v5/catalog/departments/{}", w.hr),
                &k,
            )
            .set_json(json!({"label": "HR"})),
        )
        .await;
        let want = if !editor {
            403
        } else if limited {
            404
        } else {
            200
        };
        assert_eq!(s.as_u16(), want, "{}", ctx("rename HR"));
        let (s, _) = send(
            &app,
            with(
                "PATCH",
                &format!("/api/v5/catalog/departments/{}", w.fin),
                &k,
            )
            .set_json(json!({"label": "Finance"})),
        )
        .await;
        assert_eq!(
            s.as_u16(),
            if editor { 200 } else { 403 },
            "{}",
            ctx("rename Finance")
        );
        // Deleting: admins only.
        let (_, fresh) = send(
            &app,
            post("/api/v5/catalog/items", &keys.admin).set_json(json!({"key": "k", "value": "v"})),
        )
        .await;
        let (s, _) = send(
            &app,
            with(
                "DELETE",
                &format!("/api/v5/catalog/items/{}", fresh["id"].as_str().unwrap()),
                &k,
            ),
        )
        .await;
        assert_eq!(
            s.as_u16(),
            if role == Role::Admin { 204 } else { 403 },
            "{}",
            ctx("delete")
        );

        // Linking into a new auth of the caller's department: Finance for a scoped
        // key, HR for a global one (an auth of Finance using HR's items would make
        // them Finance's to see, for the callers that follow).
        let home = if limited { &w.fin } else { &w.hr };
        let link = |n: &str, extra: Value| {
            let mut body = json!({"name": format!("{n} by {name}"), "protocol_ids": ["protocol-ldap"], "department_ids": [home]});
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            post("/api/v5/artifacts/auths/create", &k).set_json(json!({"auths": [body]}))
        };
        let code = |b: &Value| b["results"][0]["error"]["code"].as_str().map(str::to_owned);
        let (s, b) = send(
            &app,
            link("hr item", json!({"item_ids": [w.item_secret_hr]})),
        )
        .await;
        if !editor {
            assert_eq!(s.as_u16(), 403, "{}", ctx("viewers create nothing"));
        } else {
            let want = if limited {
                Some("validation_failed".to_owned())
            } else {
                None
            };
            assert_eq!(code(&b), want, "{} {b}", ctx("link HR's secret"));
            let (_, b) = send(&app, link("shared", json!({"item_ids": [w.item_shared]}))).await;
            let want = if limited {
                Some("forbidden".to_owned())
            } else {
                None
            };
            assert_eq!(code(&b), want, "{} {b}", ctx("link a shared item"));
            let (_, b) = send(&app, link("free", json!({"item_ids": [item_free]}))).await;
            assert_eq!(code(&b), None, "{} {b}", ctx("link an unused item"));
            let (_, b) = send(
                &app,
                link("hr location", json!({"location_ids": [w.location_hr]})),
            )
            .await;
            let want = if limited {
                Some("validation_failed".to_owned())
            } else {
                None
            };
            assert_eq!(code(&b), want, "{} {b}", ctx("link HR's location"));
        }

        // A draft naming HR's item: the form shows the id, never its label or key.
        let (s, draft) = send(&app, with("PATCH", "/api/v5/artifacts/auths/draft", &k)
            .set_json(json!({"expected_version": 0, "name": format!("draft of {name}"), "item_ids": [w.item_secret_hr]}))).await;
        if editor {
            assert_eq!(s, StatusCode::OK, "{} {draft}", ctx("draft"));
            let problems = draft["form_state"]["problems"].to_string();
            assert_eq!(
                problems.contains("not an entry"),
                limited,
                "{} {problems}",
                ctx("draft problems")
            );
            let (_, form) = send(
                &app,
                post("/api/v5/artifacts/auths/get", &k)
                    .set_json(json!({"draft_id": draft["draft_id"]})),
            )
            .await;
            let shown = form["items"]["values"].to_string();
            assert_eq!(
                shown.contains("bind_password"),
                !limited,
                "{} {shown}",
                ctx("draft form")
            );
        } else {
            assert_eq!(s.as_u16(), 403, "{}", ctx("viewers draft nothing"));
        }

        // Audit: key management for admins; editors the records of their auths.
        let (s, log) = send(&app, get("/api/v5/audit?page_size=500", &k)).await;
        if editor {
            let ops: Vec<&str> = log["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["operation"].as_str().unwrap())
                .collect();
            assert_eq!(
                ops.contains(&"key.create"),
                role == Role::Admin,
                "{}",
                ctx("key records")
            );
            let hr_records = log["entries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["auth_id"] == w.auth_hr.as_str());
            assert_eq!(hr_records, !limited, "{}", ctx("HR's records"));
        } else {
            assert_eq!(s.as_u16(), 403, "{}", ctx("viewers read no audit"));
        }

        // Uploads: one's own export, downloaded under the export permission.
        let (s, exported) = send(
            &app,
            post("/api/v5/artifacts/auths/export", &k).set_json(json!({})),
        )
        .await;
        if editor {
            assert_eq!(s, StatusCode::OK, "{}", ctx("export"));
            let s = status(
                &app,
                get(
                    &format!(
                        "/api/v5/uploads/{}",
                        exported["upload_id"].as_str().unwrap()
                    ),
                    &k,
                ),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{}", ctx("download"));
        } else {
            assert_eq!(s.as_u16(), 403, "{}", ctx("viewers export nothing"));
        }

        // Foreman: an update of the shared record.
        let (_, show) = send(
            &app,
            get(
                "/api/auth_source_externals?search=name%20%3D%20%22Shared%20SSO%22",
                &k,
            ),
        )
        .await;
        let record = &show["results"][0];
        let number = record["id"].as_i64().unwrap();
        let org_ids: Vec<i64> = record["organizations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect();
        assert_eq!(
            org_ids.len(),
            2,
            "{}: a visible record shows its organizations",
            name
        );
        let (s, b) = send(
            &app,
            with("PUT", &format!("/api/auth_source_externals/{number}"), &k)
                .set_json(json!({"auth_source_external": {"organization_ids": org_ids}})),
        )
        .await;
        assert_eq!(
            s.as_u16(),
            if editor { 200 } else { 403 },
            "{} {b}",
            ctx("PUT back what was read")
        );
    }
    let _ = (&w.auth_fin, &w.auth_shared);
}

async fn a_scoped_editor_cannot_borrow_another_departments_secret_item(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let w = world!(&app, &keys.admin);
    let (fin, hr) = editors(&data, &w);
    // Finance tries to pair HR's bind password with a host of its own choosing.
    let (_, host) = send(
        &app,
        post("/api/v5/catalog/items", &fin)
            .set_json(json!({"key": "host", "value": "evil.example"})),
    )
    .await;
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &fin).set_json(json!({"auths": [{
        "name": "Borrowed", "protocol_ids": ["protocol-ldap"], "department_ids": [w.fin],
        "item_ids": [host["id"], w.item_secret_hr]}]})),
    )
    .await;
    assert_eq!(b["results"][0]["success"], false, "{b}");
    assert_eq!(
        b["results"][0]["error"]["code"], "validation_failed",
        "as an unknown entry: {b}"
    );
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/update", &fin).set_json(json!({"auths": [{
        "auth_id": w.auth_fin, "item_ids": [w.item_secret_hr]}]})),
    )
    .await;
    assert_eq!(b["results"][0]["error"]["code"], "validation_failed", "{b}");
    // HR still rotates its own secret.
    let (s, b) = send(
        &app,
        with(
            "PATCH",
            &format!("/api/v5/catalog/items/{}", w.item_secret_hr),
            &hr,
        )
        .set_json(json!({"key": "bind_password", "value": "rotated", "secret": true})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn catalog_lists_show_a_scoped_key_only_what_it_may_see(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let w = world!(&app, &keys.admin);
    let viewer = key(
        &data,
        "fin-viewer",
        Role::Viewer,
        &[&EntryId::parse(&w.fin).unwrap()],
        false,
    );
    for (kind, hidden) in [
        ("names", "HR Payroll LDAP"),
        ("descriptions", "HR secret plans"),
        ("departments", "HR"),
        ("locations", "HR Tower"),
    ] {
        let (s, b) = send(
            &app,
            get(&format!("/api/v5/catalog/{kind}?search=hr"), &viewer),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert!(!labels(&b).contains(&hidden.to_owned()), "{kind}: {b}");
        assert_eq!(
            b["total_count"],
            labels(&b).len(),
            "{kind}: the count counts what is shown"
        );
    }
    let (_, b) = send(&app, get("/api/v5/catalog/items?page_size=500", &viewer)).await;
    assert!(!b.to_string().contains("ldap.hr.example"), "{b}");
    assert!(!b.to_string().contains(&w.item_secret_hr), "{b}");
}

async fn scoped_editors_rename_only_their_departments_and_create_none(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let w = world!(&app, &keys.admin);
    // A department no auth uses, and one that only scopes another key.
    let (_, unused) = send(
        &app,
        post("/api/v5/catalog/departments", &keys.admin).set_json(json!({"label": "Legal"})),
    )
    .await;
    let (_, keyed) = send(
        &app,
        post("/api/v5/catalog/departments", &keys.admin).set_json(json!({"label": "Audit"})),
    )
    .await;
    key(
        &data,
        "auditor",
        Role::Viewer,
        &[&EntryId::parse(keyed["id"].as_str().unwrap()).unwrap()],
        false,
    );
    let (fin, _) = editors(&data, &w);
    for id in [
        unused["id"].as_str().unwrap(),
        keyed["id"].as_str().unwrap(),
        w.hr.as_str(),
    ] {
        let (s, b) = send(
            &app,
            with("PATCH", &format!("/api/v5/catalog/departments/{id}"), &fin)
                .set_json(json!({"label": "Renamed"})),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    }
    let (s, _) = send(
        &app,
        post("/api/v5/catalog/departments", &fin).set_json(json!({"label": "Shadow"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = send(
        &app,
        post("/api/organizations", &fin).set_json(json!({"organization": {"name": "Shadow"}})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(
        b["error"]["missing_permissions"],
        json!(["create_organizations"])
    );
}

async fn a_draft_of_an_auth_that_left_scope_is_not_found(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let w = world!(&app, &keys.admin);
    let (fin, _) = editors(&data, &w);
    let (_, draft) = send(
        &app,
        with("PATCH", "/api/v5/artifacts/auths/draft", &fin)
            .set_json(json!({"auth_id": w.auth_fin, "expected_version": 1, "description": "mine"})),
    )
    .await;
    let draft_id = draft["draft_id"].as_str().unwrap().to_owned();
    // The auth moves to HR.
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/update", &keys.admin)
            .set_json(json!({"auths": [{"auth_id": w.auth_fin, "department_ids": [w.hr]}]})),
    )
    .await;
    assert_eq!(b["results"][0]["success"], true, "{b}");
    let strip = |v: &Value, id: &str| v.to_string().replace(id, "ID");
    let unknown = "0190f3a2-0000-7000-8000-000000000000";
    let (s, gone) = send(
        &app,
        post("/api/v5/artifacts/auths/get", &fin).set_json(json!({"draft_id": draft_id})),
    )
    .await;
    let (_, missing) = send(
        &app,
        post("/api/v5/artifacts/auths/get", &fin).set_json(json!({"draft_id": unknown})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        strip(&gone, &draft_id),
        strip(&missing, unknown),
        "as an unknown draft"
    );
    assert!(!gone.to_string().contains("HR"));
    let (s, _) = send(
        &app,
        with("PATCH", "/api/v5/artifacts/auths/draft", &fin)
            .set_json(json!({"input_draft_id": draft_id, "expected_version": 1, "name": "x"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = send(&app, post("/api/v5/artifacts/auths/drafts", &fin)).await;
    assert!(!list.to_string().contains(&draft_id), "{list}");
    // Back in Finance, the draft is there again.
    send(
        &app,
        post("/api/v5/artifacts/auths/update", &keys.admin)
            .set_json(json!({"auths": [{"auth_id": w.auth_fin, "department_ids": [w.fin]}]})),
    )
    .await;
    let (s, _) = send(
        &app,
        post("/api/v5/artifacts/auths/get", &fin).set_json(json!({"draft_id": draft_id})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
}

async fn downloads_need_the_export_permission_and_mcp_writes(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let k = key(&data, "agent-key", Role::Editor, &[], false);
    let (_, exported) = send(
        &app,
        post("/api/v5/artifacts/auths/export", &k).set_json(json!({})),
    )
    .await;
    let uri = format!(
        "/api/v5/uploads/{}",
        exported["upload_id"].as_str().unwrap()
    );
    assert_eq!(status(&app, get(&uri, &k)).await, StatusCode::OK);
    // The same key through an agent: as the export itself, refused.
    let (s, b) = send(&app, get(&uri, &k).insert_header(("X-MCP", "claude"))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, _) = send(
        &app,
        post("/api/v5/artifacts/auths/export", &k)
            .insert_header(("X-MCP", "claude"))
            .set_json(json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let _ = keys;
}

async fn key_management_records_are_for_admins(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let editor = key(&data, "global-editor", Role::Editor, &[], false);
    let (_, log) = send(&app, get("/api/v5/audit?page_size=500", &editor)).await;
    assert!(!log.to_string().contains("key.create"), "{log}");
    assert!(!log.to_string().contains("allow_mcp_writes"), "{log}");
    let (_, log) = send(&app, get("/api/v5/audit?page_size=500", &keys.admin)).await;
    assert!(log.to_string().contains("key.create"), "{log}");
}

async fn foreman_put_keeps_the_organizations_it_read(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let w = world!(&app, &keys.admin);
    let (fin, _) = editors(&data, &w);
    let (_, index) = send(&app, get("/api/auth_source_externals", &fin)).await;
    let number = index["results"][0]["id"].as_i64().unwrap();
    let (_, show) = send(
        &app,
        get(&format!("/api/auth_source_externals/{number}"), &fin),
    )
    .await;
    let orgs: Vec<i64> = show["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    let put = |body: Value| {
        with("PUT", &format!("/api/auth_source_externals/{number}"), &fin).set_json(body)
    };
    let (s, b) = send(
        &app,
        put(json!({"auth_source_external": {"name": "Shared SSO 2", "organization_ids": orgs}})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["organizations"].as_array().unwrap().len(),
        2,
        "HR stays: {b}"
    );
    let (s, b) = send(&app, put(json!({"organization_names": ["Finance", "HR"]}))).await;
    assert_eq!(s, StatusCode::OK, "by name too: {b}");
    let fin_number = orgs
        .iter()
        .copied()
        .find(|n| {
            show["organizations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["id"] == *n && o["name"] == "Finance")
        })
        .unwrap();
    let (s, b) = send(&app, put(json!({"organization_ids": [fin_number]}))).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "removing HR is not Finance's to do: {b}"
    );
}

async fn refusals_name_no_other_department(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let w = world!(&app, &keys.admin);
    let (fin, _) = editors(&data, &w);
    let mut answers = Vec::new();
    for body in [
        json!({"auth_id": w.auth_shared, "department_ids": [w.fin]}),
        json!({"auth_id": w.auth_fin, "department_ids": [w.fin, w.hr]}),
        json!({"auth_id": w.auth_fin, "item_ids": [w.item_shared, w.item_hr]}),
    ] {
        let (_, b) = send(
            &app,
            post("/api/v5/artifacts/auths/update", &fin).set_json(json!({"auths": [body]})),
        )
        .await;
        assert_eq!(b["results"][0]["success"], false, "{b}");
        answers.push(b);
    }
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/delete", &fin).set_json(json!({"auth_ids": [w.auth_shared]})),
    )
    .await;
    assert_eq!(b["results"][0]["error"]["code"], "forbidden");
    answers.push(b);
    let (_, b) = send(
        &app,
        with(
            "PATCH",
            &format!("/api/v5/catalog/items/{}", w.item_shared),
            &fin,
        )
        .set_json(json!({"key": "port", "value": "389"})),
    )
    .await;
    answers.push(b);
    for a in &answers {
        let text = a.to_string();
        assert!(!text.contains("HR"), "an answer names HR: {text}");
        assert!(!text.contains("auth(s)"), "an answer counts auths: {text}");
    }
}

/// Ids of a catalog list.
fn ids(v: &Value) -> Vec<String> {
    v["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The Finance and HR editors of a world.
fn editors(data: &auths_app::AuthService<auths_store::Db>, w: &World) -> (String, String) {
    let fin = key(
        data,
        "fin",
        Role::Editor,
        &[&EntryId::parse(&w.fin).unwrap()],
        false,
    );
    let hr = key(
        data,
        "hr",
        Role::Editor,
        &[&EntryId::parse(&w.hr).unwrap()],
        false,
    );
    (fin, hr)
}

async fn what_a_department_makes_or_drops_stays_its_own(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let w = world!(&app, &keys.admin);
    let (fin, hr) = editors(&data, &w);
    let items = "/api/v5/catalog/items?page_size=500";
    // HR makes a secret, not linked yet: Finance can neither see nor take it.
    let (_, made) = send(
        &app,
        post("/api/v5/catalog/items", &hr)
            .set_json(json!({"key": "bind_password", "value": "hr-new", "secret": true})),
    )
    .await;
    let new = made["id"].as_str().unwrap().to_owned();
    let (_, list) = send(&app, get(items, &fin)).await;
    assert!(!ids(&list).contains(&new), "HR's new secret: {list}");
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/update", &fin)
            .set_json(json!({"auths": [{"auth_id": w.auth_fin, "item_ids": [new]}]})),
    )
    .await;
    assert_eq!(b["results"][0]["error"]["code"], "validation_failed", "{b}");
    // HR rotates: the new secret in, its old secret, host and description out.
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/update", &hr).set_json(json!({"auths": [{
            "auth_id": w.auth_hr, "item_ids": [new, w.item_shared], "description": "HR payroll v3"}]})),
    )
    .await;
    assert_eq!(b["results"][0]["success"], true, "{b}");
    let (_, list) = send(&app, get(items, &fin)).await;
    for dropped in [&w.item_secret_hr, &w.item_hr] {
        assert!(!ids(&list).contains(dropped), "dropped by HR: {list}");
    }
    let (_, hr_list) = send(&app, get(items, &hr)).await;
    assert!(
        ids(&hr_list).contains(&w.item_secret_hr),
        "still HR's own: {hr_list}"
    );
    let (_, descs) = send(&app, get("/api/v5/catalog/descriptions?search=plans", &fin)).await;
    assert_eq!(descs["total_count"], 0, "{descs}");
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/create", &fin).set_json(json!({"auths": [{
            "name": "Borrowed", "protocol_ids": ["protocol-ldap"], "department_ids": [w.fin],
            "item_ids": [w.item_secret_hr]}]})),
    )
    .await;
    assert_eq!(b["results"][0]["error"]["code"], "validation_failed", "{b}");
    let (s, _) = send(
        &app,
        with(
            "PATCH",
            &format!("/api/v5/catalog/items/{}", w.item_secret_hr),
            &fin,
        )
        .set_json(json!({"key": "bind_password", "value": "mine", "secret": true})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Deleting an auth leaves its entries to its departments as well.
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/delete", &keys.admin)
            .set_json(json!({"auth_ids": [w.auth_hr]})),
    )
    .await;
    assert_eq!(b["results"][0]["success"], true, "{b}");
    let (_, locs) = send(&app, get("/api/v5/catalog/locations", &fin)).await;
    assert!(!labels(&locs).contains(&"HR Tower".to_owned()), "{locs}");
    let (_, locs) = send(&app, get("/api/v5/catalog/locations", &hr)).await;
    assert!(labels(&locs).contains(&"HR Tower".to_owned()), "{locs}");
}

async fn a_copy_links_only_what_its_maker_may_link(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let w = world!(&app, &keys.admin);
    let (fin, _) = editors(&data, &w);
    let duplicate =
        |id: &str| post("/api/v5/artifacts/auths/duplicate", &fin).set_json(json!({"auth_id": id}));
    // Finance's auth uses an item HR's auth uses too: a copy would link it anew.
    let (s, b) = send(&app, duplicate(&w.auth_fin)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert!(!b.to_string().contains("HR"), "{b}");
    // Without it, the copy is made.
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/update", &keys.admin)
            .set_json(json!({"auths": [{"auth_id": w.auth_fin, "item_ids": []}]})),
    )
    .await;
    assert_eq!(b["results"][0]["success"], true, "{b}");
    let (s, b) = send(&app, duplicate(&w.auth_fin)).await;
    assert!(s.is_success(), "{s} {b}");
}

async fn the_facet_names_only_departments_in_scope(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let w = world!(&app, &keys.admin);
    let (_, legal) = send(
        &app,
        post("/api/v5/catalog/departments", &keys.admin).set_json(json!({"label": "Legal"})),
    )
    .await;
    let viewer = key(
        &data,
        "fin-viewer",
        Role::Viewer,
        &[&EntryId::parse(&w.fin).unwrap()],
        false,
    );
    let search = |k: &str| {
        post("/api/v5/artifacts/auths/search", k)
            .set_json(json!({"filter_department_ids": [legal["id"]]}))
    };
    let (s, b) = send(&app, search(&viewer)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(!b.to_string().contains("Legal"), "{b}");
    let (_, b) = send(&app, search(&keys.admin)).await;
    assert!(b.to_string().contains("Legal"), "a global key sees it: {b}");
}

async fn unseen_entries_answer_exactly_like_unknown_ones(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let w = world!(&app, &keys.admin);
    let (fin, _) = editors(&data, &w);
    // Finance guesses that HR's item has the key "host".
    let (_, own) = send(
        &app,
        post("/api/v5/catalog/items", &fin).set_json(json!({"key": "host", "value": "guess"})),
    )
    .await;
    let own = own["id"].as_str().unwrap().to_owned();
    let made_up = "0190f3a2-7c1e-7b1a-9a3e-1f2d3c4b5a69";
    let mut answers = Vec::new();
    for other in [w.item_hr.as_str(), made_up] {
        let (_, created) = send(
            &app,
            post("/api/v5/artifacts/auths/create", &fin).set_json(json!({"auths": [{
                "name": "Key probe", "protocol_ids": ["protocol-ldap"], "department_ids": [w.fin],
                "item_ids": [own, other]}]})),
        )
        .await;
        let (_, draft) = send(
            &app,
            with("PATCH", "/api/v5/artifacts/auths/draft", &fin).set_json(json!({
                "expected_version": 0, "name": "Key probe", "protocol_ids": ["protocol-ldap"],
                "item_ids": [own, other]})),
        )
        .await;
        let draft_problems = draft["form_state"]["problems"].to_string();
        answers.push((
            created["results"][0]["error"]
                .to_string()
                .replace(other, "ID"),
            draft_problems.replace(other, "ID"),
        ));
    }
    assert_eq!(answers[0], answers[1]);
    assert!(!answers[0].0.contains("key"), "{:?}", answers[0]);
}

async fn the_audit_hides_the_state_an_auth_left_scope_in(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let w = world!(&app, &keys.admin);
    let (fin, hr) = editors(&data, &w);
    let (_, b) = send(
        &app,
        post("/api/v5/artifacts/auths/update", &keys.admin).set_json(json!({"auths": [{
            "auth_id": w.auth_shared, "department_ids": [w.hr], "description": "HR only: the merger"}]})),
    )
    .await;
    assert_eq!(b["results"][0]["success"], true, "{b}");
    let log = |k: &str| get(&format!("/api/v5/audit?auth_id={}", w.auth_shared), k);
    let (s, b) = send(&app, log(&fin)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let moved = b["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["operation"] == "auth.update")
        .unwrap_or_else(|| panic!("Finance sees that its auth moved: {b}"));
    assert!(moved["before"].is_object(), "{moved}");
    assert!(moved["after"].is_null(), "{moved}");
    assert!(!b.to_string().contains("merger"), "{b}");
    let (_, b) = send(&app, log(&hr)).await;
    assert!(b.to_string().contains("merger"), "HR sees its own: {b}");
}

async fn a_scoped_key_changes_no_vocabulary(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let w = world!(&app, &keys.admin);
    let (fin, hr) = editors(&data, &w);
    // A new protocol or flag would be every department's to see at once.
    for kind in ["protocols", "flags"] {
        let (s, b) = send(
            &app,
            post(&format!("/api/v5/catalog/{kind}"), &hr).set_json(json!({"label": "hr-layoffs"})),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{kind}: {b}");
    }
    let (s, made) = send(
        &app,
        post("/api/v5/catalog/protocols", &keys.admin).set_json(json!({"label": "webauthn"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    let (_, list) = send(&app, get("/api/v5/catalog/protocols", &fin)).await;
    assert!(labels(&list).contains(&"webauthn".to_owned()), "{list}");
    let (s, _) = send(
        &app,
        with(
            "PATCH",
            &format!("/api/v5/catalog/protocols/{}", made["id"].as_str().unwrap()),
            &fin,
        )
        .set_json(json!({"label": "renamed-by-finance"})),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "unused, still not Finance's to rename"
    );
}
