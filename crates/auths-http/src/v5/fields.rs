//! Request items that carry the auth's text fields beside fields of their own: a
//! create or update item, a draft patch. The ten fields are the domain's one list
//! ([`auths_domain::raw::Fields`]); each item names only its own few, and its OpenAPI
//! schema is built from the same list, so that no list of fields is written here.
//!
//! Not `#[serde(flatten)]`, which would lose the path of a type error inside the fields
//! and cannot refuse unknown fields.

use std::fmt;
use std::marker::PhantomData;

use auths_domain::raw::{Fields, MANY_FIELDS, ONE_FIELDS};
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};

/// The fields an item has of its own, read by name. Its derived schema (an object
/// refusing unknown properties) is the item's, with the auth's fields added.
pub trait OwnFields: Default + utoipa::ToSchema {
    /// Their names, for the error that lists the known fields.
    const NAMES: &'static [&'static str];

    /// Reads the value of `key` from `map` if `key` is one of them; answers whether it
    /// was.
    ///
    /// # Errors
    /// The value's own deserialization error.
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;

    /// The first required one that was not given, if any.
    fn missing(&self) -> Option<&'static str> {
        None
    }
}

/// An item: its own fields `X` and the auth's fields `F`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WithFields<X, F> {
    /// The item's own fields.
    pub own: X,
    /// The auth's fields.
    pub fields: F,
}

impl<'de, X, O, M> Deserialize<'de> for WithFields<X, Fields<O, M>>
where
    X: OwnFields,
    O: Deserialize<'de> + Default,
    M: Deserialize<'de> + Default,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<X, F>(PhantomData<(X, F)>);
        impl<'de, X, O, M> Visitor<'de> for V<X, Fields<O, M>>
        where
            X: OwnFields,
            O: Deserialize<'de> + Default,
            M: Deserialize<'de> + Default,
        {
            type Value = WithFields<X, Fields<O, M>>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = WithFields::<X, Fields<O, M>>::default();
                while let Some(key) = map.next_key::<String>()? {
                    if !out.own.read(&key, &mut map)? && !out.fields.read_field(&key, &mut map)? {
                        let known: Vec<String> = X::NAMES
                            .iter()
                            .chain(&ONE_FIELDS)
                            .chain(&MANY_FIELDS)
                            .map(|n| format!("`{n}`"))
                            .collect();
                        // Refused as its value is read, so that the error's path
                        // names the field.
                        map.next_value_seed(Refuse(format!(
                            "unknown field `{key}`, expected one of {}",
                            known.join(", ")
                        )))?;
                    }
                }
                if let Some(field) = out.own.missing() {
                    return Err(de::Error::missing_field(field));
                }
                Ok(out)
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// A value refused whatever it is, with this sentence.
struct Refuse(String);

impl<'de> DeserializeSeed<'de> for Refuse {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<(), D::Error> {
        Err(de::Error::custom(self.0))
    }
}

impl<X: OwnFields, F> utoipa::PartialSchema for WithFields<X, F> {
    fn schema() -> RefOr<Schema> {
        let mut schema = X::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            for name in ONE_FIELDS {
                let text = ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .build();
                object.properties.insert(name.to_owned(), text.into());
            }
            for name in MANY_FIELDS {
                let list = ArrayBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
                    .items(ObjectBuilder::new().schema_type(Type::String))
                    .build();
                object.properties.insert(name.to_owned(), list.into());
            }
        }
        schema
    }
}

/// Declares `$item`, a request item of the fields `$own` and the auth's fields `$fields`,
/// with its OpenAPI schema under the name `$item`.
macro_rules! item {
    ($(#[$meta:meta])* $item:ident, $own:ty, $fields:ty) => {
        $(#[$meta])*
        #[derive(Debug, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $item(pub $crate::v5::fields::WithFields<$own, $fields>);

        impl utoipa::PartialSchema for $item {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                <$crate::v5::fields::WithFields<$own, $fields> as utoipa::PartialSchema>::schema()
            }
        }

        impl utoipa::ToSchema for $item {}
    };
}
pub(crate) use item;
