//! The MCP front door, proven with the official MCP Python SDK (`mcp` on PyPI): it
//! connects to the running server's `/mcp` as any agent would (probing, then the
//! `initialize` handshake), lists the tools, searches, is refused a create with a key
//! that does not allow MCP writes and allowed one with a key that does, and the audit
//! record names the client it introduced itself as.
//!
//! Needs `python3` with `venv` and access to PyPI; the virtual environment is kept in
//! cargo's target folder and reused. Without python3 the test says SKIPPED and passes,
//! unless `AUTHS_REQUIRE_MCP` is set (as `.ci/run` does), which makes it fail.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

mod support;

use std::process::Command;

use serde_json::{Value, json};

const KEY: &str = "mcp-test-admin-key-7f3c1e9a2b4d6f80";

const SCRIPT: &str = r#"
import asyncio, json, os, sys
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import Implementation

async def session(key, name, work):
    http = httpx2.AsyncClient(headers={"X-Api-Key": key}, timeout=30)
    transport = streamable_http_client(os.environ["URL"] + "/mcp", http_client=http)
    async with Client(transport, client_info=Implementation(name=name, version="1.0")) as c:
        return await work(c)

def result(r):
    return {"is_error": r.is_error, "structured": r.structured_content,
            "text": r.content[0].text if r.content else None}

async def main():
    out = {}
    async def as_admin(c):
        tools = await c.list_tools()
        out["tools"] = {t.name: {"description": t.description, "input_schema": t.input_schema}
                        for t in tools.tools}
        out["search"] = result(await c.call_tool("auths_search", {"search": "Corp"}))
        out["refused"] = result(await c.call_tool("auths_create", {"auths": [
            {"name": "Agent refused", "protocol_ids": ["protocol-external"]}]}))
    await session(os.environ["KEY"], "careful-agent", as_admin)
    async def as_trusted(c):
        out["allowed"] = result(await c.call_tool("auths_create", {"auths": [
            {"name": "Agent made", "protocol_ids": ["protocol-external"]}]}))
    await session(os.environ["TRUSTED"], "Trusted Agent", as_trusted)
    print(json.dumps(out))

asyncio.run(main())
"#;

/// One HTTP call to the server, answering the JSON body.
fn call(server: &support::Server, method: &str, path: &str, body: &str) -> serde_json::Value {
    support::ok_json(server, KEY, method, path, body)
}

#[test]
fn the_python_sdk_works_through_the_mcp_door() {
    let Some(venv) = support::python_venv(
        "mcp",
        &["mcp>=2.3,<3"],
        "import httpx2, mcp_types; from mcp import Client",
        "AUTHS_REQUIRE_MCP",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = support::authsd(dir.path());
    cmd.env("AUTHS_BOOTSTRAP_API_KEY", KEY);
    let server = support::start_with(cmd);

    call(
        &server,
        "POST",
        "/api/v5/artifacts/auths/create",
        r#"{"auths": [{"name": "Corp SSO", "protocol_ids": ["protocol-oidc"]}, {"name": "Other", "protocol_ids": ["protocol-ldap"]}]}"#,
    );
    let trusted = call(
        &server,
        "POST",
        "/api/v5/keys",
        r#"{"name": "trusted-agent", "role": "editor", "allow_mcp_writes": true}"#,
    );
    let trusted = trusted["key"].as_str().unwrap();

    let out = Command::new(venv.join("bin/python"))
        .args(["-c", SCRIPT])
        .env("URL", format!("http://{}", server.addr))
        .env("KEY", KEY)
        .env("TRUSTED", trusted)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the MCP client failed:\n{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_str(stdout.trim()).unwrap();

    // Every v5 operation is a tool, with the OpenAPI request schema as its input.
    let tools = r["tools"].as_object().unwrap();
    for name in [
        "auths_get",
        "auths_search",
        "auths_create",
        "auths_update",
        "auths_draft",
        "auths_history",
        "catalog_list",
        "audit_list",
    ] {
        assert!(tools.contains_key(name), "{name} in {:?}", tools.keys());
    }
    let search_schema = &tools["auths_search"]["input_schema"];
    assert_eq!(search_schema["type"], "object");
    assert!(
        search_schema["properties"]["search"].is_object(),
        "{search_schema}"
    );

    // A search, answered as the API answers it.
    let search = &r["search"];
    assert_eq!(search["is_error"], false, "{search}");
    let names: Vec<&str> = search["structured"]["auths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"]["label"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Corp SSO"], "{search}");
    // Through MCP, an admin key without MCP writes may not publish: the form says so.
    assert_eq!(
        search["structured"]["auths"][0]["can_edit"], false,
        "{search}"
    );

    // Publishing through MCP needs a key that allows MCP writes: a tool error carrying
    // the API's error object, not a transport failure.
    let refused = &r["refused"];
    assert_eq!(refused["is_error"], true, "{refused}");
    assert_eq!(
        refused["structured"]["error"]["code"], "forbidden",
        "{refused}"
    );
    assert!(
        refused["text"].as_str().unwrap().contains("MCP writes"),
        "{refused}"
    );
    let allowed = &r["allowed"];
    assert_eq!(allowed["is_error"], false, "{allowed}");
    let created = &allowed["structured"]["results"][0];
    assert_eq!(created["success"], true, "{allowed}");
    let auth_id = created["auth_id"].as_str().unwrap();

    // The audit record: channel mcp, the key's name, the client's own name.
    let log = call(
        &server,
        "GET",
        &format!("/api/v5/audit?auth_id={auth_id}"),
        "",
    );
    let e = &log["entries"][0];
    assert_eq!(
        (
            &e["channel"],
            &e["client"],
            &e["actor_name"],
            &e["operation"]
        ),
        (
            &json!("mcp"),
            &json!("Trusted Agent"),
            &json!("trusted-agent"),
            &json!("auth.create")
        ),
        "{log}"
    );
    // Nothing was made by the refused call.
    let all = call(&server, "POST", "/api/v5/artifacts/auths/search", "{}");
    assert_eq!(all["total_count"], 3, "{all}");
}
