//! Embedding the auths rules without the server: validate input, decide permissions,
//! and run a use-case-like sequence on the in-memory store.
//!
//! Run with `cargo run -p auths-domain --example validate --features memory`.

#![allow(clippy::print_stdout, reason = "an example shows its results")]

use auths_domain::catalog::{FLAG_ACTIVE, PROTOCOL_EXTERNAL};
use auths_domain::memory::MemoryStore;
use auths_domain::prelude::*;
use auths_domain::{
    AuthContent, AuthId, AuthName, Caller, CatalogKind, Channel, EntryId, GroupId, NewAuth,
    NewCatalogEntry, Operation, Principal, PrincipalId, RepoError, Role, Slug,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Values are checked where they enter.
    let name = AuthName::parse("  Corp SSO ")?;
    println!("name: {name:?}");
    for raw in ["corp-sso", "Corp SSO"] {
        match Slug::parse(raw) {
            Ok(s) => println!("slug ok: {s}"),
            Err(e) => println!("slug rejected: {e}"),
        }
    }

    // 2. Permission rules are pure functions of the caller.
    let finance = auths_domain::EntryRef {
        id: EntryId::parse("dep-finance")?,
        label: "Finance".into(),
    };
    let agent = Caller {
        principal: Principal {
            id: PrincipalId::parse("agent-1")?,
            name: "helper-bot".into(),
            role: Role::Editor,
            departments: Some(vec![finance.clone()]),
            allow_mcp_writes: false,
        },
        channel: Channel::Mcp,
    };
    println!(
        "agent may edit drafts: {}",
        agent.may(Operation::EditDraft).is_ok()
    );
    if let Err(denied) = agent.may(Operation::Create) {
        println!("agent may not create: {denied}");
    }

    // 3. The in-memory store implements the same ports as the SQL store.
    let store = MemoryStore::new();
    let content = store.write(|tx| {
        let name_entry = NewCatalogEntry {
            id: EntryId::parse("name-1")?,
            kind: CatalogKind::Names,
            label: name.as_str().to_owned(),
            item: None,
        };
        let name_id = tx.insert_entry(&name_entry, chrono::Utc::now())?.id;
        let content = AuthContent {
            name_id,
            description_id: None,
            flag_id: EntryId::parse(FLAG_ACTIVE)?,
            protocol_ids: vec![EntryId::parse(PROTOCOL_EXTERNAL)?],
            slug_ids: vec![],
            item_ids: vec![],
            department_ids: vec![],
            location_ids: vec![],
        };
        content.check()?;
        tx.insert_auth(&NewAuth {
            auth_id: AuthId::parse("auth-1")?,
            group_id: GroupId::parse("group-1")?,
            content: content.clone(),
            at: chrono::Utc::now(),
            by: "example".into(),
        })?;
        Ok::<_, Box<dyn std::error::Error>>(content)
    })?;
    let auth = store
        .read(|tx| {
            tx.auth_by_id(&AuthId::parse("auth-1")?)
                .map_err(Box::<dyn std::error::Error>::from)
        })?
        .ok_or("the auth just written is missing")?;
    println!(
        "stored {} (version {}) with protocols {:?}",
        auth.name.label, auth.version, auth.protocols
    );
    println!(
        "the agent can see it: {}",
        agent.can_see(&auth.department_ids())
    );
    assert_eq!(auth.content(), content);

    // A second auth with the same name is refused by the store, as by the database.
    let again = store.write(|tx| {
        tx.insert_auth(&NewAuth {
            auth_id: AuthId::parse("auth-2")?,
            group_id: GroupId::parse("group-2")?,
            content: content.clone(),
            at: chrono::Utc::now(),
            by: "example".into(),
        })
        .map_err(|e: RepoError| Box::<dyn std::error::Error>::from(e))
    });
    println!(
        "same name again: {}",
        again.err().map(|e| e.to_string()).unwrap_or_default()
    );
    Ok(())
}
