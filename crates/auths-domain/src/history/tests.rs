//! The diff of two versions, by example and by property.

use proptest::prelude::*;

use super::*;

fn e(id: &str, label: &str) -> EntryRef {
    EntryRef {
        id: EntryId::parse(id).unwrap(),
        label: label.into(),
    }
}

fn item(id: &str, key: &str, value: &str, secret: bool) -> ItemState {
    ItemState {
        id: EntryId::parse(id).unwrap(),
        key: key.into(),
        value: (!secret).then(|| value.to_owned()),
        secret,
        fingerprint: secret.then(|| "0123456789abcdef".to_owned()),
    }
}

fn content() -> VersionContent {
    VersionContent {
        name: e("n1", "Corp LDAP"),
        description: None,
        flag: e("flag-active", "active"),
        protocols: vec![e("protocol-ldap", "ldap")],
        slugs: vec![],
        items: vec![
            item("i1", "host", "ldap1", false),
            item("i2", "pw", "x", true),
        ],
        departments: vec![e("d1", "Finance")],
        locations: vec![],
    }
    .normalized()
}

#[test]
fn a_rename_and_a_new_item_are_two_changes() {
    let a = content();
    let mut b = a.clone();
    b.name = e("n2", "Corp LDAP EU");
    b.items[0] = item("i3", "host", "ldap2", false);
    let b = b.normalized();
    let changes = diff(&a, &b);
    let json = serde_json::to_value(&changes).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {"field": "name", "before": {"id": "n1", "label": "Corp LDAP"}, "after": {"id": "n2", "label": "Corp LDAP EU"}},
            {"field": "items",
             "added": [{"id": "i3", "key": "host", "value": "ldap2", "secret": false, "fingerprint": null}],
             "removed": [{"id": "i1", "key": "host", "value": "ldap1", "secret": false, "fingerprint": null}]},
        ])
    );
    assert_eq!(apply(&a, &changes), b);
    let back: Vec<Change> = serde_json::from_value(json).unwrap();
    assert_eq!(back, changes, "a diff reads back as written");
}

#[test]
fn a_secret_value_is_never_kept() {
    let mut c = content();
    c.items[1].value = Some("hunter2".into());
    let c = c.normalized();
    assert!(!serde_json::to_string(&c).unwrap().contains("hunter2"));
}

fn ids(prefix: &'static str) -> impl Strategy<Value = Vec<EntryRef>> {
    prop::collection::btree_set(0u8..8, 0..5).prop_map(move |s| {
        s.into_iter()
            .map(|n| e(&format!("{prefix}{n}"), &format!("{prefix} {n}")))
            .collect()
    })
}

prop_compose! {
    fn any_content()(
        name in 0u8..3,
        description in prop::option::of(0u8..3),
        flag in 0u8..3,
        protocols in ids("p"),
        slugs in ids("s"),
        items in prop::collection::btree_map(0u8..8, any::<bool>(), 0..5),
        departments in ids("d"),
        locations in ids("l"),
    ) -> VersionContent {
        VersionContent {
            name: e(&format!("n{name}"), "name"),
            description: description.map(|d| e(&format!("c{d}"), "description")),
            flag: e(&format!("f{flag}"), "flag"),
            protocols,
            slugs,
            // The same item id may hold another value in another version (edited in
            // the catalog in between).
            items: items
                .into_iter()
                .map(|(n, edited)| item(&format!("i{n}"), &format!("k{n}"), if edited { "v2" } else { "v" }, n % 3 == 0))
                .collect(),
            departments,
            locations,
        }
        .normalized()
    }
}

proptest! {
    #[test]
    fn nothing_changes_between_a_content_and_itself(a in any_content()) {
        prop_assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn applying_the_diff_of_a_and_b_to_a_gives_b(a in any_content(), b in any_content()) {
        let changes = diff(&a, &b);
        prop_assert_eq!(apply(&a, &changes), b.clone());
        prop_assert_eq!(changes.is_empty(), a == b);
    }
}
