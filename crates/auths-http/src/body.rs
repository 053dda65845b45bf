//! Reading a request body, for both APIs: the media type, the size limit (checked
//! against `Content-Length` first, then while reading), the slow-client deadline
//! ([`crate::deadline`]), and JSON's own bounds (at most [`Rejection::MAX_VALUES`]
//! values, counted before anything is built; no NUL character). Each API turns a
//! [`Rejection`] into its own answer.

use actix_web::HttpRequest;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde_json::Value;

use crate::rejection::Rejection;

/// How an API reads the media type of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaRule {
    /// `application/json` (or `application/*+json`); no `Content-Type` reads as JSON.
    JsonOrNone,
    /// `application/json` only, a charset allowed.
    Json,
}

/// Whether the request's media type is one `rule` accepts.
pub fn media_type_ok(req: &HttpRequest, rule: MediaRule) -> bool {
    let Some(v) = req.headers().get(header::CONTENT_TYPE) else {
        return rule == MediaRule::JsonOrNone;
    };
    v.to_str().is_ok_and(|s| {
        let mime = s
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        mime == "application/json"
            || (rule == MediaRule::JsonOrNone
                && mime.starts_with("application/")
                && mime.ends_with("+json"))
    })
}

/// Reads the whole body, within `limit` bytes.
///
/// # Errors
/// [`Rejection::TooLarge`] (declared or read), [`Rejection::TimedOut`] for a slow
/// client, [`Rejection::Unreadable`] for a transport failure.
pub async fn read(req: &HttpRequest, payload: Payload, limit: usize) -> Result<Bytes, Rejection> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(Rejection::TooLarge { limit });
    }
    let mut payload = payload;
    let mut body = BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match crate::deadline::timed_out(&e) {
            Some(why) => Rejection::TimedOut(why),
            None => Rejection::Unreadable(e.to_string()),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(Rejection::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Parses a body as a JSON document; a body of whitespace reads as `{}`.
///
/// # Errors
/// [`Rejection::MalformedJson`] (not JSON, nested deeper than 128 levels, trailing
/// characters, more than [`Rejection::MAX_VALUES`] values), [`Rejection::NulInBody`].
pub fn json(body: &[u8]) -> Result<Value, Rejection> {
    let value = bounded_json(body)?;
    // PostgreSQL cannot store NUL in text, and no field needs it: refuse it here, for
    // both backends and both APIs alike.
    if has_nul(&value) {
        return Err(Rejection::NulInBody);
    }
    Ok(value)
}

/// Parses a body as a JSON document within JSON's bounds, as [`json`] does, but lets
/// NUL characters through: for a body that is not stored as it is (an MCP message,
/// whose tool arguments the API then checks as it checks any body).
///
/// # Errors
/// [`Rejection::MalformedJson`].
pub fn bounded_json(body: &[u8]) -> Result<Value, Rejection> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    // A first pass counts the values without building anything: a body of a few
    // megabytes of tiny values (`[{"":0},{"":0},...]`) would otherwise become hundreds
    // of megabytes of document before any check.
    let mut left = Rejection::MAX_VALUES;
    serde::de::DeserializeSeed::deserialize(
        Counter { left: &mut left },
        &mut serde_json::Deserializer::from_slice(body),
    )
    .map_err(|e| Rejection::MalformedJson(e.to_string()))?;
    serde_json::from_slice(body).map_err(|e| Rejection::MalformedJson(e.to_string()))
}

/// Counts a document's values as the parser meets them, refusing past the limit.
struct Counter<'a> {
    left: &'a mut usize,
}

impl Counter<'_> {
    fn tick<E: serde::de::Error>(&mut self) -> Result<(), E> {
        if *self.left == 0 {
            return Err(E::custom(format!(
                "the document holds more than {} values",
                Rejection::MAX_VALUES
            )));
        }
        *self.left -= 1;
        Ok(())
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Counter<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Counter<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: serde::de::Error>(mut self, _: bool) -> Result<(), E> {
        self.tick()
    }

    fn visit_i64<E: serde::de::Error>(mut self, _: i64) -> Result<(), E> {
        self.tick()
    }

    fn visit_u64<E: serde::de::Error>(mut self, _: u64) -> Result<(), E> {
        self.tick()
    }

    fn visit_f64<E: serde::de::Error>(mut self, _: f64) -> Result<(), E> {
        self.tick()
    }

    fn visit_str<E: serde::de::Error>(mut self, _: &str) -> Result<(), E> {
        self.tick()
    }

    fn visit_unit<E: serde::de::Error>(mut self) -> Result<(), E> {
        self.tick()
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        self.tick()?;
        while seq
            .next_element_seed(Counter {
                left: &mut *self.left,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        self.tick()?;
        while map.next_key::<serde::de::IgnoredAny>()?.is_some() {
            map.next_value_seed(Counter {
                left: &mut *self.left,
            })?;
        }
        Ok(())
    }
}

/// Whether any string (or key) of the document holds a NUL character.
fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(has_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_of_too_many_values_is_refused_before_it_is_built() {
        let many = format!("[{}0]", "{\"\":0},".repeat(Rejection::MAX_VALUES));
        let e = json(many.as_bytes()).err();
        assert!(
            matches!(&e, Some(Rejection::MalformedJson(m)) if m.contains("more than")),
            "{e:?}"
        );
        let fine = format!("[{}0]", "{\"\":0},".repeat(1000));
        assert!(json(fine.as_bytes()).is_ok());
    }

    #[test]
    fn nul_and_malformed_bodies_are_refused() {
        assert_eq!(json(br#"{"a": "x\u0000"}"#), Err(Rejection::NulInBody));
        assert_eq!(
            json(br#"{"a\u0000": 1}"#),
            Err(Rejection::NulInBody),
            "keys too"
        );
        assert!(
            json(br#"{"a": "x\\u0000"}"#).is_ok(),
            "an escaped backslash"
        );
        assert!(matches!(json(b"{} {}"), Err(Rejection::MalformedJson(_))));
        assert!(matches!(
            json("[".repeat(10_000).as_bytes()),
            Err(Rejection::MalformedJson(_))
        ));
        assert_eq!(json(b"  "), Ok(serde_json::json!({})));
    }

    #[test]
    fn media_types_follow_the_rule() {
        use actix_web::test::TestRequest;
        let with = |ct: &str| {
            TestRequest::default()
                .insert_header((header::CONTENT_TYPE, ct))
                .to_http_request()
        };
        let none = TestRequest::default().to_http_request();
        assert!(media_type_ok(&none, MediaRule::JsonOrNone));
        assert!(!media_type_ok(&none, MediaRule::Json));
        let charset = with("Application/JSON; charset=utf-8");
        assert!(media_type_ok(&charset, MediaRule::Json));
        assert!(media_type_ok(
            &with("application/merge-patch+json"),
            MediaRule::JsonOrNone
        ));
        assert!(!media_type_ok(
            &with("application/merge-patch+json"),
            MediaRule::Json
        ));
        assert!(!media_type_ok(&with("text/plain"), MediaRule::JsonOrNone));
    }
}
