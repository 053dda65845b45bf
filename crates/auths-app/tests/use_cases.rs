//! The use cases over the in-memory store: business rules without a database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

use auths_app::{AppError, AuthService, Settings};
use auths_domain::{
    AuthFields, AuthName, Caller, CatalogKind, CatalogRepository, Channel, Description,
    DescriptionChoice, EntryId, EntryRef, NameChoice, NewCatalogEntry, PageRequest, Principal,
    PrincipalId, Role, Store,
};
use auths_memory::MemoryStore;

fn service() -> AuthService<MemoryStore> {
    AuthService::new(MemoryStore::new(), Settings::default())
}

fn caller(role: Role, departments: Option<Vec<EntryRef>>, channel: Channel) -> Caller {
    Caller {
        principal: Principal {
            id: PrincipalId::parse("p1").unwrap(),
            name: "alice".into(),
            role,
            departments,
            allow_mcp_writes: false,
        },
        channel,
        client: None,
    }
}

fn editor() -> Caller {
    caller(Role::Editor, None, Channel::Api)
}

fn id(s: &str) -> EntryId {
    EntryId::parse(s).unwrap()
}

fn fields(name: &str) -> AuthFields {
    AuthFields {
        name: Some(NameChoice::Text(AuthName::parse(name).unwrap())),
        protocol_ids: Some(vec![id("protocol-ldap")]),
        ..AuthFields::default()
    }
}

fn add(svc: &AuthService<MemoryStore>, kind: CatalogKind, eid: &str, label: &str) -> EntryRef {
    let e = NewCatalogEntry {
        id: id(eid),
        kind,
        label: label.into(),
        item: None,
    };
    svc.store()
        .write(|tx| tx.insert_entry(&e, auths_app::now()))
        .unwrap()
        .to_ref()
}

/// The sentence a failed create answers with.
fn err_text(svc: &AuthService<MemoryStore>, f: &AuthFields) -> String {
    svc.create_one(&editor(), f)
        .map_or_else(|e| e.to_string(), |_| String::new())
}

fn name_count(svc: &AuthService<MemoryStore>) -> u64 {
    svc.store()
        .read(|tx| {
            tx.list_entries(
                CatalogKind::Names,
                None,
                None,
                PageRequest {
                    limit: 10,
                    offset: 0,
                },
            )
        })
        .unwrap()
        .total
}

#[test]
fn create_then_get_round_trips() {
    let svc = service();
    let fin = add(&svc, CatalogKind::Departments, "d-fin", "Finance");
    let mut f = fields("Corp LDAP");
    f.description = Some(Some(DescriptionChoice::Text(
        Description::parse("Directory").unwrap().unwrap(),
    )));
    f.department_ids = Some(vec![fin.id.clone()]);
    let out = svc.create_one(&editor(), &f).unwrap();
    assert_eq!(out.version, 1);

    let view = svc.get_one(&editor(), &out.auth_id).unwrap();
    assert_eq!(view.auth.name.label, "Corp LDAP");
    assert_eq!(view.auth.description.as_ref().unwrap().label, "Directory");
    assert_eq!(view.auth.flag.id.as_str(), "flag-active");
    assert_eq!(view.auth.departments, vec![fin]);
    assert_eq!(view.auth.created_by, "alice");
    assert_eq!(view.auth.number, out.number);
    assert!(view.can_edit);
    assert_eq!(view.disabled_reason, None);

    let viewer = caller(Role::Viewer, None, Channel::Api);
    let seen = svc.get_one(&viewer, &out.auth_id).unwrap();
    assert!(!seen.can_edit);
    assert!(
        seen.disabled_reason
            .unwrap()
            .to_string()
            .contains("auths.edit")
    );
}

#[test]
fn names_are_unique_case_insensitively_and_reused_from_the_catalog() {
    let svc = service();
    svc.create_one(&editor(), &fields("Corp LDAP")).unwrap();
    let err = svc
        .create_one(&editor(), &fields("  corp ldap "))
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict { .. }), "{err:?}");
    assert_eq!(name_count(&svc), 1);

    // A catalog name no auth uses yet is reused, not duplicated.
    add(&svc, CatalogKind::Names, "n-free", "Free Name");
    let out = svc.create_one(&editor(), &fields("free name")).unwrap();
    let view = svc.get_one(&editor(), &out.auth_id).unwrap();
    assert_eq!(view.auth.name.id.as_str(), "n-free");
    assert_eq!(name_count(&svc), 2);
}

#[test]
fn missing_and_unknown_values_are_reported_by_field() {
    let svc = service();
    let err = svc
        .create_one(&editor(), &AuthFields::default())
        .unwrap_err();
    let AppError::Invalid(problems) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        problems
            .iter()
            .map(|p| p.field.as_str())
            .collect::<Vec<_>>(),
        ["name", "protocol_ids"]
    );

    let mut f = fields("X");
    f.protocol_ids = Some(vec![id("protocol-ldap"), id("flag-active")]);
    f.flag_id = Some(id("protocol-ldap"));
    f.department_ids = Some(vec![id("nope")]);
    let AppError::Invalid(problems) = svc.create_one(&editor(), &f).unwrap_err() else {
        panic!()
    };
    let fields_named: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields_named, ["flag_id", "protocol_ids", "department_ids"]);
    // Nothing of the failed create stays: the name created on the way is rolled back.
    assert_eq!(name_count(&svc), 0);
}

#[test]
fn slugs_belong_to_one_auth() {
    let svc = service();
    let slug = add(&svc, CatalogKind::Slugs, "s1", "corp-ldap");
    let mut f = fields("One");
    f.slug_ids = Some(vec![slug.id.clone()]);
    svc.create_one(&editor(), &f).unwrap();
    let mut g = fields("Two");
    g.slug_ids = Some(vec![slug.id]);
    let err = svc.create_one(&editor(), &g).unwrap_err();
    let AppError::Conflict(auths_app::Conflict::SlugTaken { slug }) = err else {
        panic!("{err:?}")
    };
    assert_eq!(slug.as_str(), "s1");
    assert!(err_text(&svc, &g).contains("s1"));
}

#[test]
fn roles_channels_and_scope_limit_creates() {
    let svc = service();
    let viewer = caller(Role::Viewer, None, Channel::Api);
    assert!(matches!(
        svc.create_one(&viewer, &fields("A")),
        Err(AppError::Forbidden(_))
    ));
    let agent = caller(Role::Editor, None, Channel::Mcp);
    assert!(matches!(
        svc.create_one(&agent, &fields("A")),
        Err(AppError::Forbidden(_))
    ));

    let fin = add(&svc, CatalogKind::Departments, "d-fin", "Finance");
    let hr = add(&svc, CatalogKind::Departments, "d-hr", "HR");
    let scoped = caller(Role::Editor, Some(vec![fin.clone()]), Channel::Api);
    let mut f = fields("B");
    f.department_ids = Some(vec![hr.id.clone()]);
    // A department outside the scope answers as one that does not exist.
    let Err(AppError::Invalid(problems)) = svc.create_one(&scoped, &f) else {
        panic!()
    };
    assert_eq!(problems[0].field, "department_ids");
    assert!(matches!(
        problems[0].rule,
        auths_domain::Rule::UnknownEntry { .. }
    ));
    f.department_ids = Some(vec![fin.id.clone()]);
    assert!(svc.create_one(&scoped, &f).is_ok());
    assert_eq!(
        name_count(&svc),
        1,
        "the refused create left no name behind"
    );
}

#[test]
fn out_of_scope_auths_are_not_found_exactly_like_missing_ones() {
    let svc = service();
    let fin = add(&svc, CatalogKind::Departments, "d-fin", "Finance");
    let hr = add(&svc, CatalogKind::Departments, "d-hr", "HR");
    let mut f = fields("HR LDAP");
    f.department_ids = Some(vec![hr.id]);
    let out = svc.create_one(&editor(), &f).unwrap();

    let scoped = caller(Role::Viewer, Some(vec![fin]), Channel::Api);
    let hidden = svc.get_one(&scoped, &out.auth_id).unwrap_err();
    let missing_id = auths_domain::AuthId::parse("does-not-exist").unwrap();
    let missing = svc.get_one(&scoped, &missing_id).unwrap_err();
    let (AppError::NotFound(a), AppError::NotFound(b)) = (&hidden, &missing) else {
        panic!("{hidden:?} {missing:?}")
    };
    assert_eq!(
        a.to_string().replace(out.auth_id.as_str(), "ID"),
        b.to_string().replace(missing_id.as_str(), "ID")
    );
}

#[test]
fn ready_reflects_the_store() {
    assert_eq!(service().ready(), Ok(()));
}

#[test]
fn creates_are_audited_in_their_own_transaction() {
    let svc = service();
    let page = PageRequest {
        limit: 50,
        offset: 0,
    };
    let out = svc.create_one(&editor(), &fields("Audited")).unwrap();
    assert!(svc.create_one(&editor(), &fields("audited")).is_err());
    let agent = Caller {
        channel: Channel::Mcp,
        client: Some("agent".into()),
        ..caller(Role::Editor, None, Channel::Mcp)
    };
    assert!(svc.create_one(&agent, &fields("Refused")).is_err());

    let log = svc.list_audit(&editor(), None, page).unwrap();
    assert_eq!(
        log.total, 1,
        "only the successful create is recorded: {log:?}"
    );
    let r = &log.rows[0];
    assert_eq!(
        (r.operation.as_str(), r.actor_name.as_str(), r.channel),
        ("auth.create", "alice", Channel::Api)
    );
    assert_eq!(r.auth_id.as_ref(), Some(&out.auth_id));
    assert!(r.before.is_none());
    assert!(r.after.as_deref().unwrap().contains("\"Audited\""));

    let viewer = caller(Role::Viewer, None, Channel::Api);
    assert!(matches!(
        svc.list_audit(&viewer, None, page),
        Err(AppError::Forbidden(_))
    ));
}

#[test]
fn key_use_is_batched_and_revocation_beats_the_cache() {
    use auths_app::{Credential, KeySpec};
    let svc = service();
    let issued = svc
        .create_key(&KeySpec {
            name: "ci".into(),
            role: Role::Editor,
            department_ids: vec![],
            allow_mcp_writes: false,
            expires_at: None,
        })
        .unwrap();
    let cred = Credential {
        key: issued.key.clone(),
        name: None,
    };
    assert_eq!(svc.authenticate(&cred).unwrap().name, "ci");
    // The use is not written per request...
    assert_eq!(svc.list_keys().unwrap()[0].last_used_at, None);
    // ...but in a batch.
    assert_eq!(svc.flush_key_use().unwrap(), 1);
    assert!(svc.list_keys().unwrap()[0].last_used_at.is_some());
    assert_eq!(svc.flush_key_use().unwrap(), 0, "nothing pending");

    // The key is cached now; revoking still takes effect at once.
    assert!(svc.authenticate(&cred).is_ok());
    svc.revoke_key("ci").unwrap();
    assert_eq!(svc.authenticate(&cred), Err(AppError::Unauthenticated));
    // Basic NAME:KEY needs the key's own name.
    let other = svc
        .create_key(&KeySpec {
            name: "bot".into(),
            role: Role::Viewer,
            department_ids: vec![],
            allow_mcp_writes: false,
            expires_at: None,
        })
        .unwrap();
    let named = |name: &str| Credential {
        key: other.key.clone(),
        name: Some(name.into()),
    };
    assert!(svc.authenticate(&named("bot")).is_ok());
    assert_eq!(
        svc.authenticate(&named("ci")),
        Err(AppError::Unauthenticated)
    );
    // A bootstrap key from the environment must be long enough, and not predictable:
    // one letter repeated, a short pattern, a sequence, a keyboard walk, a common word
    // with digits is no secret. It is checked when it would be used (no key yet).
    let fresh = service();
    assert!(matches!(
        fresh.bootstrap(Some("short")),
        Err(AppError::Invalid(p)) if p[0].rule.code() == "bootstrap_key_too_short"
    ));
    for weak in [
        "a".repeat(24),
        "ab12".repeat(8),
        "abcdefghijklmnopqrstuvwx".to_owned(),
        "qwertyuiopasdfghjklzxcvb".to_owned(),
        "1qaz2wsx3edc4rfv5tgb6yhn".to_owned(),
        "Password1234567890123456".to_owned(),
    ] {
        match fresh.bootstrap(Some(&weak)) {
            Err(AppError::Invalid(problems)) => {
                assert_eq!(problems[0].rule.code(), "bootstrap_key_weak", "{weak}");
            }
            other => panic!("{weak}: {other:?}"),
        }
    }
    // Random ones pass, as short as 24 hex digits (96 bits).
    for strong in ["738d63b2c258dfbba9375013", "Zq8vN2kLmR4tW9xYpB3sH6jD"] {
        assert!(
            auths_app::keys::strength_bits(strong)
                >= f64::from(auths_app::keys::MIN_BOOTSTRAP_KEY_BITS),
            "{strong}"
        );
    }
    // With keys already there, a configured value is not read at all.
    assert!(matches!(svc.bootstrap(Some("short")), Ok(None)));
    assert_eq!(
        svc.bootstrap(Some("a-long-enough-bootstrap-key-value"))
            .unwrap()
            .map(|k| k.principal.role),
        None,
        "keys exist already"
    );
}

#[test]
fn revoking_every_key_does_not_mint_a_new_admin() {
    let svc = service();
    let first = svc
        .bootstrap(None)
        .unwrap()
        .expect("a new database gets a key");
    svc.revoke_key(&first.principal.name).unwrap();
    assert!(
        svc.bootstrap(None).unwrap().is_none(),
        "a key existed: no new admin key"
    );
    assert!(
        svc.bootstrap(Some("a-long-enough-bootstrap-key-value"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_key_names_each_department_once() {
    let svc = service();
    let fin = add(&svc, CatalogKind::Departments, "d-fin", "Finance");
    let spec = auths_app::KeySpec {
        name: "twice".into(),
        role: Role::Editor,
        department_ids: vec![fin.id.clone(), fin.id.clone()],
        allow_mcp_writes: false,
        expires_at: None,
    };
    let Err(AppError::Invalid(problems)) = svc.create_key(&spec) else {
        panic!("a repeated department must be refused")
    };
    assert_eq!(
        problems[0].rule,
        auths_domain::Rule::Repeated { id: fin.id }
    );
}

#[test]
fn a_key_keeps_a_bounded_number_of_drafts_listed_a_page_at_a_time() {
    use auths_app::{Conflict, DraftEdit};
    use auths_domain::DraftPatch;
    use auths_domain::draft::MAX_DRAFTS_PER_PRINCIPAL;
    let svc = service();
    let me = editor();
    let new_draft = || DraftEdit {
        draft_id: None,
        auth_id: None,
        expected_version: 0,
        from_version: None,
        patch: DraftPatch::default(),
    };
    let mut first = None;
    for _ in 0..MAX_DRAFTS_PER_PRINCIPAL {
        let view = svc.edit_draft(&me, new_draft()).unwrap();
        first.get_or_insert(view.draft.draft_id);
    }
    let refused = svc.edit_draft(&me, new_draft()).unwrap_err();
    assert!(
        matches!(
            refused,
            AppError::Conflict(Conflict::DraftLimit { limit: 500 })
        ),
        "{refused:?}"
    );
    // Editing one kept is allowed.
    let edit = DraftEdit {
        draft_id: first.map(|d| d.to_string()),
        expected_version: 1,
        from_version: None,
        patch: DraftPatch {
            name: auths_domain::draft::Change::Set("Kept".into()),
            ..DraftPatch::default()
        },
        ..new_draft()
    };
    assert_eq!(svc.edit_draft(&me, edit).unwrap().draft.version, 2);
    let page = svc
        .drafts(
            &me,
            PageRequest {
                limit: 30,
                offset: 480,
            },
        )
        .unwrap();
    assert_eq!((page.rows.len(), page.total), (20, 500));
}
