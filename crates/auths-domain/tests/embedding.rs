//! The crate as another service embeds it, through its public API alone and with no
//! store: build and check an auth, decide permissions, evaluate a query, apply and
//! publish a draft, and serialize what it holds (a property: every auth and draft
//! reads back as it was written).

#![allow(clippy::unwrap_used, reason = "a failing test should fail loudly")]

use auths_domain::chrono::{DateTime, TimeZone, Utc};
use auths_domain::external::{ExternalField, ExternalRecord, Taxon};
use auths_domain::scoped_search::{check, matches, parse};
use auths_domain::{
    Auth, AuthBuilder, AuthFields, AuthId, AuthName, Caller, CatalogKind, Catalogs, Change,
    Channel, Denial, Description, DescriptionChoice, Draft, DraftId, DraftPatch, DraftValues,
    EntryId, EntryRef, GroupId, ItemRef, NameChoice, Operation, Principal, PrincipalId,
    PublishRefusal, Refusal, Role, Rule, Section, Stamp, examine,
};
use proptest::prelude::*;

fn stamp<'a>(id: &'a AuthId, group: &'a GroupId) -> Stamp<'a> {
    let t = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
    Stamp {
        number: 1,
        auth_id: id,
        group_id: group,
        version: 1,
        created: (t, "test"),
        updated: (t, "test"),
    }
}

#[test]
fn an_auth_is_built_from_text_with_every_problem_at_once() {
    let mut catalogs = Catalogs::seeded();
    catalogs
        .add_label(CatalogKind::Departments, "Finance")
        .unwrap();
    let before = format!("{catalogs:?}");
    let err = AuthBuilder::new(" ")
        .flag("retired")
        .slug("Not A Slug")
        .item("host", "a", false)
        .item("Host", "b", false)
        .item("", "c", false)
        .department("HR")
        .build(&mut catalogs)
        .unwrap_err();
    let found: Vec<(&str, &str)> = err
        .problems
        .iter()
        .map(|p| (p.field.as_str(), p.rule.code()))
        .collect();
    assert_eq!(
        found,
        [
            ("name", "blank"),
            ("flag_id", "unknown_entry"),
            ("protocol_ids", "required"),
            ("slug_ids", "not_url_safe"),
            ("item_ids", "blank"),
            ("item_ids", "repeated_key"),
            ("department_ids", "unknown_entry"),
        ]
    );
    assert_eq!(
        format!("{catalogs:?}"),
        before,
        "a refused build adds nothing"
    );

    let content = AuthBuilder::new("Corp LDAP")
        .protocol("LDAPS")
        .slug("corp-ldap")
        .item("host", "ldap.example.com", false)
        .item("bind_password", "hunter2", true)
        .department("finance")
        .build(&mut catalogs)
        .unwrap();
    assert_eq!(
        content.protocol_ids,
        [EntryId::parse("protocol-ldaps").unwrap()]
    );
    assert_eq!(content.flag_id.as_str(), "flag-active", "active by default");
    let secret = catalogs.entry(&content.item_ids[1]).unwrap();
    assert_eq!(
        secret.item.as_ref().unwrap().value,
        None,
        "a secret is not read back"
    );
    assert!(!format!("{catalogs:?}").contains("hunter2"));

    let (id, group) = (AuthId::parse("a1").unwrap(), GroupId::parse("g1").unwrap());
    let auth = catalogs.register(&stamp(&id, &group), &content).unwrap();
    assert_eq!(auth.name.label, "Corp LDAP");
    assert_eq!(auth.departments[0].label, "Finance");
    assert_eq!(
        auth.items
            .iter()
            .map(|i| i.key.as_str())
            .collect::<Vec<_>>(),
        ["bind_password", "host"]
    );

    let taken = AuthBuilder::new("CORP LDAP")
        .protocol("ldap")
        .slug("corp-ldap")
        .build(&mut catalogs)
        .unwrap_err();
    let rules: Vec<_> = taken
        .problems
        .iter()
        .map(|p| (&*p.field, p.rule.clone()))
        .collect();
    assert_eq!(rules[0], ("name", Rule::NameTaken));
    assert!(matches!(rules[1], ("slug_ids", Rule::SlugTaken { .. })));
    catalogs.unregister(&id);
    assert!(
        AuthBuilder::new("Corp LDAP")
            .protocol("ldap")
            .build(&mut catalogs)
            .is_ok(),
        "an unregistered auth's name is free again"
    );
}

#[test]
fn every_distinct_problem_of_a_field_is_told() {
    let mut catalogs = Catalogs::seeded();
    let content = AuthBuilder::new("Corp LDAP")
        .protocol("ldap")
        .slug("corp-ldap")
        .build(&mut catalogs)
        .unwrap();
    let (id, group) = (AuthId::parse("a1").unwrap(), GroupId::parse("g1").unwrap());
    catalogs.register(&stamp(&id, &group), &content).unwrap();
    let err = AuthBuilder::new("Other")
        .protocol("ldap")
        .slug("Not A Slug")
        .slug("corp-ldap")
        .item("host", "a\0b", false)
        .item("host", "c", false)
        .item("HOST", "d", false)
        .build(&mut catalogs)
        .unwrap_err();
    let found: Vec<(&str, &str)> = err
        .problems
        .iter()
        .map(|p| (p.field.as_str(), p.rule.code()))
        .collect();
    // A slug both malformed and taken by another, an item with NUL beside two that
    // repeat a key: each problem is its own, none hides another.
    assert_eq!(
        found,
        [
            ("slug_ids", "not_url_safe"),
            ("slug_ids", "slug_taken"),
            ("item_ids", "nul_characters"),
            ("item_ids", "repeated_key"),
        ]
    );
    // A name that is not valid is not also "required".
    let err = AuthBuilder::new("")
        .protocol("ldap")
        .build(&mut catalogs)
        .unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    assert_eq!(err.problems[0].rule.code(), "blank");
}

#[test]
fn a_registered_auth_is_rebuilt_under_its_own_name() {
    let mut catalogs = Catalogs::seeded();
    let build = |name: &str| AuthBuilder::new(name).protocol("ldap").slug("corp");
    let content = build("Corp LDAP").build(&mut catalogs).unwrap();
    let (id, group) = (AuthId::parse("a1").unwrap(), GroupId::parse("g1").unwrap());
    catalogs.register(&stamp(&id, &group), &content).unwrap();
    // As a new auth its name and slug are taken; as itself, changed, they are its own.
    assert!(build("Corp LDAP").build(&mut catalogs).is_err());
    let changed = build("Corp LDAP")
        .protocol("ldaps")
        .build_for(&mut catalogs, &id)
        .unwrap();
    assert_eq!(changed.name_id, content.name_id);
    assert_eq!(changed.protocol_ids.len(), 2);
    let auth = catalogs.register(&stamp(&id, &group), &changed).unwrap();
    assert_eq!(auth.protocols.len(), 2);
    // Another auth's name stays taken for it.
    let other = AuthId::parse("a2").unwrap();
    let err = build("Corp LDAP")
        .build_for(&mut catalogs, &other)
        .unwrap_err();
    assert_eq!(err.problems[0].rule, Rule::NameTaken);
}

#[test]
fn texts_are_composed_after_they_are_added() {
    let mut catalogs = Catalogs::seeded();
    let fields = AuthFields {
        name: Some(NameChoice::Text(AuthName::parse("Corp LDAP").unwrap())),
        description: Some(Some(DescriptionChoice::Text(
            Description::parse("The corporate directory")
                .unwrap()
                .unwrap(),
        ))),
        protocol_ids: Some(vec![EntryId::parse("protocol-ldap").unwrap()]),
        ..AuthFields::default()
    };
    // A bare examination finds neither text, and says so rather than dropping them.
    let Ok(examined) = examine(&mut catalogs, &fields, None);
    assert_eq!(examined.new_texts(), [Section::Name, Section::Description]);
    assert_eq!(
        examined.composition().unwrap_err(),
        Refusal::NewText {
            section: Section::Name
        }
    );
    // Composing adds them first; nothing is registered.
    let composition = catalogs.compose(&fields, None).unwrap();
    let description = composition.content().description_id.clone().unwrap();
    assert_eq!(
        catalogs.entry(&description).unwrap().label,
        "The corporate directory"
    );
    let again = catalogs.compose(&fields, None).unwrap();
    assert_eq!(
        again.content(),
        composition.content(),
        "found, not added twice"
    );
    // A refused composition adds nothing.
    let before = format!("{catalogs:?}");
    let wrong = AuthFields {
        name: Some(NameChoice::Text(AuthName::parse("New name").unwrap())),
        protocol_ids: Some(Vec::new()),
        ..AuthFields::default()
    };
    assert!(matches!(
        catalogs.compose(&wrong, None),
        Err(Refusal::Invalid(_))
    ));
    assert_eq!(format!("{catalogs:?}"), before);
}

#[test]
fn a_secret_set_by_hand_is_neither_shown_nor_serialized() {
    let item = ItemRef {
        id: EntryId::parse("i1").unwrap(),
        label: "bind_password".into(),
        key: "bind_password".into(),
        value: Some("hunter2".into()),
        secret: true,
        fingerprint: None,
    };
    assert!(!format!("{item:?}").contains("hunter2"));
    let json = serde_json::to_value(&item).unwrap();
    assert_eq!(json["value"], serde_json::Value::Null);
    let view = auths_domain::catalog::ItemView {
        key: "k".into(),
        value: Some("hunter2".into()),
        secret: true,
        fingerprint: None,
    };
    assert!(!format!("{view:?}").contains("hunter2"));
    let plain = ItemRef {
        secret: false,
        ..item
    };
    assert_eq!(serde_json::to_value(&plain).unwrap()["value"], "hunter2");
}

#[test]
fn permissions_are_decided_by_type() {
    let fin = EntryRef {
        id: EntryId::parse("d-fin").unwrap(),
        label: "Finance".into(),
    };
    let viewer = Caller {
        principal: Principal {
            id: PrincipalId::parse("p").unwrap(),
            name: "v".into(),
            role: Role::Viewer,
            departments: Some(vec![fin.clone()]),
            allow_mcp_writes: false,
        },
        channel: Channel::Api,
        client: None,
    };
    let refusal = viewer.may(Operation::Create).unwrap_err();
    assert_eq!(refusal.code(), "role");
    assert_eq!(
        refusal,
        Denial::Role {
            operation: Operation::Create,
            need: Role::Editor,
            have: Role::Viewer
        }
    );
    assert!(viewer.can_see(std::slice::from_ref(&fin.id)));
    assert!(!viewer.can_see(&[]));
    let json = serde_json::to_value(&refusal).unwrap();
    assert_eq!(json["code"], "role");
    assert_eq!(serde_json::from_value::<Denial>(json).unwrap(), refusal);
}

#[test]
fn a_query_is_evaluated_against_a_built_auth() {
    let mut catalogs = Catalogs::seeded();
    catalogs
        .add_label(CatalogKind::Locations, "Berlin")
        .unwrap();
    let content = AuthBuilder::new("Kiosk SSO")
        .protocol("external")
        .location("Berlin")
        .build(&mut catalogs)
        .unwrap();
    let (id, group) = (AuthId::parse("a1").unwrap(), GroupId::parse("g1").unwrap());
    let auth = catalogs.register(&stamp(&id, &group), &content).unwrap();
    let record = ExternalRecord::of(&auth, |e| catalogs.entry(e).map(|x| x.number));
    assert_eq!(
        record.locations,
        [Taxon {
            number: catalogs.entry(&auth.locations[0].id).unwrap().number,
            label: "Berlin".into()
        }]
    );
    for (q, want) in [
        ("kiosk", true),
        ("name ~ *sso and location = BERLIN", true),
        ("location != berlin", false),
        ("null? organization", true),
        ("id > 1", false),
    ] {
        let filter = check(&parse(q).unwrap().unwrap(), ExternalField::Name).unwrap();
        assert_eq!(matches(&filter, &record), want, "{q}");
    }
}

#[test]
fn a_draft_is_applied_and_published_by_its_rules() {
    let t = DateTime::<Utc>::UNIX_EPOCH;
    let auth_id = AuthId::parse("a1").unwrap();
    let mut draft = Draft {
        draft_id: DraftId::parse("d1").unwrap(),
        owner: PrincipalId::parse("p1").unwrap(),
        auth_id: Some(auth_id.clone()),
        base_version: Some(3),
        version: 1,
        values: DraftValues {
            name_id: Some("n1".into()),
            description_id: Some("desc1".into()),
            flag_id: Some("flag-active".into()),
            protocol_ids: vec!["protocol-ldap".into()],
            ..DraftValues::default()
        },
        created_at: t,
        updated_at: t,
    };
    // Clearing a description given as an id clears it (not only its text form).
    draft
        .apply(
            1,
            DraftPatch {
                description: Change::Clear,
                ..DraftPatch::default()
            },
            t,
        )
        .unwrap();
    assert_eq!(
        (
            draft.values.description.as_ref(),
            draft.values.description_id.as_ref()
        ),
        (None, None)
    );
    assert!(matches!(
        draft.publish_new(),
        Err(PublishRefusal::OfExistingAuth { .. })
    ));
    let fields = draft.publish_update(&auth_id, 3, Some(3)).unwrap();
    assert_eq!(fields.description, Some(None), "publishing clears it");
    assert!(matches!(
        draft.publish_update(&auth_id, 4, None),
        Err(PublishRefusal::Stale {
            base: 3,
            current: 4
        })
    ));
    assert!(matches!(
        draft.publish_update(&auth_id, 3, Some(2)),
        Err(PublishRefusal::BaseMismatch {
            base: 3,
            expected: 2
        })
    ));
    assert!(matches!(
        draft.publish_update(&AuthId::parse("other").unwrap(), 3, None),
        Err(PublishRefusal::NotADraftOf { .. })
    ));
}

#[test]
fn clear_and_not_given_stay_apart_in_json() {
    let clear = AuthFields {
        description: Some(None),
        ..AuthFields::default()
    };
    let given = AuthFields {
        description: Some(Some(DescriptionChoice::Id(EntryId::parse("d").unwrap()))),
        name: Some(NameChoice::Id(EntryId::parse("n").unwrap())),
        ..AuthFields::default()
    };
    for f in [AuthFields::default(), clear.clone(), given] {
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(
            serde_json::from_str::<AuthFields>(&json).unwrap(),
            f,
            "{json}"
        );
    }
    assert_eq!(
        serde_json::to_string(&clear).unwrap(),
        r#"{"description":null}"#
    );
    assert_eq!(serde_json::to_string(&AuthFields::default()).unwrap(), "{}");
}

fn id() -> impl Strategy<Value = EntryId> {
    "[a-z0-9][a-z0-9_.:-]{0,20}".prop_map(|s| EntryId::parse(&s).unwrap())
}

fn entry() -> impl Strategy<Value = EntryRef> {
    (id(), "\\PC{1,40}").prop_map(|(id, label)| EntryRef { id, label })
}

fn item() -> impl Strategy<Value = ItemRef> {
    (
        id(),
        "[a-z_]{1,20}",
        proptest::option::of("\\PC{0,40}"),
        any::<bool>(),
    )
        .prop_map(|(id, key, value, secret)| {
            ItemRef::new(
                id,
                key.clone(),
                Some(auths_domain::catalog::ItemView::new(key, value, secret)),
            )
        })
}

fn time() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_000_000_000, 0u32..1_000_000_000).prop_map(|(s, n)| Utc.timestamp_opt(s, n).unwrap())
}

prop_compose! {
    fn auth()(
        number in any::<i64>(),
        auth_id in "[a-z0-9-]{1,30}",
        name in entry(),
        description in proptest::option::of(entry()),
        flag in entry(),
        lists in proptest::collection::vec(proptest::collection::vec(entry(), 0..4), 4),
        items in proptest::collection::vec(item(), 0..4),
        version in 1i64..1000,
        times in (time(), time()),
        by in ("\\PC{0,20}", "\\PC{0,20}"),
    ) -> Auth {
        Auth {
            number,
            auth_id: AuthId::parse(&auth_id).unwrap(),
            group_id: GroupId::parse(&auth_id).unwrap(),
            name,
            description,
            flag,
            protocols: lists[0].clone(),
            slugs: lists[1].clone(),
            items,
            departments: lists[2].clone(),
            locations: lists[3].clone(),
            version,
            created_at: times.0,
            updated_at: times.1,
            created_by: by.0,
            updated_by: by.1,
        }
    }
}

prop_compose! {
    fn draft()(
        texts in proptest::collection::vec(proptest::option::of("\\PC{0,30}"), 5),
        lists in proptest::collection::vec(proptest::collection::vec("\\PC{0,12}", 0..4), 5),
        auth_id in proptest::option::of("[a-z0-9]{1,10}"),
        base in proptest::option::of(0i64..100),
        version in 1i64..100,
        times in (time(), time()),
    ) -> Draft {
        Draft {
            draft_id: DraftId::parse("d1").unwrap(),
            owner: PrincipalId::parse("p1").unwrap(),
            auth_id: auth_id.map(|a| AuthId::parse(&a).unwrap()),
            base_version: base,
            version,
            values: DraftValues {
                name: texts[0].clone(),
                name_id: texts[1].clone(),
                description: texts[2].clone(),
                description_id: texts[3].clone(),
                flag_id: texts[4].clone(),
                protocol_ids: lists[0].clone(),
                slug_ids: lists[1].clone(),
                item_ids: lists[2].clone(),
                department_ids: lists[3].clone(),
                location_ids: lists[4].clone(),
            },
            created_at: times.0,
            updated_at: times.1,
        }
    }
}

proptest! {
    #[test]
    fn every_auth_reads_back_as_written(a in auth()) {
        let json = serde_json::to_string(&a).unwrap();
        prop_assert_eq!(serde_json::from_str::<Auth>(&json).unwrap(), a);
    }

    #[test]
    fn every_draft_reads_back_as_written(d in draft()) {
        let json = serde_json::to_string(&d).unwrap();
        prop_assert_eq!(serde_json::from_str::<Draft>(&json).unwrap(), d);
    }
}
