//! `POST /mcp`, the MCP front door, through actix's test server over the real store:
//! the transport's edges (credentials, sessions, methods, origins, malformed
//! messages), the tools made from the registry, the policy and the audit's `client`.
//! (The official Python SDK drives it in `crates/authsd/tests/mcp.rs`.)

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, read_body};
use auths_domain::Role;
use auths_store::testing::TestDb;
use serde_json::{Value, json};

use crate::support::{key, send, service};

fn rpc(key: &str, session: Option<&str>, message: Value) -> TestRequest {
    let mut req = TestRequest::post()
        .uri("/mcp")
        .insert_header(("X-Api-Key", key.to_owned()))
        .insert_header(("Accept", "application/json, text/event-stream"))
        .set_json(message);
    if let Some(s) = session {
        req = req.insert_header(("Mcp-Session-Id", s.to_owned()));
    }
    req
}

/// Initializes as `client`: the session id and the result.
async fn initialize<S, B>(app: &S, key: &str, client: &str) -> (String, Value)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let req = rpc(
        key,
        None,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": client, "version": "1.0"}}}),
    );
    let res = call_service(app, req.to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let session = res
        .headers()
        .get("mcp-session-id")
        .expect("a session id")
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = serde_json::from_slice(&read_body(res).await).unwrap();
    (session, body)
}

fn call(id: u64, tool: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": tool, "arguments": arguments}})
}

async fn the_handshake_lists_tools_made_from_the_registry(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let (session, init) = initialize(&app, &keys.admin, "test-agent").await;
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18", "{init}");
    assert_eq!(init["result"]["serverInfo"]["name"], "auths");
    assert!(
        init["result"]["capabilities"]["tools"].is_object(),
        "{init}"
    );
    // An unknown version is answered with the newest this server speaks.
    let (s, b) = send(
        &app,
        rpc(&keys.admin, None, json!({"jsonrpc": "2.0", "id": 2, "method": "initialize", "params": {
            "protocolVersion": "1999-01-01", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}})),
    )
    .await;
    assert_eq!(
        (s, b["result"]["protocolVersion"].as_str()),
        (StatusCode::OK, Some("2025-11-25"))
    );

    let (s, list) = send(
        &app,
        rpc(
            &keys.admin,
            Some(&session),
            json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let tools = list["result"]["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    // One tool an endpoint of the registry, named from its path.
    assert_eq!(
        names.len(),
        auths_http::v5_endpoints::<auths_store::Db>().len(),
        "{names:?}"
    );
    for want in [
        "auths_get",
        "auths_search",
        "auths_create",
        "auths_draft",
        "catalog_list",
        "audit_list",
        "keys_create",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    // The input schema is the request schema of the OpenAPI document, its references
    // carried along.
    let create = tools.iter().find(|t| t["name"] == "auths_create").unwrap();
    let schema = &create["inputSchema"];
    assert_eq!(schema["type"], "object");
    assert!(schema["properties"]["auths"].is_object(), "{schema}");
    let doc = auths_http::openapi_document::<auths_store::Db>();
    let doc = serde_json::to_value(doc).unwrap();
    assert_eq!(
        schema["properties"],
        doc["components"]["schemas"]["CreateRequest"]["properties"]
            .to_string()
            .replace("#/components/schemas/", "#/$defs/")
            .parse::<Value>()
            .unwrap()
    );
    for r in schema.to_string().split("\"$ref\":\"#/$defs/").skip(1) {
        let name = r.split('"').next().unwrap();
        assert!(
            schema["$defs"][name].is_object(),
            "{name} resolved in {schema}"
        );
    }
    assert!(
        create["description"]
            .as_str()
            .unwrap()
            .contains("MCP writes")
    );
    assert_eq!(create["annotations"]["readOnlyHint"], false);
    let search = tools.iter().find(|t| t["name"] == "auths_search").unwrap();
    assert_eq!(search["annotations"]["readOnlyHint"], true);
    // Path and query parameters are arguments beside the body.
    let rename = tools
        .iter()
        .find(|t| t["name"] == "catalog_update")
        .unwrap();
    assert_eq!(
        rename["inputSchema"]["required"],
        json!(["kind", "id", "body"]),
        "{rename}"
    );

    // The OpenAPI document and /docs point agents at the door, and each operation at
    // its tool.
    assert_eq!(doc["x-mcp"]["path"], "/mcp");
    assert!(
        doc["info"]["description"]
            .as_str()
            .unwrap()
            .contains("/mcp")
    );
    assert_eq!(
        doc["paths"]["/api/v5/artifacts/auths/search"]["post"]["x-mcp-tool"],
        "auths_search"
    );
    let (s, docs) = send(
        &app,
        crate::support::post("/api/v5/artifacts/auths/docs", &keys.viewer),
    )
    .await;
    assert_eq!(
        (s, docs["mcp"]["path"].as_str()),
        (StatusCode::OK, Some("/mcp")),
        "{docs}"
    );
    let tools_in_docs: Vec<&str> = docs["api_operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["tool"].as_str().unwrap())
        .collect();
    assert_eq!(tools_in_docs, names, "{docs}");

    // A viewer is shown only what its role may call.
    let (vs, _) = initialize(&app, &keys.viewer, "viewer-agent").await;
    let (_, list) = send(
        &app,
        rpc(
            &keys.viewer,
            Some(&vs),
            json!({"jsonrpc": "2.0", "id": 4, "method": "tools/list"}),
        ),
    )
    .await;
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"auths_search")
            && !names.contains(&"auths_create")
            && !names.contains(&"keys_list"),
        "{names:?}"
    );
}

async fn tools_follow_the_mcp_policy_and_the_audit_names_the_client(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let item = json!({"auths": [{"name": "Agent LDAP", "protocol_ids": ["protocol-ldap"]}]});

    // An admin key without MCP writes: reading works, publishing is a tool error with
    // the API's error object.
    let (session, _) = initialize(&app, &keys.admin, "careful-agent").await;
    let (s, b) = send(
        &app,
        rpc(
            &keys.admin,
            Some(&session),
            call(5, "auths_create", item.clone()),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let r = &b["result"];
    assert_eq!(r["isError"], true, "{b}");
    assert_eq!(r["structuredContent"]["error"]["code"], "forbidden", "{b}");
    let text: Value = serde_json::from_str(r["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text, r["structuredContent"]);
    // A draft is open to agents.
    let (_, b) = send(
        &app,
        rpc(
            &keys.admin,
            Some(&session),
            call(
                6,
                "auths_draft",
                json!({"expected_version": 0, "name": "Drafted by an agent"}),
            ),
        ),
    )
    .await;
    assert_eq!(b["result"]["isError"], false, "{b}");
    assert!(
        b["result"]["structuredContent"]["draft_id"].is_string(),
        "{b}"
    );

    // A key that allows MCP writes publishes; the audit record is channel mcp with the
    // client's name from initialize.
    let trusted = key(&data, "trusted", Role::Editor, &[], true);
    let (session, _) = initialize(&app, &trusted, "Trusted Agent ü").await;
    let (_, b) = send(
        &app,
        rpc(&trusted, Some(&session), call(7, "auths_create", item)),
    )
    .await;
    assert_eq!(b["result"]["isError"], false, "{b}");
    let auth_id = b["result"]["structuredContent"]["results"][0]["auth_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, log) = send(
        &app,
        rpc(
            &keys.admin,
            Some(&session),
            call(8, "audit_list", json!({"auth_id": auth_id})),
        ),
    )
    .await;
    let e = &log["result"]["structuredContent"]["entries"][0];
    assert_eq!(
        (
            e["channel"].as_str(),
            e["client"].as_str(),
            e["actor_name"].as_str(),
            e["operation"].as_str()
        ),
        (
            Some("mcp"),
            Some("Trusted Agent ü"),
            Some("trusted"),
            Some("auth.create")
        ),
        "{log}"
    );
    // Path parameters and bodies: a catalog entry renamed through its tool.
    let (_, b) = send(
        &app,
        rpc(
            &trusted,
            Some(&session),
            call(
                9,
                "catalog_create",
                json!({"kind": "locations", "body": {"label": "Lab"}}),
            ),
        ),
    )
    .await;
    let id = b["result"]["structuredContent"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, b) = send(
        &app,
        rpc(
            &trusted,
            Some(&session),
            call(
                10,
                "catalog_update",
                json!({"kind": "locations", "id": id, "body": {"label": "Lab 2"}}),
            ),
        ),
    )
    .await;
    assert_eq!(b["result"]["structuredContent"]["label"], "Lab 2", "{b}");
    // A missing path parameter, an unknown argument: tool errors, 400 inside.
    let (_, b) = send(
        &app,
        rpc(
            &trusted,
            Some(&session),
            call(11, "catalog_list", json!({})),
        ),
    )
    .await;
    assert_eq!(
        (
            b["result"]["isError"].as_bool(),
            b["result"]["structuredContent"]["error"]["code"].as_str()
        ),
        (Some(true), Some("bad_request")),
        "{b}"
    );
    let (_, b) = send(
        &app,
        rpc(
            &trusted,
            Some(&session),
            call(
                12,
                "catalog_list",
                json!({"kind": "locations", "colour": "red"}),
            ),
        ),
    )
    .await;
    assert_eq!(
        b["result"]["structuredContent"]["error"]["code"], "bad_request",
        "{b}"
    );
    // The API's own validation answers through the tool, unchanged.
    let (_, b) = send(
        &app,
        rpc(
            &trusted,
            Some(&session),
            call(13, "auths_search", json!({"page_size": 0})),
        ),
    )
    .await;
    assert_eq!(
        b["result"]["structuredContent"]["error"]["code"], "bad_request",
        "{b}"
    );
    // A bulk call with a failed item is an error, its results saying which.
    let (_, b) = send(
        &app,
        rpc(
            &trusted,
            Some(&session),
            call(
                15,
                "auths_update",
                json!({"auths": [{"auth_id": auth_id, "expected_version": 99, "name": "x"}]}),
            ),
        ),
    )
    .await;
    assert_eq!(b["result"]["isError"], true, "{b}");
    assert_eq!(
        b["result"]["structuredContent"]["results"][0]["error"]["code"], "conflict",
        "{b}"
    );
    // A NUL in an argument is the API's 400, as a tool error, not a broken message.
    let (s, b) = send(
        &app,
        rpc(
            &trusted,
            Some(&session),
            call(16, "auths_search", json!({"search": "a\u{0}b"})),
        ),
    )
    .await;
    assert_eq!(
        (
            s,
            b["result"]["structuredContent"]["error"]["code"].as_str()
        ),
        (StatusCode::OK, Some("bad_request")),
        "{b}"
    );
    // An unknown tool is a JSON-RPC error (invalid params).
    let (_, b) = send(
        &app,
        rpc(
            &trusted,
            Some(&session),
            call(14, "auths_nonesuch", json!({})),
        ),
    )
    .await;
    assert_eq!(b["error"]["code"], -32602, "{b}");
}

async fn the_transport_refuses_what_it_should(t: TestDb) {
    let (data, keys) = service(&t);
    let app = crate::app!(data);
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    // Credentials first: none, or a wrong one, is the API's 401.
    let (s, b) = send(&app, TestRequest::post().uri("/mcp").set_json(list.clone())).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated")),
        "{b}"
    );
    let (s, _) = send(&app, rpc("not-a-key", None, list.clone())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // No event stream, no session to delete.
    let (s, _) = send(
        &app,
        TestRequest::get()
            .uri("/mcp")
            .insert_header(("X-Api-Key", keys.admin.clone())),
    )
    .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    // A tool call needs a session; one that is not ours is 404 (initialize again).
    let c = call(2, "auths_search", json!({}));
    let (s, b) = send(&app, rpc(&keys.admin, None, c.clone())).await;
    assert_eq!(
        (s, b["error"]["code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(-32600)),
        "{b}"
    );
    let (s, _) = send(&app, rpc(&keys.admin, Some("forged"), c.clone())).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Another site's page may not call it (DNS rebinding).
    let (s, _) = send(
        &app,
        rpc(&keys.admin, None, list.clone()).insert_header(("Origin", "http://evil.example")),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Whatever the Host says: a rebinding page sets both.
    let same = rpc(&keys.admin, None, list.clone())
        .insert_header(("Host", "evil.example"))
        .insert_header(("Origin", "http://evil.example"));
    assert_eq!(send(&app, same).await.0, StatusCode::FORBIDDEN);
    // Malformed messages: not JSON, a batch, a bad id, an unknown method, an unknown
    // protocol version.
    let (s, b) = send(
        &app,
        TestRequest::post()
            .uri("/mcp")
            .insert_header(("X-Api-Key", keys.admin.clone()))
            .insert_header(("Content-Type", "application/json"))
            .set_payload("{nope"),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(-32700)),
        "{b}"
    );
    let (s, _) = send(&app, rpc(&keys.admin, None, json!([list.clone()]))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = send(
        &app,
        rpc(
            &keys.admin,
            None,
            json!({"jsonrpc": "2.0", "id": {"x": 1}, "method": "ping"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, b) = send(
        &app,
        rpc(
            &keys.admin,
            None,
            json!({"jsonrpc": "2.0", "id": 3, "method": "server/discover"}),
        ),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_i64()),
        (StatusCode::OK, Some(-32601)),
        "{b}"
    );
    // The 2026 revision's probe, with its version header, is "method not found", so
    // that clients fall back to initialize.
    let probe = rpc(
        &keys.admin,
        None,
        json!({"jsonrpc": "2.0", "id": 3, "method": "server/discover"}),
    )
    .insert_header(("MCP-Protocol-Version", "2026-07-28"));
    let (s, b) = send(&app, probe).await;
    assert_eq!(
        (s, b["error"]["code"].as_i64(), &b["id"]),
        (StatusCode::OK, Some(-32601), &json!(3)),
        "{b}"
    );
    for bad in [
        json!({}),
        json!({"id": 3}),
        json!({"jsonrpc": "1.0", "id": 4, "method": "ping"}),
        json!({"jsonrpc": "2.0", "id": null, "method": "ping"}),
    ] {
        let (s, b) = send(&app, rpc(&keys.admin, None, bad.clone())).await;
        assert_eq!(
            (s, b["error"]["code"].as_i64()),
            (StatusCode::BAD_REQUEST, Some(-32600)),
            "{bad}: {b}"
        );
    }
    let (s, _) = send(
        &app,
        rpc(&keys.admin, None, list.clone()).insert_header(("MCP-Protocol-Version", "2099-01-01")),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // A notification is acknowledged without a body; ping answers.
    let (s, b) = send(
        &app,
        rpc(
            &keys.admin,
            None,
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        ),
    )
    .await;
    assert_eq!((s, b), (StatusCode::ACCEPTED, Value::Null));
    let (s, b) = send(
        &app,
        rpc(
            &keys.admin,
            None,
            json!({"jsonrpc": "2.0", "id": "p", "method": "ping"}),
        ),
    )
    .await;
    assert_eq!(
        (s, &b["result"], &b["id"]),
        (StatusCode::OK, &json!({}), &json!("p"))
    );
    // A body past the limit is 413, read no further.
    let big = json!({"jsonrpc": "2.0", "id": 4, "method": "ping", "params": {"pad": "x".repeat(crate::support::LIMIT)}});
    let (s, _) = send(&app, rpc(&keys.admin, None, big)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
}

crate::on_both_backends!(
    the_handshake_lists_tools_made_from_the_registry,
    tools_follow_the_mcp_policy_and_the_audit_names_the_client,
    the_transport_refuses_what_it_should,
);
