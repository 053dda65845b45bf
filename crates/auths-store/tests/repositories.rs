//! The repository suite, run against a fresh SQLite file and a fresh PostgreSQL schema.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

use auths_domain::catalog::{FLAG_ACTIVE, SEEDS};
use auths_domain::{
    AuthContent, AuthId, AuthRepository, CatalogKind, CatalogRepository, EntryId, GroupId,
    ItemData, NewAuth, NewCatalogEntry, PageRequest, RepoError, Store,
};
use auths_store::Db;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};

auths_store::on_both_backends!(
    migrations_seed_flags_and_protocols_once,
    catalog_labels_are_unique_case_insensitively,
    catalog_lists_page_and_search,
    secret_item_values_are_never_read_back,
    auths_round_trip_with_every_section,
    auth_names_and_slugs_are_unique,
    failed_transactions_leave_nothing,
    foreman_queries_compile_to_the_same_answers_as_the_rules,
    scoped_listings_follow_the_domains_rule,
    lookups_of_forty_thousand_keys_bind_no_more_variables_than_allowed,
    taxonomy_searches_agree_with_the_rules,
    auths_published_before_versions_get_a_baseline,
    a_batch_settles_before_a_statement_it_does_not_know,
);

#[test]
fn two_handles_on_one_sqlite_file_search_alike() {
    two_handles_on_one_database_search_alike(&auths_store::testing::TestDb::sqlite());
}

#[test]
fn two_handles_on_one_postgresql_schema_search_alike() {
    if let Some(t) = auths_store::testing::TestDb::postgres() {
        two_handles_on_one_database_search_alike(&t);
    }
}

fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(TimeDelta::microseconds(1))
        .unwrap()
}

fn id(s: &str) -> EntryId {
    EntryId::parse(s).unwrap()
}

fn entry(db: &Db, kind: CatalogKind, eid: &str, label: &str) -> EntryId {
    let e = NewCatalogEntry {
        id: id(eid),
        kind,
        label: label.into(),
        item: None,
    };
    db.write(|tx| tx.insert_entry(&e, now())).unwrap().id
}

fn content(name: &EntryId) -> AuthContent {
    AuthContent {
        name_id: name.clone(),
        description_id: None,
        flag_id: id(FLAG_ACTIVE),
        protocol_ids: vec![id("protocol-ldap")],
        slug_ids: vec![],
        item_ids: vec![],
        department_ids: vec![],
        location_ids: vec![],
    }
}

fn new_auth(auth_id: &str, content: AuthContent) -> NewAuth {
    NewAuth {
        auth_id: AuthId::parse(auth_id).unwrap(),
        group_id: GroupId::parse(&format!("g-{auth_id}")).unwrap(),
        content,
        at: now(),
        by: "tester".into(),
    }
}

fn migrations_seed_flags_and_protocols_once(db: &Db) {
    // Migrating again changes nothing and duplicates no seed.
    assert_eq!(db.migrate().unwrap(), Vec::<String>::new());
    for kind in [CatalogKind::Flags, CatalogKind::Protocols] {
        let page = db
            .read(|tx| {
                tx.list_entries(
                    kind,
                    None,
                    None,
                    PageRequest {
                        limit: 100,
                        offset: 0,
                    },
                )
            })
            .unwrap();
        let expected = SEEDS.iter().filter(|s| s.kind == kind).count();
        assert_eq!(page.total as usize, expected, "{kind}");
        assert!(page.rows.iter().all(|e| e.seeded));
    }
    db.ping().unwrap();
}

fn catalog_labels_are_unique_case_insensitively(db: &Db) {
    entry(db, CatalogKind::Departments, "d1", "Finance");
    let dup = NewCatalogEntry {
        id: id("d2"),
        kind: CatalogKind::Departments,
        label: "FINANCE".into(),
        item: None,
    };
    let err = db.write(|tx| tx.insert_entry(&dup, now())).unwrap_err();
    assert_eq!(
        err,
        RepoError::Conflict(auths_domain::Constraint::CatalogLabel)
    );
    // Another catalog may use the same label.
    entry(db, CatalogKind::Locations, "l1", "Finance");
    let found = db
        .read(|tx| tx.entry_by_label(CatalogKind::Departments, " finance "))
        .unwrap()
        .unwrap();
    assert_eq!((found.id.as_str(), found.label.as_str()), ("d1", "Finance"));
    // Items may share labels.
    for n in ["i1", "i2"] {
        let item = NewCatalogEntry {
            id: id(n),
            kind: CatalogKind::Items,
            label: "host".into(),
            item: Some(ItemData::parse("host", n, false).unwrap()),
        };
        db.write(|tx| tx.insert_entry(&item, now())).unwrap();
    }
}

fn catalog_lists_page_and_search(db: &Db) {
    for (i, label) in ["Zeta", "alpha", "Beta", "50%_off", "gamma"]
        .iter()
        .enumerate()
    {
        entry(db, CatalogKind::Departments, &format!("d{i}"), label);
    }
    let page = |search: Option<&str>, limit, offset| {
        db.read(|tx| {
            tx.list_entries(
                CatalogKind::Departments,
                search,
                None,
                PageRequest { limit, offset },
            )
        })
        .unwrap()
    };
    let all = page(None, 10, 0);
    let labels: Vec<_> = all.rows.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(labels, ["50%_off", "alpha", "Beta", "gamma", "Zeta"]);
    assert_eq!(all.total, 5);
    let second = page(None, 2, 2);
    assert_eq!(
        second
            .rows
            .iter()
            .map(|e| e.label.as_str())
            .collect::<Vec<_>>(),
        ["Beta", "gamma"]
    );
    assert_eq!(second.total, 5);
    assert_eq!(page(Some("ETA"), 10, 0).rows.len(), 2);
    // LIKE wildcards in the search are literal.
    assert_eq!(page(Some("%"), 10, 0).rows.len(), 1);
    assert_eq!(page(Some("_"), 10, 0).rows.len(), 1);
    assert_eq!(page(Some("nothing"), 10, 0).total, 0);
}

fn secret_item_values_are_never_read_back(db: &Db) {
    let item = NewCatalogEntry {
        id: id("pw"),
        kind: CatalogKind::Items,
        label: "bind_password".into(),
        item: Some(ItemData::parse("bind_password", "hunter2", true).unwrap()),
    };
    let stored = db.write(|tx| tx.insert_entry(&item, now())).unwrap();
    assert_eq!(stored.item.as_ref().unwrap().value, None);
    let name = entry(db, CatalogKind::Names, "n1", "Corp LDAP");
    let mut c = content(&name);
    c.item_ids = vec![id("pw")];
    db.write(|tx| tx.insert_auth(&new_auth("a1", c))).unwrap();
    let auth = db
        .read(|tx| tx.auth_by_id(&AuthId::parse("a1").unwrap()))
        .unwrap()
        .unwrap();
    assert_eq!(auth.items.len(), 1);
    assert!(auth.items[0].secret);
    assert_eq!(auth.items[0].value, None);
    assert!(!format!("{auth:?}{stored:?}").contains("hunter2"));
}

fn auths_round_trip_with_every_section(db: &Db) {
    let name = entry(db, CatalogKind::Names, "n1", "Corp LDAP");
    let desc = entry(
        db,
        CatalogKind::Descriptions,
        "ds1",
        "The corporate directory",
    );
    let s1 = entry(db, CatalogKind::Slugs, "s1", "corp-ldap");
    let d1 = entry(db, CatalogKind::Departments, "d1", "IT");
    let d2 = entry(db, CatalogKind::Departments, "d2", "Finance");
    let l1 = entry(db, CatalogKind::Locations, "l1", "Berlin");
    let item = NewCatalogEntry {
        id: id("i1"),
        kind: CatalogKind::Items,
        label: "host".into(),
        item: Some(ItemData::parse("host", "ldap.example.com", false).unwrap()),
    };
    db.write(|tx| tx.insert_entry(&item, now())).unwrap();
    let c = AuthContent {
        name_id: name,
        description_id: Some(desc),
        flag_id: id(FLAG_ACTIVE),
        protocol_ids: vec![id("protocol-ldaps"), id("protocol-ldap")],
        slug_ids: vec![s1],
        item_ids: vec![id("i1")],
        department_ids: vec![d1, d2],
        location_ids: vec![l1],
    };
    let new = new_auth("a1", c.clone());
    let number = db.write(|tx| tx.insert_auth(&new)).unwrap();
    let by_id = db.read(|tx| tx.auth_by_id(&new.auth_id)).unwrap().unwrap();
    let by_number = db.read(|tx| tx.auth_by_number(number)).unwrap().unwrap();
    assert_eq!(by_id, by_number);
    assert_eq!(by_id.number, number);
    assert_eq!(by_id.version, 1);
    assert_eq!(by_id.created_at, new.at);
    assert_eq!(by_id.name.label, "Corp LDAP");
    assert_eq!(
        by_id.description.as_ref().unwrap().label,
        "The corporate directory"
    );
    assert_eq!(by_id.flag.label, "active");
    // Multi-valued sections come back sorted by label.
    assert_eq!(
        by_id
            .protocols
            .iter()
            .map(|p| p.label.as_str())
            .collect::<Vec<_>>(),
        ["ldap", "ldaps"]
    );
    assert_eq!(
        by_id
            .departments
            .iter()
            .map(|p| p.label.as_str())
            .collect::<Vec<_>>(),
        ["Finance", "IT"]
    );
    assert_eq!(by_id.items[0].value.as_deref(), Some("ldap.example.com"));
    assert_eq!(by_id.locations[0].label, "Berlin");
    // The content round-trips (as sets).
    let mut back = by_id.content();
    back.protocol_ids.sort();
    back.department_ids.sort();
    let mut want = c;
    want.protocol_ids.sort();
    want.department_ids.sort();
    assert_eq!(back, want);
    assert_eq!(
        db.read(|tx| tx.auth_named(&id("n1"))).unwrap(),
        Some(new.auth_id.clone())
    );
    assert_eq!(
        db.read(|tx| tx.auth_by_id(&AuthId::parse("nope").unwrap()))
            .unwrap(),
        None
    );
    assert_eq!(
        db.read(|tx| tx.auth_by_number(number + 1000)).unwrap(),
        None
    );
}

fn auth_names_and_slugs_are_unique(db: &Db) {
    let n1 = entry(db, CatalogKind::Names, "n1", "One");
    let n2 = entry(db, CatalogKind::Names, "n2", "Two");
    let s = entry(db, CatalogKind::Slugs, "s1", "shared");
    let mut c1 = content(&n1);
    c1.slug_ids = vec![s.clone()];
    db.write(|tx| tx.insert_auth(&new_auth("a1", c1))).unwrap();

    let same_name = db
        .write(|tx| tx.insert_auth(&new_auth("a2", content(&n1))))
        .unwrap_err();
    assert_eq!(
        same_name,
        RepoError::Conflict(auths_domain::Constraint::AuthName)
    );

    let mut c2 = content(&n2);
    c2.slug_ids = vec![s.clone()];
    let same_slug = db
        .write(|tx| tx.insert_auth(&new_auth("a3", c2)))
        .unwrap_err();
    assert_eq!(
        same_slug,
        RepoError::Conflict(auths_domain::Constraint::SlugOwner)
    );
    assert_eq!(
        db.read(|tx| tx.slug_owners(&[s.clone(), id("other")]))
            .unwrap(),
        vec![(s, AuthId::parse("a1").unwrap())]
    );
}

fn failed_transactions_leave_nothing(db: &Db) {
    let n1 = entry(db, CatalogKind::Names, "n1", "One");
    let result: Result<i64, RepoError> = db.write(|tx| {
        tx.insert_auth(&new_auth("a1", content(&n1)))?;
        Err(RepoError::Stale)
    });
    assert_eq!(result, Err(RepoError::Stale));
    assert_eq!(
        db.read(|tx| tx.auth_by_id(&AuthId::parse("a1").unwrap()))
            .unwrap(),
        None
    );
    // The connection went back to the pool clean: the next write works.
    db.write(|tx| tx.insert_auth(&new_auth("a1", content(&n1))))
        .unwrap();
    assert!(
        db.read(|tx| tx.auth_by_id(&AuthId::parse("a1").unwrap()))
            .unwrap()
            .is_some()
    );
}

mod foreman_fixture {
    use super::*;
    use auths_domain::external::{ExternalField, ExternalQuery, ExternalRecord};
    pub use auths_domain::ldap::SourceKind;
    use auths_domain::scoped_search::{Direction, check, matches, parse};

    /// Three external auths and one LDAP auth, with locations and departments.
    pub fn fill<S: Store>(store: &S) -> Vec<(i64, i64)> {
        let add = |kind: CatalogKind, id: &str, label: &str| {
            let e = NewCatalogEntry {
                id: EntryId::parse(id).unwrap(),
                kind,
                label: label.into(),
                item: None,
            };
            store.write(|tx| tx.insert_entry(&e, now())).unwrap()
        };
        let berlin = add(CatalogKind::Locations, "l-ber", "Berlin");
        let paris = add(CatalogKind::Locations, "l-par", "Paris");
        let fin = add(CatalogKind::Departments, "d-fin", "Finance");
        let it = add(CatalogKind::Departments, "d-it", "IT");
        let auths = [
            (
                "External",
                vec!["protocol-external"],
                vec![&berlin],
                vec![&fin],
            ),
            (
                "Kiosk SSO",
                vec!["protocol-external", "protocol-saml2"],
                vec![&berlin, &paris],
                vec![&it],
            ),
            (
                "Admin_Portal 50%",
                vec!["protocol-external"],
                vec![],
                vec![],
            ),
            ("Corp LDAP", vec!["protocol-ldap"], vec![&paris], vec![&fin]),
        ];
        let host = store
            .write(|tx| {
                tx.insert_entry(
                    &NewCatalogEntry {
                        id: EntryId::parse("i-host").unwrap(),
                        kind: CatalogKind::Items,
                        label: "host".into(),
                        item: Some(
                            auths_domain::ItemData::parse("host", "LDAP.corp.example", false)
                                .unwrap(),
                        ),
                    },
                    now(),
                )
            })
            .unwrap();
        for (i, (name, protocols, locations, departments)) in auths.iter().enumerate() {
            let n = add(CatalogKind::Names, &format!("n{i}"), name);
            let c = AuthContent {
                name_id: n.id,
                description_id: None,
                flag_id: id(FLAG_ACTIVE),
                protocol_ids: protocols.iter().map(|p| id(p)).collect(),
                slug_ids: vec![],
                item_ids: if protocols.contains(&"protocol-ldap") {
                    vec![host.id.clone()]
                } else {
                    vec![]
                },
                department_ids: departments.iter().map(|d| d.id.clone()).collect(),
                location_ids: locations.iter().map(|l| l.id.clone()).collect(),
            };
            store
                .write(|tx| tx.insert_auth(&new_auth(&format!("a{i}"), c)))
                .unwrap();
        }
        vec![(berlin.number, fin.number), (paris.number, it.number)]
    }

    pub fn filter(q: &str) -> Option<auths_domain::scoped_search::Filter<ExternalField>> {
        parse(q)
            .unwrap()
            .map(|q| check(&q, ExternalField::Name).unwrap())
    }

    /// What the domain's statement of the semantics says `q` finds, over every
    /// external auth `store` holds, by number.
    pub fn oracle<S: Store>(store: &S, q: &str) -> Vec<String> {
        oracle_of(store, q, Some(SourceKind::External))
    }

    /// As [`oracle`], over the sources of `kind` (`None`: every kind).
    pub fn oracle_of<S: Store>(store: &S, q: &str, kind: Option<SourceKind>) -> Vec<String> {
        let filter = filter(q);
        store
            .read(|tx| {
                let numbers = tx.auth_numbers_after(0, 1000, None)?;
                let mut out = Vec::new();
                for auth in tx.auths_by_numbers(&numbers)? {
                    let content = auth.content();
                    let entries: Vec<_> = tx
                        .entries_by_ids(CatalogKind::Locations, &content.location_ids)?
                        .into_iter()
                        .chain(
                            tx.entries_by_ids(CatalogKind::Departments, &content.department_ids)?,
                        )
                        .collect();
                    let record = ExternalRecord::of(&auth, |id| {
                        entries.iter().find(|e| &e.id == id).map(|e| e.number)
                    });
                    let of_kind = kind.map_or(SourceKind::of(&auth).is_some(), |k| k.holds(&auth));
                    if of_kind && filter.as_ref().is_none_or(|f| matches(f, &record)) {
                        out.push(auth.name.label.clone());
                    }
                }
                Ok::<_, RepoError>(out)
            })
            .unwrap()
    }

    pub fn names<S: Store>(
        store: &S,
        q: &str,
        order: (ExternalField, Direction),
    ) -> (Vec<String>, u64, u64) {
        names_of(store, q, order, Some(SourceKind::External))
    }

    /// As [`names`], over the sources of `kind` (`None`: every kind).
    pub fn names_of<S: Store>(
        store: &S,
        q: &str,
        order: (ExternalField, Direction),
        kind: Option<SourceKind>,
    ) -> (Vec<String>, u64, u64) {
        let filter = filter(q);
        let query = ExternalQuery {
            kind,
            filter,
            location: None,
            organization: None,
            scope: None,
            order,
            page: None,
            counted: true,
        };
        let hits = store.read(|tx| tx.search_externals(&query)).unwrap();
        let auths = store.read(|tx| tx.auths_by_numbers(&hits.numbers)).unwrap();
        (
            auths.into_iter().map(|a| a.name.label).collect(),
            hits.total,
            hits.subtotal,
        )
    }
}

fn foreman_queries_compile_to_the_same_answers_as_the_rules(db: &Db) {
    use auths_domain::external::{ExternalField, ExternalQuery};
    use auths_domain::scoped_search::Direction;
    use auths_memory::MemoryStore;
    let numbers = foreman_fixture::fill(db);
    let memory = MemoryStore::new();
    foreman_fixture::fill(&memory);
    let by_id = (ExternalField::Id, Direction::Asc);
    let ids = |q: &str| {
        let sql = foreman_fixture::names(db, q, by_id);
        assert_eq!(
            sql.0,
            foreman_fixture::oracle(db, q),
            "SQL and the domain's rules disagree on {q:?}"
        );
        assert_eq!(
            sql,
            foreman_fixture::names(&memory, q, by_id),
            "SQL and the in-memory adapter disagree on {q:?}"
        );
        sql.0
    };
    assert_eq!(
        ids(""),
        ["External", "Kiosk SSO", "Admin_Portal 50%"],
        "only externals"
    );
    assert_eq!(
        foreman_fixture::names(db, "kiosk", by_id).1,
        3,
        "total ignores the search"
    );
    assert_eq!(
        foreman_fixture::names(db, "kiosk", by_id).2,
        1,
        "subtotal applies it"
    );
    assert_eq!(
        ids("EXTERNAL"),
        ["External"],
        "bare words: name substring, any case"
    );
    assert_eq!(ids("name = \"kiosk sso\""), ["Kiosk SSO"]);
    assert_eq!(ids("name ~ adm*"), ["Admin_Portal 50%"]);
    assert_eq!(ids("name ~ 50%"), ["Admin_Portal 50%"], "a literal percent");
    assert!(
        ids("name ~ k_o").is_empty(),
        "an underscore is literal, not a wildcard"
    );
    assert_eq!(ids("name ~ n_p"), ["Admin_Portal 50%"]);
    assert_eq!(ids("name !~ kiosk"), ["External", "Admin_Portal 50%"]);
    assert_eq!(
        ids("location = berlin"),
        ["External", "Kiosk SSO"],
        "any taxonomy matches"
    );
    assert_eq!(
        ids("location != paris"),
        ["External", "Kiosk SSO"],
        "any of them is not Paris (none: no match)"
    );
    assert_eq!(
        ids("organization ^ (Finance, IT)"),
        ["External", "Kiosk SSO"]
    );
    assert_eq!(ids("organization !^ (IT)"), ["External"]);
    assert_eq!(ids("set? location"), ["External", "Kiosk SSO"]);
    assert_eq!(ids("null? organization"), ["Admin_Portal 50%"]);
    assert_eq!(ids("location = berlin and not name ~ kiosk"), ["External"]);
    assert_eq!(
        ids("(name = external or name = \"kiosk sso\") and location = paris"),
        ["Kiosk SSO"]
    );
    // Ids are numbered differently in memory: these check the SQL store against the
    // domain's rules alone.
    let sql_only = |q: &str| {
        let sql = foreman_fixture::names(db, q, by_id).0;
        assert_eq!(sql, foreman_fixture::oracle(db, q), "{q:?}");
        sql
    };
    assert_eq!(
        sql_only(&format!("location_id = {}", numbers[1].0)),
        ["Kiosk SSO"]
    );
    assert_eq!(
        sql_only(&format!("organization_id = {}", numbers[0].1)),
        ["External"]
    );
    let first = foreman_fixture::names(db, "", by_id).0;
    let all_ids = {
        let hits = db
            .read(|tx| {
                tx.search_externals(&ExternalQuery {
                    kind: Some(foreman_fixture::SourceKind::External),
                    filter: None,
                    location: None,
                    organization: None,
                    scope: None,
                    order: by_id,
                    page: None,
                    counted: true,
                })
            })
            .unwrap();
        hits.numbers
    };
    assert_eq!(
        sql_only(&format!("id > {}", all_ids[0])),
        first[1..].to_vec()
    );
    assert_eq!(
        sql_only(&format!("id ^ ({}, {})", all_ids[0], all_ids[2])),
        [first[0].clone(), first[2].clone()]
    );
    // Order and paging.
    let by_name = foreman_fixture::names(db, "", (ExternalField::Name, Direction::Desc)).0;
    assert_eq!(by_name, ["Kiosk SSO", "External", "Admin_Portal 50%"]);
    let page = ExternalQuery {
        kind: Some(foreman_fixture::SourceKind::External),
        filter: None,
        location: Some(numbers[0].0),
        organization: None,
        scope: None,
        order: by_id,
        page: Some(PageRequest {
            limit: 1,
            offset: 1,
        }),
        counted: true,
    };
    let hits = db.read(|tx| tx.search_externals(&page)).unwrap();
    assert_eq!((hits.numbers.len(), hits.total, hits.subtotal), (1, 2, 2));

    // LDAP sources, searched by their `host` item, and every kind at once.
    let of = |q: &str, kind: Option<foreman_fixture::SourceKind>| {
        let sql = foreman_fixture::names_of(db, q, by_id, kind);
        assert_eq!(
            sql.0,
            foreman_fixture::oracle_of(db, q, kind),
            "{q:?} {kind:?}"
        );
        assert_eq!(
            sql,
            foreman_fixture::names_of(&memory, q, by_id, kind),
            "{q:?} {kind:?}"
        );
        sql.0
    };
    let ldap = Some(foreman_fixture::SourceKind::Ldap);
    assert_eq!(of("", ldap), ["Corp LDAP"]);
    assert_eq!(
        of("host = ldap.corp.example", ldap),
        ["Corp LDAP"],
        "any case"
    );
    assert_eq!(of("host ~ CORP", ldap), ["Corp LDAP"]);
    assert!(of("host !~ corp", ldap).is_empty());
    assert!(of("null? host", ldap).is_empty());
    assert_eq!(of("set? host and location = paris", ldap), ["Corp LDAP"]);
    assert_eq!(
        of("", None),
        ["External", "Kiosk SSO", "Admin_Portal 50%", "Corp LDAP"]
    );
    assert_eq!(
        of("null? host", None),
        ["External", "Kiosk SSO", "Admin_Portal 50%"]
    );
}

/// A busy pool makes a request wait (a queue under load), it does not fail it: only a
/// database that cannot be reached answers `Unavailable` after the pool's timeout.
#[test]
fn a_busy_pool_queues_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("busy.db").display());
    let options = auths_store::PoolOptions {
        max_size: 1,
        connection_timeout: std::time::Duration::from_millis(200),
        ..auths_store::PoolOptions::default()
    };
    let db = Db::open(&url, &options).unwrap();
    db.migrate().unwrap();
    let (held, release) = std::sync::mpsc::channel::<()>();
    let holder = {
        let db = db.clone();
        std::thread::spawn(move || {
            db.read(|_| {
                held.send(()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(700));
                Ok::<_, RepoError>(())
            })
        })
    };
    release.recv().unwrap();
    let started = std::time::Instant::now();
    let generation = db.generation();
    assert!(generation.is_ok(), "{generation:?}");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(300),
        "it waited for the connection"
    );
    holder.join().unwrap().unwrap();

    let started = std::time::Instant::now();
    let down = Db::open(
        "postgres://nobody@127.0.0.1:1/none",
        &auths_store::PoolOptions {
            max_size: 1,
            connection_timeout: std::time::Duration::from_millis(300),
            ..auths_store::PoolOptions::default()
        },
    );
    assert!(down.is_err(), "nothing listens on port 1");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "an unreachable database is reported within the pool's timeout, not the busy wait"
    );
}

/// The store's scope-limited listing, against the domain's statement of the rule
/// (`entry_visible` over each entry's usage), for every catalog the rule concerns.
fn scoped_listings_follow_the_domains_rule(db: &Db) {
    use auths_domain::principal::entry_visible;
    let fin = entry(db, CatalogKind::Departments, "d-fin", "Finance");
    let hr = entry(db, CatalogKind::Departments, "d-hr", "HR");
    let item = |eid: &str| {
        let e = NewCatalogEntry {
            id: id(eid),
            kind: CatalogKind::Items,
            label: "host".into(),
            item: Some(ItemData::parse("host", eid, false).unwrap()),
        };
        db.write(|tx| tx.insert_entry(&e, now())).unwrap().id
    };
    let (i_fin, i_hr, i_shared, i_free) = (
        item("i-fin"),
        item("i-hr"),
        item("i-shared"),
        item("i-free"),
    );
    let loc = |eid: &str, label: &str| entry(db, CatalogKind::Locations, eid, label);
    let (l_hr, l_free) = (loc("l-hr", "Berlin"), loc("l-free", "Paris"));
    let d_hr = entry(db, CatalogKind::Descriptions, "desc-hr", "HR's directory");
    let auths = [
        (
            "a-fin",
            "n-fin",
            vec![fin.clone()],
            vec![i_fin.clone(), i_shared.clone()],
            vec![],
            None,
        ),
        (
            "a-hr",
            "n-hr",
            vec![hr.clone()],
            vec![i_hr.clone(), i_shared.clone()],
            vec![l_hr.clone()],
            Some(d_hr.clone()),
        ),
        ("a-none", "n-none", vec![], vec![], vec![], None),
    ];
    for (auth_id, name, departments, items, locations, description) in auths {
        let n = entry(db, CatalogKind::Names, name, name);
        let mut c = content(&n);
        c.department_ids = departments;
        c.item_ids = items;
        c.location_ids = locations;
        c.description_id = description;
        db.write(|tx| tx.insert_auth(&new_auth(auth_id, c)))
            .unwrap();
    }
    // Unused entries with homes: HR's, Finance's, and one for global keys only; homing
    // an entry in use changes nothing.
    let (h_hr, h_fin, h_none) = (item("h-hr"), item("h-fin"), item("h-none"));
    let l_hr_old = loc("l-hr-old", "Old HR Tower");
    db.write(|tx| {
        tx.home_unused(
            &[h_hr.clone(), l_hr_old.clone(), i_fin.clone()],
            std::slice::from_ref(&hr),
        )?;
        tx.home_unused(std::slice::from_ref(&h_fin), &[hr.clone(), fin.clone()])?;
        tx.home_unused(std::slice::from_ref(&h_none), &[])
    })
    .unwrap();
    let home = |e: &EntryId| db.read(|tx| tx.entry_usage(e, None)).unwrap().home;
    assert_eq!(home(&h_hr), Some(vec![hr.clone()]));
    assert_eq!(home(&h_fin), Some(vec![fin.clone(), hr.clone()]));
    assert_eq!(home(&h_none), Some(vec![]));
    assert_eq!(home(&i_fin), None, "in use: not homed");
    assert_eq!(home(&i_free), None, "never homed: everyone's");
    let scope = [fin.clone()];
    for kind in [
        CatalogKind::Names,
        CatalogKind::Descriptions,
        CatalogKind::Items,
        CatalogKind::Locations,
        CatalogKind::Departments,
        CatalogKind::Protocols,
    ] {
        let page = PageRequest {
            limit: 100,
            offset: 0,
        };
        let all = db
            .read(|tx| tx.list_entries(kind, None, None, page))
            .unwrap();
        let seen = db
            .read(|tx| tx.list_entries(kind, None, Some(&scope), page))
            .unwrap();
        let expected: Vec<EntryId> = all
            .rows
            .iter()
            .filter(|e| {
                let usage = db.read(|tx| tx.entry_usage(&e.id, Some(&scope))).unwrap();
                entry_visible(kind, &e.id, &usage, Some(&scope))
            })
            .map(|e| e.id.clone())
            .collect();
        let got: Vec<EntryId> = seen.rows.iter().map(|e| e.id.clone()).collect();
        assert_eq!(got, expected, "{kind}");
        assert_eq!(seen.total, expected.len() as u64, "{kind}");
    }
    let seen_items = db
        .read(|tx| {
            tx.list_entries(
                CatalogKind::Items,
                None,
                Some(&scope),
                PageRequest {
                    limit: 10,
                    offset: 0,
                },
            )
        })
        .unwrap();
    let ids: Vec<&str> = seen_items.rows.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    for want in [&i_fin, &i_shared, &i_free, &h_fin] {
        assert!(
            ids.contains(&want.as_str()),
            "{want} is Finance's to see: {ids:?}"
        );
    }
    let usage = db
        .read(|tx| tx.entry_usage(&i_shared, Some(&scope)))
        .unwrap();
    assert_eq!((usage.users, usage.outside_scope), (2, 1));
    let usage = db.read(|tx| tx.entry_usage(&l_free, Some(&scope))).unwrap();
    assert_eq!((usage.users, usage.outside_scope), (0, 0));
}

/// Values stored in clear by a version before sealing are sealed by `reseal`; a
/// rotation re-seals under the new key; without the right key nothing is lost.
fn values_in_clear_are_sealed_and_a_rotation_reseals_them(t: &auths_store::testing::TestDb) {
    use auths_store::{SecretKey, Secrets};
    let db = &t.db;
    let first = SecretKey::generate();
    db.set_secrets(Secrets::new(vec![first.clone()]));
    // As an older version stored it: the value in clear, in item_value.
    t.execute(
        "INSERT INTO catalog_entries (id, kind, label, label_key, item_key, item_value, secret, seeded, created_at, updated_at) \
         VALUES ('old-pw', 'items', 'bind_password', 'bind_password', 'bind_password', 'canary-in-clear', true, false, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    );
    let stored = || {
        t.texts("SELECT COALESCE(item_value, '') || '|' || COALESCE(sealed_value, '') AS t FROM catalog_entries WHERE secret")
            .join("\n")
    };
    assert!(stored().contains("canary-in-clear"));
    assert_eq!(db.sealed_values_by_key().unwrap().get(""), Some(&1));

    let done = db.reseal().unwrap();
    assert_eq!((done.from_clear, done.from_old_key), (1, 0));
    let sealed = stored();
    assert!(!sealed.contains("canary"), "{sealed}");
    assert!(sealed.starts_with(&format!("|{}:", first.id())), "{sealed}");
    assert_eq!(
        db.reseal().unwrap(),
        auths_store::Resealed::default(),
        "idempotent"
    );

    // A new secret value is sealed when written.
    let item = NewCatalogEntry {
        id: id("new-pw"),
        kind: CatalogKind::Items,
        label: "client_secret".into(),
        item: Some(ItemData::parse("client_secret", "canary-new", true).unwrap()),
    };
    db.write(|tx| tx.insert_entry(&item, now())).unwrap();
    assert!(!stored().contains("canary"));

    // Rotation: the new key seals, the old one opens.
    let second = SecretKey::generate();
    db.set_secrets(Secrets::new(vec![second.clone(), first.clone()]));
    let done = db.reseal().unwrap();
    assert_eq!((done.from_clear, done.from_old_key), (0, 2));
    let by_key = db.sealed_values_by_key().unwrap();
    assert_eq!(by_key.get(second.id()), Some(&2), "{by_key:?}");
    assert_eq!(by_key.len(), 1);

    // Without the key the values are under, a reseal fails whole and changes nothing.
    let before = stored();
    db.set_secrets(Secrets::new(vec![SecretKey::generate()]));
    assert!(matches!(
        db.reseal(),
        Err(auths_store::StoreError::Repo(
            RepoError::SecretsUnavailable(_)
        ))
    ));
    assert_eq!(stored(), before);
    // Without any key, a secret value cannot be written, and nothing is.
    db.set_secrets(Secrets::missing("the key file is missing"));
    let refused = NewCatalogEntry {
        id: id("refused-pw"),
        ..item
    };
    assert!(matches!(
        db.write(|tx| tx.insert_entry(&refused, now())),
        Err(RepoError::SecretsUnavailable(m)) if m == "the key file is missing"
    ));
    assert_eq!(stored(), before);
}

#[test]
fn values_in_clear_are_sealed_on_sqlite() {
    values_in_clear_are_sealed_and_a_rotation_reseals_them(&auths_store::testing::TestDb::sqlite());
}

#[test]
fn values_in_clear_are_sealed_on_postgres() {
    if let Some(t) = auths_store::testing::TestDb::postgres() {
        values_in_clear_are_sealed_and_a_rotation_reseals_them(&t);
    }
}

/// Issue "Bounded, sealed, revocable": `per_page=all` on 40,000 auths answered 500
/// ("too many SQL variables", SQLite allows 32,766 a statement). Lookups by many keys
/// are read in chunks.
fn lookups_of_forty_thousand_keys_bind_no_more_variables_than_allowed(db: &Db) {
    let ids: Vec<EntryId> = (0..40_000).map(|i| id(&format!("e{i}"))).collect();
    let found = db
        .read(|tx| tx.entries_by_ids(CatalogKind::Departments, &ids))
        .unwrap();
    assert!(found.is_empty());
    let name = entry(db, CatalogKind::Names, "n1", "Corp LDAP");
    db.write(|tx| tx.insert_auth(&new_auth("a1", content(&name))))
        .unwrap();
    let numbers: Vec<i64> = (1..=40_000).collect();
    let auths = db.read(|tx| tx.auths_by_numbers(&numbers)).unwrap();
    assert_eq!(auths.len(), 1, "the one auth, found among 40,000 numbers");
}

/// The SQL of taxonomy searches gives what the domain's rule (`scoped_search::matches`,
/// which the in-memory adapter evaluates) gives, in the same order.
fn taxonomy_searches_agree_with_the_rules(db: &Db) {
    use auths_domain::external::{TaxonomyField, TaxonomyQuery};
    use auths_domain::scoped_search::SearchField as _;
    use auths_domain::scoped_search::{Direction, check, parse, parse_order};
    use auths_memory::MemoryStore;
    let memory = MemoryStore::new();
    for (i, label) in ["Berlin", "Paris", "Bern", "Madrid", "paris-2"]
        .iter()
        .enumerate()
    {
        let e = NewCatalogEntry {
            id: id(&format!("loc{i}")),
            kind: CatalogKind::Locations,
            label: (*label).into(),
            item: None,
        };
        db.write(|tx| tx.insert_entry(&e, now())).unwrap();
        memory.write(|tx| tx.insert_entry(&e, now())).unwrap();
    }
    let run = |store: &dyn Fn(&TaxonomyQuery) -> Vec<String>, q: &str, order: &str| {
        let filter = parse(q)
            .unwrap()
            .map(|q| check(&q, TaxonomyField::Name).unwrap());
        let order = if order.is_empty() {
            (TaxonomyField::Title, Direction::Asc)
        } else {
            let (f, d) = parse_order(order, TaxonomyField::ALL).unwrap();
            (f, d.unwrap_or(Direction::Asc))
        };
        store(&TaxonomyQuery {
            filter,
            order,
            scope: None,
            page: PageRequest {
                limit: 100,
                offset: 0,
            },
        })
    };
    let sql = |q: &TaxonomyQuery| -> Vec<String> {
        db.read(|tx| tx.search_taxonomies(CatalogKind::Locations, q))
            .unwrap()
            .rows
            .into_iter()
            .map(|e| e.label)
            .collect()
    };
    let mem = |q: &TaxonomyQuery| -> Vec<String> {
        memory
            .read(|tx| tx.search_taxonomies(CatalogKind::Locations, q))
            .unwrap()
            .rows
            .into_iter()
            .map(|e| e.label)
            .collect()
    };
    for (q, order, want) in [
        ("", "", vec!["Berlin", "Bern", "Madrid", "Paris", "paris-2"]),
        ("paris", "", vec!["Paris", "paris-2"]),
        ("name = paris", "", vec!["Paris"]),
        (
            "title != paris",
            "name DESC",
            vec!["paris-2", "Madrid", "Bern", "Berlin"],
        ),
        ("name ~ b*", "", vec!["Berlin", "Bern"]),
        ("name ^ (bern, madrid)", "", vec!["Bern", "Madrid"]),
        ("not name ~ r", "", vec![]),
        (
            "name ~ r and not name ~ e",
            "",
            vec!["Madrid", "Paris", "paris-2"],
        ),
    ] {
        let got = run(&sql, q, order);
        assert_eq!(got, want, "{q:?} {order:?}");
        assert_eq!(run(&mem, q, order), got, "memory and SQL on {q:?}");
    }
}

/// Auths stored without versions (published before versions were kept) get a baseline
/// version of their content at start-up, once.
fn auths_published_before_versions_get_a_baseline(db: &Db) {
    use auths_domain::VersionRepository;
    let names: Vec<EntryId> = (0..3)
        .map(|i| {
            entry(
                db,
                CatalogKind::Names,
                &format!("bn{i}"),
                &format!("Old {i}"),
            )
        })
        .collect();
    for (i, n) in names.iter().enumerate() {
        db.write(|tx| tx.insert_auth(&new_auth(&format!("old{i}"), content(n))))
            .unwrap();
    }
    assert_eq!(db.backfill_versions().unwrap(), 3);
    assert_eq!(db.backfill_versions().unwrap(), 0, "once");
    let page = PageRequest {
        limit: 10,
        offset: 0,
    };
    let kept = db
        .read(|tx| tx.versions(&AuthId::parse("old1").unwrap(), page))
        .unwrap();
    assert_eq!(kept.total, 1);
    let v = &kept.rows[0];
    assert_eq!(
        (v.version, v.operation.as_str(), v.actor_name.as_str()),
        (1, "auth.baseline", "tester")
    );
    assert_eq!(v.content.name.label, "Old 1");
}

/// Two handles on one database (two instances of the server): what one writes, the
/// other's in-memory search index answers at once: a new auth, a renamed catalog
/// entry, a deleted auth, a rebuild, and an index older than the log's floor.
fn two_handles_on_one_database_search_alike(t: &auths_store::testing::TestDb) {
    use auths_domain::{AuthQuery, Transaction};
    let a = &t.db;
    let b = Db::open(&t.url, &auths_store::PoolOptions::default()).unwrap();
    let q = |text: &str| AuthQuery {
        terms: auths_domain::search_terms(text),
        departments: None,
        scope: None,
        page: PageRequest {
            limit: 10,
            offset: 0,
        },
    };
    let found = |db: &Db, text: &str| db.read(|tx| tx.search_auths(&q(text))).unwrap().numbers;
    let name = entry(a, CatalogKind::Names, "n-zebra", "Shared Zebra");
    let number = a
        .write(|tx| tx.insert_auth(&new_auth("z1", content(&name))))
        .unwrap();
    assert_eq!(found(&b, "zebra"), [number]);
    assert_eq!(found(a, "zeb"), [number]);
    // A renamed name reaches the other handle's index at its next search.
    a.write(|tx| tx.update_entry(CatalogKind::Names, &name, "Shared Okapi", None, now()))
        .unwrap()
        .unwrap();
    assert_eq!(
        (found(&b, "okapi"), found(&b, "zebra")),
        (vec![number], vec![])
    );
    let other = entry(a, CatalogKind::Names, "n-other", "Other Okapi");
    let second = a
        .write(|tx| tx.insert_auth(&new_auth("z2", content(&other))))
        .unwrap();
    assert_eq!(found(&b, "okapi").len(), 2);
    assert!(a.write(|tx| tx.delete_auth(second, 1)).unwrap());
    assert_eq!(found(&b, "okapi"), [number]);
    // A rebuild (/refresh) on one handle rebuilds the other's.
    t.execute("UPDATE catalog_entries SET label = 'Quietly Renamed' WHERE id = 'n-zebra'");
    assert_eq!(found(&b, "quietly"), Vec::<i64>::new());
    a.write(|tx| tx.rebuild_search_index()).unwrap();
    assert_eq!(found(&b, "quietly"), [number]);
    // An index older than the log's floor is built again whole.
    t.execute("UPDATE catalog_entries SET label = 'Floor Test' WHERE id = 'n-zebra'");
    t.execute("UPDATE search_log_floor SET generation = 1000000");
    let g = a.generation().unwrap();
    t.execute(&format!("UPDATE data_generation SET value = {}", g + 1));
    assert_eq!(found(&b, "floor"), [number]);
    assert_eq!(b.read(|tx| tx.generation()).unwrap(), g + 1);
}

#[test]
fn the_view_of_an_auth_is_the_tables_on_every_sqlite_handle() {
    the_view_of_an_auth_is_the_tables_on_every_handle(&auths_store::testing::TestDb::sqlite());
}

#[test]
fn the_view_of_an_auth_is_the_tables_on_every_postgresql_handle() {
    if let Some(t) = auths_store::testing::TestDb::postgres() {
        the_view_of_an_auth_is_the_tables_on_every_handle(&t);
    }
}

/// `auth_view` (the form view's read, answered from the search index) equals
/// `auth_by_id` (the tables) on both of two handles after every kind of write one of
/// them makes to what an auth shows: the auth itself, an item's value, a location's
/// label, a flag's label, a delete.
fn the_view_of_an_auth_is_the_tables_on_every_handle(t: &auths_store::testing::TestDb) {
    use std::sync::Arc;
    let a = &t.db;
    let b = Db::open(&t.url, &auths_store::PoolOptions::default()).unwrap();
    let item = |value: &str| auths_domain::ItemData {
        key: auths_domain::Label::parse("host").unwrap(),
        value: value.into(),
        secret: false,
    };
    let host = a
        .write(|tx| {
            tx.insert_entry(
                &NewCatalogEntry {
                    id: id("i-host"),
                    kind: CatalogKind::Items,
                    label: "host".into(),
                    item: Some(item("ldap1.example.org")),
                },
                now(),
            )
        })
        .unwrap()
        .id;
    let place = entry(a, CatalogKind::Locations, "l-hq", "Headquarters");
    let flag = entry(a, CatalogKind::Flags, "f-pilot", "pilot");
    let name = entry(a, CatalogKind::Names, "n-view", "Viewed Auth");
    let mut c = content(&name);
    c.item_ids = vec![host.clone()];
    c.location_ids = vec![place.clone()];
    c.flag_id = flag.clone();
    let auth_id = AuthId::parse("view-1").unwrap();
    let number = a
        .write(|tx| tx.insert_auth(&new_auth("view-1", c.clone())))
        .unwrap();
    let agree = |step: &str| {
        for db in [a, &b] {
            let (view, table) = db
                .read(|tx| {
                    Ok::<_, auths_domain::RepoError>((
                        tx.auth_view(&auth_id)?,
                        tx.auth_by_id(&auth_id)?,
                    ))
                })
                .unwrap();
            assert_eq!(view, table.clone().map(Arc::new), "{step}");
            // The form's read, outside a transaction, answers the same auth.
            let owner = auths_domain::PrincipalId::parse("p-reader").unwrap();
            let form = db.form_read(&auth_id, &owner).unwrap();
            // And, when it can answer without waiting (SQLite, the index current),
            // the read at once: the same, at the same generation.
            if let Some(now) = db.form_read_now(&auth_id, &owner) {
                assert_eq!(now.unwrap(), form, "{step}: form_read_now");
            } else {
                assert_eq!(db.backend(), auths_store::Backend::Postgres, "{step}");
            }
            assert_eq!(form.auth, table.map(Arc::new), "{step}: form_read");
            assert_eq!(form.draft_version, None, "{step}");
        }
    };
    agree("created");
    let shown = |db: &Db| db.read(|tx| tx.auth_view(&auth_id)).unwrap().unwrap();
    assert_eq!(
        shown(&b).items[0].value.as_deref(),
        Some("ldap1.example.org")
    );
    a.write(|tx| {
        tx.update_entry(
            CatalogKind::Items,
            &host,
            "host",
            Some(&item("ldap2.example.org")),
            now(),
        )
    })
    .unwrap()
    .unwrap();
    agree("an item's value changed");
    assert_eq!(
        shown(&b).items[0].value.as_deref(),
        Some("ldap2.example.org")
    );
    a.write(|tx| tx.update_entry(CatalogKind::Locations, &place, "Head Office", None, now()))
        .unwrap()
        .unwrap();
    agree("a location renamed");
    assert_eq!(shown(&b).locations[0].label, "Head Office");
    a.write(|tx| tx.update_entry(CatalogKind::Flags, &flag, "staged", None, now()))
        .unwrap()
        .unwrap();
    agree("a flag renamed");
    assert_eq!(shown(&b).flag.label, "staged");
    c.location_ids = vec![];
    a.write(|tx| tx.update_auth(number, 1, &c, now(), "tester"))
        .unwrap();
    agree("the auth updated");
    assert_eq!((shown(&b).version, shown(&b).locations.len()), (2, 0));
    assert!(a.write(|tx| tx.delete_auth(number, 2)).unwrap());
    agree("the auth deleted");
    assert!(b.read(|tx| tx.auth_view(&auth_id)).unwrap().is_none());
}

/// A bulk create's batch (PostgreSQL; a no-op on SQLite, where the same steps must give
/// the same result) writes what it queued before any statement it does not know, so
/// that the statement sees it; a savepoint open then is made real and still undoes its
/// item; what follows goes statement by statement.
fn a_batch_settles_before_a_statement_it_does_not_know(db: &Db) {
    use auths_domain::{BatchPlan, Transaction};
    let names: Vec<EntryId> = (1..=3)
        .map(|n| {
            entry(
                db,
                CatalogKind::Names,
                &format!("n-batch-{n}"),
                &format!("Batch {n}"),
            )
        })
        .collect();
    let auth_id = |n: usize| AuthId::parse(&format!("a-batch-{n}")).unwrap();
    let plan = BatchPlan {
        items: 3,
        entry_ids: names
            .iter()
            .cloned()
            .chain([id(FLAG_ACTIVE), id("protocol-ldap")])
            .collect(),
        // A text no item will use (as if its item failed): added by the batch, gone
        // at the commit although the batch settled.
        texts: vec![NewCatalogEntry {
            id: id("n-batch-orphan"),
            kind: CatalogKind::Names,
            label: "Batch orphan".into(),
            item: None,
        }],
        at: now(),
        ..BatchPlan::default()
    };
    db.write(|tx| {
        tx.begin_batch(&plan)?;
        tx.savepoint(|tx| tx.insert_auth(&new_auth("a-batch-1", content(&names[0]))))?;
        let failed: Result<(), RepoError> = tx.savepoint(|tx| {
            tx.insert_auth(&new_auth("a-batch-2", content(&names[1])))?;
            // Not a question the batch answers: it settles first.
            assert!(
                tx.auth_by_id(&auth_id(1))?.is_some(),
                "the first item is written"
            );
            assert!(tx.auth_by_id(&auth_id(2))?.is_some(), "and this item's own");
            Err(RepoError::Stale)
        });
        assert_eq!(failed, Err(RepoError::Stale));
        assert!(
            tx.auth_by_id(&auth_id(2))?.is_none(),
            "the failed item is undone"
        );
        tx.savepoint(|tx| tx.insert_auth(&new_auth("a-batch-3", content(&names[2]))))?;
        tx.end_batch()
    })
    .unwrap();
    let stored: Vec<bool> = (1..=3)
        .map(|n| db.read(|tx| tx.auth_by_id(&auth_id(n))).unwrap().is_some())
        .collect();
    assert_eq!(stored, [true, false, true]);
    let orphan = db
        .read(|tx| tx.entry_by_label(CatalogKind::Names, "Batch orphan"))
        .unwrap();
    assert_eq!(orphan, None, "a text no auth uses is removed");
    let third = db.read(|tx| tx.auth_by_id(&auth_id(3))).unwrap().unwrap();
    assert_eq!(third.protocols[0].id.as_str(), "protocol-ldap");
}
