//! OpenAPI schemas of domain values shown by the API. The domain crate knows nothing of
//! OpenAPI; these mirror its serialized shapes, and fields of domain types point at
//! them with `#[schema(value_type = ...)]`.

#![allow(dead_code, reason = "schema mirrors are never built, only described")]

use utoipa::ToSchema;

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
}

/// A problem with one field.
#[derive(Debug, ToSchema)]
#[schema(as = FieldProblem)]
pub struct FieldProblemSchema {
    field: String,
    message: String,
}

/// A draft's values, as given (unchecked).
#[derive(Debug, ToSchema)]
#[schema(as = DraftValues)]
pub struct DraftValuesSchema {
    name: Option<String>,
    name_id: Option<String>,
    description: Option<String>,
    description_id: Option<String>,
    flag_id: Option<String>,
    protocol_ids: Vec<String>,
    slug_ids: Vec<String>,
    item_ids: Vec<String>,
    department_ids: Vec<String>,
    location_ids: Vec<String>,
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
