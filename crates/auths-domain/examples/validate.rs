//! Embedding the auths rules without the server: validate input, decide permissions,
//! and evaluate a Foreman search against a record, all without a database.
//!
//! Run with `cargo run -p auths-domain --example validate`.

#![allow(clippy::print_stdout, reason = "an example shows its results")]

use auths_domain::external::{ExternalField, ExternalRecord, Taxon};
use auths_domain::scoped_search::{check, matches, parse};
use auths_domain::{
    AuthName, Caller, Channel, EntryId, Operation, Principal, PrincipalId, Role, Slug,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Values are checked where they enter; a refusal names its rule.
    let name = AuthName::parse("  Corp SSO ")?;
    println!("name: {name:?}");
    for raw in ["corp-sso", "Corp SSO"] {
        match Slug::parse(raw) {
            Ok(s) => println!("slug ok: {s}"),
            Err(e) => println!("slug rejected: {e} (rule {})", e.problems[0].rule.code()),
        }
    }

    // 2. Permission rules are pure functions of the caller; a refusal is a type.
    let finance = auths_domain::EntryRef {
        id: EntryId::parse("dep-finance")?,
        label: "Finance".into(),
    };
    let agent = Caller {
        principal: Principal {
            id: PrincipalId::parse("agent-1")?,
            name: "helper-bot".into(),
            role: Role::Editor,
            departments: Some(vec![finance]),
            allow_mcp_writes: false,
        },
        channel: Channel::Mcp,
    };
    println!(
        "agent may edit drafts: {}",
        agent.may(Operation::EditDraft).is_ok()
    );
    if let Err(denied) = agent.may(Operation::Create) {
        println!("agent may not create: {denied} ({})", denied.code());
    }

    // 3. A Foreman search, checked and evaluated against a record.
    let record = ExternalRecord {
        number: 3,
        name: name.as_str().to_owned(),
        locations: vec![],
        organizations: vec![Taxon {
            number: 13,
            label: "Finance".into(),
        }],
    };
    for q in ["corp", "organization = finance and id > 2", "name ~ x*"] {
        let filter = check(&parse(q)?.ok_or("empty query")?, ExternalField::Name)?;
        println!("{q:?} matches: {}", matches(&filter, &record));
    }
    Ok(())
}
