//! Embedding the auths rules in another service, end to end and without a database:
//! catalogs in memory, an auth built from text (every problem at once), the auth it
//! makes, serialized and read back, a Foreman search evaluated against it, a
//! permission decided, and a draft of it published by the rules of drafts.
//!
//! Run with `cargo run -p auths-domain --example embed`.

#![allow(clippy::print_stdout, reason = "an example shows its results")]

use auths_domain::chrono::{TimeZone, Utc};
use auths_domain::external::{ExternalField, ExternalRecord};
use auths_domain::scoped_search::{check, matches, parse};
use auths_domain::{
    Auth, AuthBuilder, AuthId, Caller, CatalogKind, Catalogs, Change, Channel, Draft, DraftId,
    DraftPatch, DraftValues, GroupId, Operation, Principal, PrincipalId, Role, Stamp,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Catalogs: the seeded flags and protocols, and the departments of this company.
    let mut catalogs = Catalogs::seeded();
    let finance = catalogs.add_label(CatalogKind::Departments, "Finance")?;
    catalogs.add_label(CatalogKind::Locations, "Berlin")?;

    // 2. A wrong auth: every problem at once, each with a field and a rule code.
    let Err(wrong) = AuthBuilder::new("  ")
        .protocol("ldap")
        .slug("Corp LDAP")
        .department("HR")
        .build(&mut catalogs)
    else {
        return Err("a blank name was accepted".into());
    };
    for p in &wrong.problems {
        println!("refused: {} [{}] {}", p.field, p.rule.code(), p.rule);
    }

    // 3. A right one, registered as an auth: its name and slug are now taken.
    let content = AuthBuilder::new("Corp SSO")
        .description("Single sign-on for the finance team")
        .protocol("external")
        .protocol("saml2")
        .slug("corp-sso")
        .item("idp_url", "https://idp.example.com", false)
        .item("signing_key", "-----BEGIN KEY-----", true)
        .department("Finance")
        .location("Berlin")
        .build(&mut catalogs)?;
    let (auth_id, group_id) = (AuthId::parse("a-1")?, GroupId::parse("g-1")?);
    // The crate reads no clock: the caller stamps its records.
    let now = Utc
        .timestamp_opt(1_767_225_600, 0)
        .single()
        .ok_or("a timestamp")?;
    let auth: Auth = catalogs.register(
        &Stamp {
            number: 1,
            auth_id: &auth_id,
            group_id: &group_id,
            version: 1,
            created: (now, "example"),
            updated: (now, "example"),
        },
        &content,
    )?;
    let again = AuthBuilder::new("corp sso")
        .protocol("ldap")
        .build(&mut catalogs);
    println!(
        "a second \"corp sso\": {}",
        again.map_or_else(|e| e.to_string(), |_| "accepted".into())
    );

    // 4. Serialized and read back; a secret value is never there to serialize.
    let json = serde_json::to_string_pretty(&auth)?;
    assert!(!json.contains("BEGIN KEY"));
    let back: Auth = serde_json::from_str(&json)?;
    assert_eq!(back, auth);
    println!("{json}");

    // 5. A Foreman search, evaluated against the auth.
    let number_of = |id: &auths_domain::EntryId| catalogs.entry(id).map(|e| e.number);
    let record = ExternalRecord::of(&auth, number_of);
    for q in [
        "corp",
        "location = berlin and not organization = hr",
        "name ~ x*",
    ] {
        let filter = check(&parse(q)?.ok_or("empty query")?, ExternalField::Name)?;
        println!("{q:?} matches: {}", matches(&filter, &record));
    }

    // 6. Permissions: an MCP agent of Finance may draft, not publish.
    let agent = Caller {
        principal: Principal {
            id: PrincipalId::parse("agent-1")?,
            name: "helper-bot".into(),
            role: Role::Editor,
            departments: Some(vec![auths_domain::EntryRef {
                id: finance,
                label: "Finance".into(),
            }]),
            allow_mcp_writes: false,
        },
        channel: Channel::Mcp,
        client: Some("agent".into()),
    };
    println!(
        "agent may draft: {}; may update: {}",
        agent.may(Operation::EditDraft).is_ok(),
        agent
            .may(Operation::Update)
            .map_or_else(|d| format!("no ({})", d.code()), |()| "yes".into())
    );

    // 7. A draft of the auth, edited and published by the rules of drafts.
    let mut draft = Draft {
        draft_id: DraftId::parse("d-1")?,
        owner: agent.principal.id.clone(),
        auth_id: Some(auth_id.clone()),
        base_version: Some(auth.version),
        version: 1,
        values: DraftValues::of_auth(&auth),
        created_at: now,
        updated_at: now,
    };
    draft.apply(
        1,
        DraftPatch {
            description: Change::Clear,
            ..DraftPatch::default()
        },
        now,
    )?;
    let fields = draft.publish_update(&auth_id, auth.version, None)?;
    println!(
        "publishing clears the description: {:?}",
        fields.description
    );
    let stale = draft.publish_update(&auth_id, auth.version + 1, None);
    println!(
        "after someone else's change: {}",
        stale.map_or_else(|e| e.to_string(), |_| "published".into())
    );
    Ok(())
}
