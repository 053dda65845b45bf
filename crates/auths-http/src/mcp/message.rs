//! One JSON-RPC 2.0 message, as MCP frames it, read strictly.

use serde_json::{Map, Value, json};

/// What a client sent.
#[derive(Debug, PartialEq)]
pub enum Message {
    /// A request: it is answered.
    Request {
        /// Its id: text or an integer, never null.
        id: Value,
        /// The method.
        method: String,
        /// The parameters (`{}` when absent).
        params: Value,
    },
    /// A notification (a method, no `id`).
    Notification,
    /// A response or an error answering a request of the server's.
    Response,
}

/// Reads a message.
///
/// # Errors
/// Why it is not a JSON-RPC 2.0 message, with its id when it had a usable one.
pub fn read(message: Value) -> Result<Message, (Value, String)> {
    let Value::Object(mut m) = message else {
        return Err((
            Value::Null,
            "one JSON-RPC message, an object (batches are not part of these protocol versions)"
                .into(),
        ));
    };
    let id = match m.remove("id") {
        None => None,
        Some(id @ Value::String(_)) => Some(id),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(Value::Number(n)),
        Some(_) => return Err((Value::Null, "`id` must be text or an integer".into())),
    };
    let answer_id = id.clone().unwrap_or(Value::Null);
    if m.remove("jsonrpc") != Some(json!("2.0")) {
        return Err((answer_id, "`jsonrpc` must be \"2.0\"".into()));
    }
    match (m.remove("method"), id) {
        (Some(Value::String(method)), Some(id)) => Ok(Message::Request {
            id,
            method,
            params: params(&mut m).map_err(|why| (answer_id, why))?,
        }),
        (Some(Value::String(_)), None) => Ok(Message::Notification),
        (Some(_), _) => Err((answer_id, "`method` must be text".into())),
        (None, Some(_)) if m.contains_key("result") || m.contains_key("error") => {
            Ok(Message::Response)
        }
        (None, _) => Err((
            answer_id,
            "a request needs `method` and `id`; a response, `id` and `result` or `error`".into(),
        )),
    }
}

fn params(m: &mut Map<String, Value>) -> Result<Value, String> {
    match m.remove("params") {
        None => Ok(json!({})),
        Some(p @ Value::Object(_)) => Ok(p),
        Some(_) => Err("`params` must be an object".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_read_strictly() {
        let req = read(json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})).unwrap();
        assert_eq!(
            req,
            Message::Request {
                id: json!(1),
                method: "ping".into(),
                params: json!({})
            }
        );
        assert_eq!(
            read(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).unwrap(),
            Message::Notification
        );
        assert_eq!(
            read(json!({"jsonrpc": "2.0", "id": "a", "result": {}})).unwrap(),
            Message::Response
        );
        for bad in [
            json!({}),
            json!({"id": 3}),
            json!({"jsonrpc": "2.0", "id": 3}),
            json!({"jsonrpc": "1.0", "id": 1, "method": "ping"}),
            json!({"id": 1, "method": "ping"}),
            json!({"jsonrpc": "2.0", "id": null, "method": "ping"}),
            json!({"jsonrpc": "2.0", "id": 1.5, "method": "ping"}),
            json!({"jsonrpc": "2.0", "id": 1, "method": 7}),
            json!({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": [1]}),
            json!([{"jsonrpc": "2.0", "id": 1, "method": "ping"}]),
        ] {
            assert!(read(bad.clone()).is_err(), "{bad}");
        }
        // The id is kept for the error answer when it was usable.
        assert_eq!(
            read(json!({"jsonrpc": "1.0", "id": 9, "method": "ping"}))
                .unwrap_err()
                .0,
            json!(9)
        );
    }
}
