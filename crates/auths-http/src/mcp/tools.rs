//! The tools of `/mcp`: one a v5 endpoint of the registry, described by the OpenAPI
//! document that documents it (server spec, "The MCP front door": name, description,
//! input schema = the request schema), so that a new endpoint is a new tool with no
//! code of its own.

use std::sync::Arc;

use actix_web::http::Method;
use auths_domain::{Operation, Role, Store};
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::v5::registry::endpoints;

/// One tool and the endpoint it calls.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    /// What `tools/list` shows.
    pub tool: Tool,
    /// The endpoint's method.
    pub method: Method,
    /// The endpoint's path under `/api` (`/v5/catalog/{kind}`).
    pub path: &'static str,
    /// Its query parameters.
    pub query: &'static [&'static str],
    /// Whether it takes a JSON body.
    pub body: bool,
    /// The operation, for the role a caller needs to see the tool.
    pub operation: Operation,
}

impl ToolSpec {
    /// Whether a caller of this role may call the tool at all (other refusals, such
    /// as the MCP policy or a department, answer when it is called).
    pub fn open_to(&self, role: Role) -> bool {
        role >= self.operation.required_role()
    }

    /// Whether arguments name path or query parameters, so that the JSON body goes
    /// in the `body` argument rather than being the arguments themselves.
    fn takes_parameters(&self) -> bool {
        self.path.contains('{') || !self.query.is_empty()
    }

    /// The API request that `arguments` make: the path under `/api` with its query
    /// string, and the JSON body.
    ///
    /// # Errors
    /// A 400 [`ApiError`] for a missing or non-text path parameter, a query parameter
    /// that is not text, a number or a boolean, or an unknown argument.
    pub fn request(
        &self,
        arguments: Option<JsonObject>,
    ) -> Result<(String, Option<Value>), ApiError> {
        let mut args = arguments.unwrap_or_default();
        if !self.takes_parameters() {
            if !self.body
                && let Some(unknown) = args.keys().next()
            {
                return Err(unknown_argument(unknown));
            }
            let body = self.body.then_some(Value::Object(args));
            return Ok((format!("/api{}", self.path), body));
        }
        let mut path = String::from("/api");
        for segment in self.path.split('/').filter(|s| !s.is_empty()) {
            path.push('/');
            match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                None => path.push_str(segment),
                Some(name) => match args.remove(name) {
                    Some(Value::String(v)) if !v.is_empty() => path.push_str(&encode(&v)),
                    _ => {
                        return Err(ApiError::bad_request(format!(
                            "the argument `{name}` is required, as text"
                        )));
                    }
                },
            }
        }
        let mut query = Vec::new();
        for name in self.query {
            match args.remove(*name) {
                None | Some(Value::Null) => {}
                Some(Value::String(v)) => query.push((*name, v)),
                // JSON Schema counts 5.0 as an integer, as the bodies' reader does.
                Some(Value::Number(n)) => query.push((
                    *name,
                    match n.as_f64() {
                        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                            format!("{f:.0}")
                        }
                        _ => n.to_string(),
                    },
                )),
                Some(v @ Value::Bool(_)) => query.push((*name, v.to_string())),
                Some(_) => {
                    return Err(ApiError::bad_request(format!(
                        "the argument `{name}` must be text or a number"
                    )));
                }
            }
        }
        if !query.is_empty() {
            let encoded = serde_urlencoded::to_string(&query)
                .map_err(|e| ApiError::bad_request(format!("bad query arguments: {e}")))?;
            path.push('?');
            path.push_str(&encoded);
        }
        let body = if self.body {
            Some(args.remove("body").unwrap_or_else(|| json!({})))
        } else {
            None
        };
        if let Some(unknown) = args.keys().next() {
            return Err(unknown_argument(unknown));
        }
        Ok((path, body))
    }
}

fn unknown_argument(name: &str) -> ApiError {
    ApiError::bad_request(format!(
        "unknown argument `{}`",
        crate::error::bounded(name.to_owned())
    ))
}

/// Percent-encodes one path segment (everything but unreserved characters).
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The tool name of an endpoint: `auths_get` for `POST /v5/artifacts/auths/get`;
/// otherwise its first path segment and a verb from the method (`catalog_list`,
/// `catalog_create`, `catalog_update`, `catalog_delete`, `uploads_get`, `keys_list`).
/// A `GET` whose path ends in an id parameter (`{upload_id}`, `{id}`) reads one.
pub fn tool_name(method: &Method, path: &str) -> String {
    let segments: Vec<&str> = path
        .trim_start_matches("/v5/")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match segments.as_slice() {
        ["artifacts", resource, action] => return format!("{resource}_{action}"),
        // One of a resource's things, addressed by id: `auths_draft_delete`.
        ["artifacts", resource, thing, id] if id.starts_with('{') && *method == Method::DELETE => {
            return format!("{resource}_{thing}_delete");
        }
        _ => {}
    }
    let resource = segments.first().copied().unwrap_or("v5");
    let reads_one = segments
        .last()
        .is_some_and(|s| s.starts_with('{') && s.trim_end_matches('}').ends_with("id"));
    let verb = match *method {
        Method::GET if reads_one => "get",
        Method::GET => "list",
        Method::POST => "create",
        Method::PATCH => "update",
        Method::PUT => "replace",
        Method::DELETE => "delete",
        _ => "call",
    };
    format!("{resource}_{verb}")
}

/// Every tool, in the registry's order, from the OpenAPI document of the same
/// registry.
pub fn catalogue<S: Store>() -> Vec<ToolSpec> {
    let doc = serde_json::to_value(crate::openapi_document::<S>()).unwrap_or_default();
    let components = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    endpoints::<S>()
        .into_iter()
        .map(|e| {
            let pointer = format!(
                "/paths/{}/{}",
                format!("/api{}", e.path)
                    .replace('~', "~0")
                    .replace('/', "~1"),
                e.method.as_str().to_ascii_lowercase()
            );
            let op = doc.pointer(&pointer).cloned().unwrap_or_default();
            let schema = input_schema(&op, &components, e.request);
            let mut description = e.summary.to_owned();
            if let Some(d) = op.get("description").and_then(Value::as_str) {
                description.push_str(". ");
                description.push_str(d);
            }
            if e.operation.needs_mcp_writes() {
                description.push_str(
                    " Through MCP it needs a key that allows MCP writes (else 403 forbidden).",
                );
            }
            let read_only = e.method == Method::GET
                || matches!(
                    e.operation,
                    Operation::Get | Operation::Search | Operation::Docs | Operation::ListDrafts
                );
            let annotations = ToolAnnotations::new()
                .read_only(read_only)
                // Deleting, overwriting or renaming may lose what was there; adding does not.
                .destructive(
                    matches!(e.method, Method::DELETE | Method::PATCH)
                        || matches!(e.operation, Operation::Delete | Operation::Update),
                )
                .open_world(false);
            let tool = Tool::new(tool_name(&e.method, e.path), description, Arc::new(schema))
                .with_annotations(annotations);
            ToolSpec {
                tool,
                method: e.method,
                path: e.path,
                query: e.query,
                body: e.request.is_some(),
                operation: e.operation,
            }
        })
        .collect()
}

/// The input schema of an operation: its request body's schema when it has no path
/// or query parameters; otherwise an object of those parameters and, when it takes
/// a body, `body`. The components it refers to are carried in `$defs`.
fn input_schema(op: &Value, components: &Map<String, Value>, request: Option<&str>) -> JsonObject {
    let params: Vec<&Value> = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|p| p.iter().filter(|p| p["in"] != "header").collect())
        .unwrap_or_default();
    let mut schema = if params.is_empty() {
        request
            .and_then(|r| components.get(r))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(|| {
                let mut o = Map::new();
                o.insert("properties".into(), json!({}));
                o.insert("additionalProperties".into(), json!(false));
                o
            })
    } else {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for p in params {
            let Some(name) = p["name"].as_str() else {
                continue;
            };
            let mut s = p["schema"].clone();
            if let Some(o) = s.as_object_mut() {
                let place = if p["in"] == "path" { "path" } else { "query" };
                o.insert(
                    "description".into(),
                    Value::String(format!("The {place} parameter `{name}`.")),
                );
            }
            properties.insert(name.to_owned(), s);
            if p["required"] == true {
                required.push(Value::String(name.to_owned()));
            }
        }
        if let Some(r) = request {
            properties.insert(
                "body".into(),
                json!({"$ref": format!("#/components/schemas/{r}"), "description": "The JSON body."}),
            );
            if op.pointer("/requestBody/required") == Some(&Value::Bool(true)) {
                required.push("body".into());
            }
        }
        let mut o = Map::new();
        o.insert("properties".into(), Value::Object(properties));
        o.insert("required".into(), Value::Array(required));
        o.insert("additionalProperties".into(), json!(false));
        o
    };
    // MCP asks for an object schema at the top (a body of several shapes included).
    schema.insert("type".into(), json!("object"));
    let mut wanted = Vec::new();
    let mut top = Value::Object(schema);
    to_defs(&mut top, &mut wanted);
    let mut defs = Map::new();
    while let Some(name) = wanted.pop() {
        if defs.contains_key(&name) {
            continue;
        }
        let mut s = components.get(&name).cloned().unwrap_or_else(|| json!({}));
        to_defs(&mut s, &mut wanted);
        defs.insert(name, s);
    }
    let Value::Object(mut schema) = top else {
        return JsonObject::new();
    };
    if !defs.is_empty() {
        schema.insert("$defs".into(), Value::Object(defs));
    }
    schema
}

/// Points every `#/components/schemas/X` reference of `v` at `#/$defs/X`, noting X.
fn to_defs(v: &mut Value, wanted: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref")
                && let Some(name) = r.strip_prefix("#/components/schemas/")
            {
                wanted.push(name.to_owned());
                *r = format!("#/$defs/{name}");
            }
            o.values_mut().for_each(|x| to_defs(x, wanted));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| to_defs(x, wanted)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_paths() {
        assert_eq!(
            tool_name(&Method::POST, "/v5/artifacts/auths/get"),
            "auths_get"
        );
        assert_eq!(
            tool_name(&Method::GET, "/v5/catalog/{kind}"),
            "catalog_list"
        );
        assert_eq!(
            tool_name(&Method::PATCH, "/v5/catalog/{kind}/{id}"),
            "catalog_update"
        );
        assert_eq!(
            tool_name(&Method::GET, "/v5/uploads/{upload_id}"),
            "uploads_get"
        );
        assert_eq!(tool_name(&Method::DELETE, "/v5/keys/{name}"), "keys_delete");
        assert_eq!(tool_name(&Method::GET, "/v5/audit"), "audit_list");
        assert_eq!(
            tool_name(&Method::DELETE, "/v5/artifacts/auths/draft/{draft_id}"),
            "auths_draft_delete"
        );
    }

    #[test]
    fn arguments_make_the_request() {
        let tools = catalogue::<auths_store::Db>();
        let tool = |name: &str| tools.iter().find(|t| t.tool.name == name).unwrap();
        let args = |v: Value| v.as_object().cloned();
        let (path, body) = tool("catalog_update")
            .request(args(
                json!({"kind": "locations", "id": "a/../b", "body": {"label": "L"}}),
            ))
            .unwrap();
        assert_eq!(
            (path.as_str(), body),
            (
                "/api/v5/catalog/locations/a%2F..%2Fb",
                Some(json!({"label": "L"}))
            )
        );
        let (path, _) = tool("catalog_list")
            .request(args(
                json!({"kind": "slugs", "page_size": 5.0, "search": "a&b=c"}),
            ))
            .unwrap();
        assert_eq!(path, "/api/v5/catalog/slugs?search=a%26b%3Dc&page_size=5");
        assert!(
            tool("auths_refresh")
                .request(args(json!({"x": 1})))
                .is_err()
        );
        assert!(tool("auths_refresh").request(None).is_ok());
        assert!(
            tool("catalog_list")
                .request(args(json!({"kind": 3})))
                .is_err()
        );
        let (path, body) = tool("auths_search")
            .request(args(json!({"search": "x"})))
            .unwrap();
        assert_eq!(
            (path.as_str(), body),
            (
                "/api/v5/artifacts/auths/search",
                Some(json!({"search": "x"}))
            )
        );
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode("a b/../c?d"), "a%20b%2F..%2Fc%3Fd");
        assert_eq!(encode("ü"), "%C3%BC");
    }
}
