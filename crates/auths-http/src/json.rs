//! The JSON body extractor of the v5 API.
//!
//! Ours rather than `actix_web::web::Json`, so that every way a body can be wrong gets
//! the API's error body: the shared reader ([`crate::body`]) refuses a content type
//! that is not JSON (415), a body over the limit (413), a slow one (408), malformed
//! JSON and NUL characters (400); here a field of the wrong type or an unknown field
//! gets 400 with the field's path in `details`. An empty body reads as `{}`, so that
//! operations whose fields are all optional can be called without one.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Unexpected,
    Visitor,
};
use serde_json::{Number, Value};

use crate::body::{self, MediaRule};
use crate::error::{ApiError, Detail};

/// The default body limit: a bulk request of 1000 items fits with room to spare.
pub const DEFAULT_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// The body limit in force, as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// The body of an operation that takes none: nothing or `{}`; any field is refused.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoFields {}

/// A JSON body, deserialized into `T`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

/// Parses a JSON body, naming the offending field on a data error.
///
/// The body is read as JSON first ([`body::json`]), then deserialized into `T` through
/// [`Strict`], which holds the JSON types to what the OpenAPI document says: an object
/// where an object is expected (serde alone also takes an array for a struct), and an
/// integral number (`2.0` as well as `2`, as JSON Schema counts both as integers) for
/// an integer.
///
/// # Errors
/// 400 `bad_request` for malformed JSON, a wrong type, an unknown field or a NUL.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value = body::json(body)?;
    serde_path_to_error::deserialize(Strict(&value)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if path == "." { "body".to_owned() } else { path };
        ApiError::bad_request(format!("invalid request body: {field}: {inner}")).with_details(vec![
            Detail {
                field,
                message: inner.to_string(),
            },
        ])
    })
}

/// A deserializer over a parsed document that takes a struct only from an object and
/// an integer also from an integral float; everything else as `serde_json` does.
#[derive(Debug, Clone, Copy)]
pub struct Strict<'a>(pub &'a Value);

impl Strict<'_> {
    /// An integral float as an integer, if it is one in `i64` or `u64` range.
    fn integral(&self) -> Option<Number> {
        let f = self.0.as_f64().filter(|f| f.fract() == 0.0)?;
        if self.0.is_i64() || self.0.is_u64() {
            return None;
        }
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "range-checked just before"
        )]
        // Both bounds exclusive: a literal just past either end rounds onto it.
        if f >= 0.0 && f < u64::MAX as f64 {
            Some(Number::from(f as u64))
        } else if f < 0.0 && f > i64::MIN as f64 {
            Some(Number::from(f as i64))
        } else {
            None
        }
    }

    fn unexpected(&self) -> Unexpected<'_> {
        match self.0 {
            Value::Null => Unexpected::Unit,
            Value::Bool(b) => Unexpected::Bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => Unexpected::Unsigned(u),
                (_, Some(i), _) => Unexpected::Signed(i),
                (_, _, f) => Unexpected::Float(f.unwrap_or(f64::NAN)),
            },
            Value::String(s) => Unexpected::Str(s),
            Value::Array(_) => Unexpected::Seq,
            Value::Object(_) => Unexpected::Map,
        }
    }
}

macro_rules! integers {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, serde_json::Error> {
            match self.integral() {
                Some(n) => n.$method(visitor),
                None => self.deserialize_any(visitor),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for Strict<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, serde_json::Error> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(StrictSeq(items.iter())),
            Value::Object(map) => visitor.visit_map(StrictMap {
                entries: map.iter(),
                value: None,
            }),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, serde_json::Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, serde_json::Error> {
        match self.0 {
            Value::Object(_) => self.deserialize_any(visitor),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, serde_json::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, serde_json::Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, serde_json::Error> {
        visitor.visit_unit()
    }

    integers!(
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128
    );

    serde::forward_to_deserialize_any! {
        bool f32 f64 char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map identifier
    }
}

struct StrictSeq<'a>(std::slice::Iter<'a, Value>);

impl<'de> SeqAccess<'de> for StrictSeq<'de> {
    type Error = serde_json::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, serde_json::Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(Strict(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct StrictMap<'a> {
    entries: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
}

impl<'de> MapAccess<'de> for StrictMap<'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, serde_json::Error> {
        match self.entries.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(BorrowedStrDeserializer::new(k)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, serde_json::Error> {
        match self.value.take() {
            Some(v) => seed.deserialize(Strict(v)),
            None => Err(de::Error::custom("a value without a key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<BodyLimit>()
            .map_or(DEFAULT_BODY_LIMIT, |l| l.0);
        // A body must say it is JSON (a form or text body is refused with 415, so that
        // no cross-site form post reaches an operation); an empty body may say nothing.
        let json = body::media_type_ok(req, MediaRule::Json);
        let untyped = body::media_type_ok(req, MediaRule::JsonOrNone);
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            if !untyped {
                return Err(crate::rejection::Rejection::UnsupportedMediaType.into());
            }
            let bytes = body::read(&req, payload, limit).await?;
            if !json && !bytes.is_empty() {
                return Err(crate::rejection::Rejection::UnsupportedMediaType.into());
            }
            parse(&bytes).map(ApiJson)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "fields are read by Debug only")]
    struct Body {
        n: Option<u32>,
        list: Option<Vec<String>>,
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse::<Body>(br#"{"list": ["a", 3]}"#).unwrap_err();
        assert_eq!(e.object().details[0].field, "list[1]");
        let e = parse::<Body>(br#"{"nn": 1}"#).unwrap_err();
        assert!(e.object().message.contains("unknown field"), "{e}");
        let e = parse::<Body>(br#"{"n": "#).unwrap_err();
        assert!(e.object().message.starts_with("malformed JSON"), "{e}");
        assert!(e.object().details.is_empty());
        let e = parse::<Body>(br#"{} {}"#).unwrap_err();
        assert!(e.object().message.contains("trailing"), "{e}");
        assert!(parse::<Body>(b"  ").is_ok());
        // serde would take an array for a struct; the API does not.
        let e = parse::<Body>(br#"[1, ["a"]]"#).unwrap_err();
        assert_eq!(e.object().details[0].field, "body", "{e}");
        let e = parse::<Vec<Body>>(br#"[{"n": 1}, [2]]"#).unwrap_err();
        assert_eq!(e.object().details[0].field, "[1]", "{e}");
        // An integral float is an integer (JSON Schema says so); a fraction is not.
        assert_eq!(parse::<Body>(br#"{"n": 2.0}"#).unwrap().n, Some(2));
        let e = parse::<Body>(br#"{"n": 2.5}"#).unwrap_err();
        assert_eq!(e.object().details[0].field, "n", "{e}");
        let e = parse::<Body>(br#"{"n": -1.0}"#).unwrap_err();
        assert_eq!(e.object().details[0].field, "n", "{e}");
        assert!(parse::<Body>(br#"{"n": 1e300}"#).is_err());
        #[derive(Debug, serde::Deserialize)]
        struct Wide {
            i: i64,
        }
        assert_eq!(
            parse::<Wide>(br#"{"i": -9223372036854775808}"#).unwrap().i,
            i64::MIN
        );
        assert!(parse::<Wide>(br#"{"i": -9223372036854775809}"#).is_err());
        assert!(parse::<Wide>(br#"{"i": 9223372036854775808}"#).is_err());
        assert_eq!(parse::<Wide>(br#"{"i": -4.0}"#).unwrap().i, -4);
        // NUL is refused, but an escaped backslash before "u0000" is no NUL.
        let e = parse::<Body>(br#"{"list": ["a\u0000"]}"#).unwrap_err();
        assert!(e.object().message.contains("NUL"), "{e}");
        let ok = parse::<Body>(br#"{"list": ["a\\u0000"]}"#).unwrap();
        assert_eq!(ok.list.unwrap()[0], "a\\u0000");
        let deep = "[".repeat(10_000);
        assert_eq!(
            parse::<serde_json::Value>(deep.as_bytes())
                .unwrap_err()
                .object()
                .code,
            crate::error::ErrorCode::BadRequest
        );
    }
}
