//! OpenAPI schemas of domain values shown by the API. The domain crate knows nothing of
//! OpenAPI; these mirror its serialized shapes, and fields of domain types point at
//! them with `#[schema(value_type = ...)]`.

#![allow(dead_code, reason = "schema mirrors are never built, only described")]

use auths_domain::raw::{MANY_FIELDS, ONE_FIELDS};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};

/// A catalog entry as `{id, label}`.
#[derive(Debug, ToSchema)]
#[schema(as = EntryRef)]
pub struct EntryRefSchema {
    id: String,
    label: String,
}

/// A configuration item; `value` is null for a secret item, always.
#[derive(Debug, ToSchema)]
#[schema(as = ItemRef)]
pub struct ItemRefSchema {
    id: String,
    label: String,
    key: String,
    value: Option<String>,
    secret: bool,
    /// A secret item's fingerprint: 16 hex characters of a keyed HMAC-SHA256 of its
    /// value, so that drift shows without the value.
    fingerprint: Option<String>,
}

/// A draft's values, as given (unchecked): the domain's list of fields, every list
/// present.
#[derive(Debug)]
pub struct DraftValuesSchema;

impl utoipa::PartialSchema for DraftValuesSchema {
    fn schema() -> RefOr<Schema> {
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("A draft's values, as given (unchecked)."));
        for name in ONE_FIELDS {
            object = object.property(
                name,
                ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null])),
            );
        }
        for name in MANY_FIELDS {
            object = object
                .property(
                    name,
                    ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)),
                )
                .required(name);
        }
        RefOr::T(Schema::Object(object.build()))
    }
}

impl ToSchema for DraftValuesSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("DraftValues")
    }
}

/// The body of a catalog entry, by catalog: `{label}` for every catalog but items,
/// `{key, value, secret}` for items (whose label is their key).
#[derive(Debug, ToSchema, serde::Deserialize)]
#[serde(untagged)]
#[schema(as = EntryBody)]
pub enum EntryBodySchema {
    /// Every catalog but items.
    Label(LabelBodySchema),
    /// Items.
    Item(ItemBodySchema),
}

/// A label.
#[derive(Debug, ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(as = LabelBody)]
pub struct LabelBodySchema {
    label: String,
}

/// An item; `secret` defaults to false.
#[derive(Debug, ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(as = ItemBody)]
pub struct ItemBodySchema {
    key: String,
    value: String,
    secret: Option<bool>,
}

/// A key's role; each includes the ones before it.
#[derive(Debug, ToSchema, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[schema(as = Role)]
pub enum RoleSchema {
    /// Read, search, docs.
    Viewer,
    /// Viewer, plus drafts, create, update, duplicate, delete, export.
    Editor,
    /// Editor, plus refresh, key management, catalog deletes, every department.
    Admin,
}
