//! `POST /mcp`: the Model Context Protocol front door (server spec, "The MCP front
//! door"). It speaks the Streamable HTTP transport: each POST carries one JSON-RPC
//! message and, for a request, answers one JSON-RPC response as `application/json`
//! (no server-sent events: nothing here streams, and no server-to-client request is
//! ever made, so `GET` and `DELETE` answer 405).
//!
//! - Credentials are the API's, checked by the same middleware before anything is
//!   read; a wrong key is a 401, not a JSON-RPC message.
//! - `initialize` negotiates a protocol version of the handshake era
//!   ([`PROTOCOL_VERSIONS`]) and answers an `Mcp-Session-Id` that carries the client's
//!   name (`clientInfo.name`, cleaned by [`auths_domain::client_name`]) after a random
//!   part. The name is the client's own word, like an `X-MCP` header's value, so the
//!   session id needs no signature and no server memory: every instance behind a load
//!   balancer reads it alike. A `tools/call` without one is 400; one that cannot be
//!   read is 404 (the transport's "initialize again").
//! - `tools/list` answers the tools of [`tools::catalogue`] the caller's role may call;
//!   `tools/call` calls the endpoint through an in-process v5 application with
//!   `X-MCP: <client name>`, so the call is channel `mcp`, the MCP policy applies and the audit record carries the
//!   client. An error of the API is a tool result with `isError` and the API's error
//!   body (text and structured content), never a transport failure.
//! - A client of the 2026 era probes `server/discover` first: it is answered "method not
//!   found", so the client falls back to `initialize`.

mod inner;
mod message;
pub mod tools;

use std::cell::{OnceCell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use auths_domain::{Store, client_name};
use base64::Engine;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ContentBlock, Implementation, InitializeRequestParams,
    InitializeResult, ServerCapabilities, ToolsCapability,
};
use serde_json::{Value, json};

use crate::auth::ReqCaller;
use crate::body::{self, MediaRule};
use crate::error::ApiError;
use crate::{BodyLimit, DEFAULT_BODY_LIMIT};

pub use tools::{ToolSpec, catalogue, tool_name};

/// The protocol versions spoken, oldest first: those with the `initialize` handshake.
pub const PROTOCOL_VERSIONS: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
/// The session header.
pub const SESSION_HEADER: &str = "mcp-session-id";
/// The protocol version header a client sends after `initialize`.
pub const VERSION_HEADER: &str = "mcp-protocol-version";

/// JSON-RPC error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const INTERNAL_ERROR: i64 = -32603;

/// The door's state in one worker: the tools, and the v5 application tools call
/// (built on first use).
#[derive(Clone, Default)]
pub struct Door(Rc<DoorState>);

#[derive(Default)]
struct DoorState {
    tools: OnceCell<Rc<[ToolSpec]>>,
    app: RefCell<Option<Rc<inner::V5App>>>,
}

impl fmt::Debug for Door {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Door")
            .field("tools", &self.0.tools.get().map(|t| t.len()))
            .field("built", &self.0.app.borrow().is_some())
            .finish()
    }
}

impl Door {
    fn tools<S: Store>(&self) -> Rc<[ToolSpec]> {
        self.0.tools.get_or_init(|| catalogue::<S>().into()).clone()
    }

    async fn app<S: Store>(&self, req: &HttpRequest) -> Result<Rc<inner::V5App>, String> {
        if let Some(app) = self.0.app.borrow().as_ref() {
            return Ok(app.clone());
        }
        let app = inner::build::<S>(req).await?;
        *self.0.app.borrow_mut() = Some(app.clone());
        Ok(app)
    }
}

/// A JSON-RPC error answer, at an HTTP status.
fn rpc_error(status: StatusCode, id: Value, code: i64, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code, "message": message.into()},
    }))
}

fn rpc_result(id: Value, result: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({"jsonrpc": "2.0", "id": id, "result": result}))
}

/// `GET`, `DELETE` and other methods: 405, with `Allow: POST`.
pub async fn not_allowed() -> HttpResponse {
    let mut res = rpc_error(
        StatusCode::METHOD_NOT_ALLOWED,
        Value::Null,
        INVALID_REQUEST,
        "only POST: this server opens no event stream and keeps no session to delete",
    );
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    res
}

/// The session id of a client: a random part, then its name in base64url.
fn session_id(client: &str) -> String {
    format!(
        "{}.{}",
        uuid::Uuid::new_v4().simple(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(client)
    )
}

/// The client name a session id carries; `None` when it is not one of ours.
fn session_client(id: &str) -> Option<String> {
    let (random, name) = id.split_once('.')?;
    if random.len() != 32 || !random.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(name)
        .ok()?;
    String::from_utf8(bytes).ok().map(|n| client_name(&n))
}

/// The handler of `POST /mcp`.
pub async fn post<S: Store>(
    req: HttpRequest,
    payload: web::Payload,
    caller: ReqCaller,
) -> HttpResponse {
    // Agents are programs, not pages: a browser's request (it names its page's Origin)
    // is refused, whatever the Host says, since a DNS-rebinding page sets both.
    if req.headers().contains_key(header::ORIGIN) {
        return rpc_error(
            StatusCode::FORBIDDEN,
            Value::Null,
            INVALID_REQUEST,
            "requests from web pages (with an Origin header) are not served at /mcp",
        );
    }
    if !body::media_type_ok(&req, MediaRule::Json) {
        return rpc_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Value::Null,
            PARSE_ERROR,
            "the body must be application/json",
        );
    }
    let limit = req
        .app_data::<BodyLimit>()
        .map_or(DEFAULT_BODY_LIMIT, |l| l.0);
    // NUL is let through here: the API refuses it in a tool's arguments, as a tool
    // error, and a client name drops it.
    let message = match body::read(&req, payload.into_inner(), limit)
        .await
        .and_then(|b| body::bounded_json(&b))
    {
        Ok(m) => m,
        Err(r) => {
            let e = ApiError::from(r);
            return rpc_error(
                e.status_code(),
                Value::Null,
                PARSE_ERROR,
                e.object().message.clone(),
            );
        }
    };
    let (id, method, params) = match message::read(message) {
        Ok(message::Message::Request { id, method, params }) => (id, method, params),
        // A notification is acknowledged and needs nothing; a response from the client
        // has nothing to match: this server sends no requests.
        Ok(message::Message::Notification | message::Message::Response) => {
            return HttpResponse::Accepted().finish();
        }
        Err((id, why)) => return rpc_error(StatusCode::BAD_REQUEST, id, INVALID_REQUEST, why),
    };
    let known = matches!(method.as_str(), "ping" | "tools/list" | "tools/call");
    if known
        && let Some(v) = req.headers().get(VERSION_HEADER)
        && !v.to_str().is_ok_and(|v| PROTOCOL_VERSIONS.contains(&v))
    {
        return rpc_error(
            StatusCode::BAD_REQUEST,
            id,
            INVALID_REQUEST,
            format!(
                "unsupported MCP-Protocol-Version; this server speaks {}",
                PROTOCOL_VERSIONS.join(", ")
            ),
        );
    }
    let door = req.app_data::<Door>().cloned().unwrap_or_default();
    match method.as_str() {
        "initialize" => initialize(id, params),
        "ping" => rpc_result(id, json!({})),
        "tools/list" => {
            let role = caller.0.principal.role;
            let all = door.tools::<S>();
            let tools: Vec<&rmcp::model::Tool> = all
                .iter()
                .filter(|t| t.open_to(role))
                .map(|t| &t.tool)
                .collect::<Vec<_>>();
            rpc_result(id, json!({ "tools": tools }))
        }
        "tools/call" => {
            let client = match req
                .headers()
                .get(SESSION_HEADER)
                .map(|v| v.to_str().ok().and_then(session_client))
            {
                None => {
                    return rpc_error(
                        StatusCode::BAD_REQUEST,
                        id,
                        INVALID_REQUEST,
                        "no Mcp-Session-Id: send initialize first",
                    );
                }
                Some(None) => {
                    return rpc_error(
                        StatusCode::NOT_FOUND,
                        id,
                        INVALID_REQUEST,
                        "unknown Mcp-Session-Id: send initialize again",
                    );
                }
                Some(Some(c)) => c,
            };
            call_tool::<S>(&door, &req, id, params, &client).await
        }
        _ => rpc_error(
            StatusCode::OK,
            id,
            METHOD_NOT_FOUND,
            format!("method not found: {}", crate::error::bounded(method)),
        ),
    }
}

fn initialize(id: Value, params: Value) -> HttpResponse {
    let params: InitializeRequestParams = match serde_json::from_value(params) {
        Ok(p) => p,
        Err(e) => {
            return rpc_error(
                StatusCode::OK,
                id,
                INVALID_PARAMS,
                format!("initialize: {e}"),
            );
        }
    };
    let asked = params.protocol_version.as_str();
    let version = if PROTOCOL_VERSIONS.contains(&asked) {
        asked
    } else {
        PROTOCOL_VERSIONS[PROTOCOL_VERSIONS.len() - 1]
    };
    let client = client_name(&params.client_info.name);
    let mut capabilities = ServerCapabilities::default();
    capabilities.tools = Some(ToolsCapability::default());
    let result = InitializeResult::new(capabilities)
        .with_server_info(Implementation::new("auths", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "Tools are the auths v5 API operations, under this key's role and department \
             scope. Through MCP, drafts (auths_draft) are open to agents; publishing, \
             deleting, exporting and catalog or key changes need a key that allows MCP writes.",
        );
    let mut result = serde_json::to_value(result).unwrap_or_else(|_| json!({}));
    result["protocolVersion"] = json!(version);
    let mut res = rpc_result(id, result);
    if let Ok(v) = HeaderValue::from_str(&session_id(&client)) {
        res.headers_mut()
            .insert(header::HeaderName::from_static(SESSION_HEADER), v);
    }
    res
}

async fn call_tool<S: Store>(
    door: &Door,
    req: &HttpRequest,
    id: Value,
    params: Value,
    client: &str,
) -> HttpResponse {
    let params: CallToolRequestParams = match serde_json::from_value(params) {
        Ok(p) => p,
        Err(e) => {
            return rpc_error(
                StatusCode::OK,
                id,
                INVALID_PARAMS,
                format!("tools/call: {e}"),
            );
        }
    };
    let tools = door.tools::<S>();
    let Some(spec) = tools.iter().find(|t| t.tool.name == params.name) else {
        return rpc_error(
            StatusCode::OK,
            id,
            INVALID_PARAMS,
            format!(
                "unknown tool: {}",
                crate::error::bounded(params.name.into_owned())
            ),
        );
    };
    let (path, body) = match spec.request(params.arguments) {
        Ok(r) => r,
        Err(e) => return rpc_result(id, tool_error(&e)),
    };
    let app = match door.app::<S>(req).await {
        Ok(app) => app,
        Err(e) => return rpc_error(StatusCode::OK, id, INTERNAL_ERROR, e),
    };
    let started = Instant::now();
    let answer = inner::call(&app, req, spec.method.clone(), &path, body, client).await;
    let result = match answer {
        Ok(a) => {
            tracing::info!(tool = %spec.tool.name, client, status = a.status.as_u16(), ms = started.elapsed().as_millis() as u64, "mcp tool call");
            tool_result(&a)
        }
        Err(e) => {
            if e.status_code().is_server_error() {
                tracing::warn!(tool = %spec.tool.name, client, error = %e, "mcp tool call failed");
            }
            tool_error(&e)
        }
    };
    rpc_result(id, result)
}

/// A tool result that is an error of the API: its error body, as text and structured.
fn tool_error(e: &ApiError) -> Value {
    let body = json!({ "error": e.object() });
    finish(
        CallToolResult::error(vec![ContentBlock::text(body.to_string())]),
        Some(body),
    )
}

/// What an endpoint answered, as a tool result: the JSON body as text and as
/// structured content; a CSV file as text; "done" for an empty answer.
fn tool_result(a: &inner::Answer) -> Value {
    let text = if a.body.is_empty() {
        format!("Done ({}).", a.status)
    } else {
        String::from_utf8_lossy(&a.body).into_owned()
    };
    let structured = a
        .json
        .then(|| serde_json::from_slice::<Value>(&a.body).ok())
        .flatten()
        .filter(Value::is_object);
    let content = vec![ContentBlock::text(text)];
    // A bulk answer is 200 with a result an item: one that failed makes the call an
    // error, so that no agent takes a refused write for a done one.
    let failed_item = structured
        .as_ref()
        .and_then(|s| s.get("results"))
        .and_then(Value::as_array)
        .is_some_and(|r| {
            r.iter()
                .any(|i| i.get("success") == Some(&Value::Bool(false)))
        });
    let result = if a.status.is_success() && !failed_item {
        CallToolResult::success(content)
    } else {
        CallToolResult::error(content)
    };
    finish(result, structured)
}

/// A result as protocol versions of the handshake era read it (no `resultType`).
fn finish(mut result: CallToolResult, structured: Option<Value>) -> Value {
    result.result_type = None;
    result.structured_content = structured;
    serde_json::to_value(result).unwrap_or_else(|_| json!({"content": [], "isError": true}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_carries_the_client_name() {
        let id = session_id("Claude Desktop ü");
        assert!(id.bytes().all(|b| (0x21..=0x7e).contains(&b)), "{id}");
        assert_eq!(session_client(&id).as_deref(), Some("Claude Desktop ü"));
        assert_eq!(session_client("nonsense"), None);
        assert_eq!(session_client("0123.abc"), None);
        let empty = session_id("");
        assert_eq!(session_client(&empty).as_deref(), Some(""));
    }
}
