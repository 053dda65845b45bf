//! The rules of LDAP auth sources.

use super::*;

#[test]
fn parameters_read_as_foremans_apipie_reads_them() {
    let patch = LdapPatch::parse([
        ("port", RawParam::Text(" 636 ".into())),
        ("tls", RawParam::Text("1".into())),
        ("onthefly_register", RawParam::Int(0)),
        ("server_type", RawParam::Text("active_directory".into())),
        ("ldap_filter", RawParam::Text("".into())),
        ("account_password", RawParam::Null),
        ("colour", RawParam::Text("red".into())),
    ])
    .unwrap();
    assert_eq!(patch.tls, Some(true));
    assert_eq!(
        patch.items,
        [
            ("port", Some("636".to_owned())),
            ("onthefly_register", Some("false".to_owned())),
            ("server_type", Some("active_directory".to_owned())),
            ("ldap_filter", None),
        ],
        "a blank password keeps the stored one; unknown keys are ignored"
    );
    let err = LdapPatch::parse([
        ("port", RawParam::Int(0)),
        ("tls", RawParam::Text("maybe".into())),
        ("server_type", RawParam::Text("nis".into())),
        ("use_netgroups", RawParam::Other),
    ])
    .unwrap_err();
    let codes: Vec<(&str, &str)> = err
        .problems
        .iter()
        .map(|p| (p.field.as_str(), p.rule.code()))
        .collect();
    assert_eq!(
        codes,
        [
            ("port", "out_of_range"),
            ("tls", "not_in_list"),
            ("server_type", "not_in_list"),
            ("use_netgroups", "not_in_list"),
        ]
    );
    assert!(!format!("{:?}", RawParam::Text("hunter2".into())).contains("hunter2"));
}

#[test]
fn settings_have_foremans_defaults_and_rules() {
    let none = LdapSettings::default();
    assert_eq!((none.port(), none.server_type()), (389, "posix"));
    assert!(none.flag("usergroup_sync", true));
    let tls = none.patched(&LdapPatch {
        tls: Some(true),
        ..LdapPatch::default()
    });
    assert_eq!(tls.port(), 636);
    let fields = |s: &LdapSettings| -> Vec<String> {
        s.check()
            .map_err(|e| e.problems.into_iter().map(|p| p.field).collect())
            .err()
            .unwrap_or_default()
    };
    assert_eq!(fields(&none), ["host"]);
    let long = none.patched(&LdapPatch {
        items: vec![
            ("host", Some("h".repeat(MAX_HOST_CHARS + 1))),
            ("ldap_filter", Some("(".repeat(MAX_FILTER_CHARS + 1))),
            ("onthefly_register", Some("true".into())),
            ("attr_login", Some("uid".into())),
        ],
        ..LdapPatch::default()
    });
    assert_eq!(
        fields(&long),
        [
            "host",
            "ldap_filter",
            "attr_firstname",
            "attr_lastname",
            "attr_mail"
        ]
    );
    let with_password = none.patched(&LdapPatch {
        items: vec![("account_password", Some("pw".into()))],
        ..LdapPatch::default()
    });
    assert!(with_password.has_password);
    assert!(
        with_password.values.is_empty(),
        "a password is never a shown value"
    );
}

#[test]
fn tls_swaps_ldap_for_ldaps_and_keeps_other_protocols() {
    let r = |id: &str| EntryRef {
        id: crate::ids::EntryId::parse(id).unwrap(),
        label: id.into(),
    };
    let ids = protocols_with_tls(&[r(PROTOCOL_LDAP), r("protocol-kerberos")], true);
    let ids: Vec<&str> = ids.iter().map(crate::ids::EntryId::as_str).collect();
    assert_eq!(ids, ["protocol-kerberos", PROTOCOL_LDAPS]);
    assert_eq!(SourceKind::Ldap.type_name(), "AuthSourceLdap");
    assert_eq!(SourceKind::External.protocol_ids(), [PROTOCOL_EXTERNAL]);
}
