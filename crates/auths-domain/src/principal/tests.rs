//! The permission rules, one decision at a time.

use super::*;

fn r(id: &str, label: &str) -> EntryRef {
    EntryRef {
        id: EntryId::parse(id).unwrap(),
        label: label.to_owned(),
    }
}

fn caller(role: Role, departments: Option<Vec<EntryRef>>, channel: Channel, mcp: bool) -> Caller {
    Caller {
        principal: Principal {
            id: PrincipalId::parse("p").unwrap(),
            name: "alice".into(),
            role,
            departments,
            allow_mcp_writes: mcp,
        },
        channel,
        client: None,
    }
}

fn active() -> EntryRef {
    r("flag-active", "active")
}

#[test]
fn roles_are_ordered_and_parse() {
    assert!(Role::Viewer < Role::Editor && Role::Editor < Role::Admin);
    assert_eq!("editor".parse::<Role>(), Ok(Role::Editor));
    assert!("root".parse::<Role>().is_err());
}

#[test]
fn operations_need_their_role() {
    let viewer = caller(Role::Viewer, None, Channel::Api, false);
    assert!(viewer.may(Operation::Search).is_ok());
    let err = viewer.may(Operation::Create).unwrap_err();
    assert_eq!(
        err,
        Denial::Role {
            operation: Operation::Create,
            need: Role::Editor,
            have: Role::Viewer
        }
    );
    assert!(err.to_string().contains("auths.create"), "{err}");
    assert!(err.to_string().contains("editor"), "{err}");
    let editor = caller(Role::Editor, None, Channel::Api, false);
    assert!(editor.may(Operation::Export).is_ok());
    assert!(editor.may(Operation::Refresh).is_err());
    assert!(editor.may(Operation::CatalogDelete).is_err());
    let admin = caller(Role::Admin, None, Channel::Api, false);
    assert!(admin.may(Operation::ManageKeys).is_ok());
}

#[test]
fn mcp_callers_edit_drafts_but_need_the_key_setting_to_publish() {
    let agent = caller(Role::Editor, None, Channel::Mcp, false);
    assert!(agent.may(Operation::EditDraft).is_ok());
    assert!(agent.may(Operation::Get).is_ok());
    for op in [
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::Duplicate,
        Operation::Export,
    ] {
        assert!(agent.may(op).is_err(), "{op:?}");
    }
    let trusted = caller(Role::Editor, None, Channel::Mcp, true);
    assert!(trusted.may(Operation::Create).is_ok());
    let admin_agent = caller(Role::Admin, None, Channel::Mcp, false);
    assert!(admin_agent.may(Operation::Refresh).is_err());
}

#[test]
fn scope_limits_what_is_seen() {
    let fin = r("d-fin", "Finance");
    let hr = r("d-hr", "HR");
    let scoped = caller(Role::Editor, Some(vec![fin.clone()]), Channel::Api, false);
    assert!(scoped.can_see(&[fin.id.clone(), hr.id.clone()]));
    assert!(!scoped.can_see(std::slice::from_ref(&hr.id)));
    assert!(!scoped.can_see(&[]));
    let global = caller(Role::Viewer, None, Channel::Api, false);
    assert!(global.can_see(&[]));
    // Admins are global whatever their key says.
    let admin = caller(Role::Admin, Some(vec![fin.clone()]), Channel::Api, false);
    assert!(admin.can_see(&[hr.id]));
    assert_eq!(admin.scope(), None);
}

#[test]
fn edit_denial_says_why() {
    let fin = r("d-fin", "Finance");
    let hr = r("d-hr", "HR");
    let scoped = caller(Role::Editor, Some(vec![fin.clone()]), Channel::Api, false);
    assert_eq!(
        scoped.edit_denial(&active(), std::slice::from_ref(&fin)),
        None
    );
    let outside = scoped.edit_denial(&active(), std::slice::from_ref(&hr));
    assert_eq!(
        outside,
        Some(Denial::OutsideDepartment {
            operation: Operation::Update
        })
    );
    assert!(
        !outside.unwrap().to_string().contains("HR"),
        "no other department is named"
    );
    assert!(scoped.edit_denial(&active(), &[]).is_some());
    assert_eq!(
        scoped.edit_denial(
            &r(FLAG_DEPRECATED, "deprecated"),
            std::slice::from_ref(&fin)
        ),
        Some(Denial::Deprecated)
    );
    let viewer = caller(Role::Viewer, None, Channel::Api, false);
    assert!(matches!(
        viewer.edit_denial(&active(), &[]),
        Some(Denial::Role {
            operation: Operation::Update,
            need: Role::Editor,
            have: Role::Viewer
        })
    ));
    assert!(
        viewer
            .edit_denial(&active(), &[])
            .unwrap()
            .to_string()
            .contains("auths.edit")
    );
}

#[test]
fn deprecated_auths_change_only_their_flag() {
    let editor = caller(Role::Editor, None, Channel::Api, false);
    let deprecated = r(FLAG_DEPRECATED, "deprecated");
    let active_id = EntryId::parse("flag-active").unwrap();
    assert!(editor.change_denial(&deprecated, &[], None).is_some());
    assert!(
        editor
            .change_denial(&deprecated, &[], Some(&deprecated.id))
            .is_some()
    );
    assert_eq!(
        editor.change_denial(&deprecated, &[], Some(&active_id)),
        None
    );
    let fin = r("d-fin", "Finance");
    let scoped = caller(Role::Editor, Some(vec![fin]), Channel::Api, false);
    assert!(
        scoped
            .change_denial(&deprecated, &[], Some(&active_id))
            .is_some(),
        "scope still applies"
    );
    assert!(scoped.scope_denial(&[]).is_some());
    assert_eq!(editor.scope_denial(&[]), None);
}

#[test]
fn shared_auths_change_only_in_the_callers_departments() {
    let fin = r("d-fin", "Finance");
    let hr = r("d-hr", "HR");
    let it = r("d-it", "IT");
    let scoped = caller(
        Role::Editor,
        Some(vec![fin.clone(), it.clone()]),
        Channel::Api,
        false,
    );
    let shared = [fin.clone(), hr.clone()];
    assert!(
        scoped.may_change_departments(&shared, &shared).is_ok(),
        "keeping HR is fine"
    );
    assert!(
        scoped
            .may_change_departments(&shared, &[fin.clone(), hr.clone(), it.clone()])
            .is_ok()
    );
    let err = scoped
        .may_change_departments(&shared, std::slice::from_ref(&fin))
        .unwrap_err();
    assert_eq!(
        err,
        Denial::OutsideDepartment {
            operation: Operation::Update
        },
        "removing HR is not theirs to do"
    );
    assert!(!err.to_string().contains("HR"), "{err}");
    assert!(
        scoped
            .may_change_departments(&shared, std::slice::from_ref(&hr))
            .is_err(),
        "must keep one of theirs"
    );
    assert_eq!(scoped.delete_denial(&shared), Some(Denial::SharedWith));
    assert_eq!(scoped.delete_denial(&[fin.clone(), it.clone()]), None);
    let global = caller(Role::Editor, None, Channel::Api, false);
    assert!(global.may_change_departments(&shared, &[]).is_ok());
    assert_eq!(global.delete_denial(&shared), None);
}

#[test]
fn scoped_callers_assign_only_their_departments() {
    let fin = r("d-fin", "Finance");
    let hr = r("d-hr", "HR");
    let scoped = caller(Role::Editor, Some(vec![fin.clone()]), Channel::Api, false);
    assert!(scoped.may_assign(std::slice::from_ref(&fin)).is_ok());
    assert_eq!(
        scoped.may_assign(&[fin.clone(), hr.clone()]),
        Err(Denial::OutsideDepartment {
            operation: Operation::Update
        })
    );
    assert!(scoped.may_assign(&[]).is_err());
    let global = caller(Role::Editor, None, Channel::Api, false);
    assert!(global.may_assign(&[]).is_ok());
}

#[test]
fn client_names_are_kept_plain_and_bounded() {
    use super::{MAX_CLIENT_CHARS, client_name};
    assert_eq!(client_name("  Claude Desktop  "), "Claude Desktop");
    assert_eq!(client_name("line1\nline2\t x"), "line1 line2 x");
    // Bidirectional overrides and invisible characters cannot disguise a name.
    assert_eq!(client_name("evil\u{202E}edolC"), "evil edolC");
    assert_eq!(client_name("a\u{200B}b\u{FEFF}"), "a b");
    assert_eq!(client_name("agent-ü 日本"), "agent-ü 日本");
    assert_eq!(client_name(""), "");
    assert_eq!(
        client_name(&"x".repeat(500)).chars().count(),
        MAX_CLIENT_CHARS
    );
}
