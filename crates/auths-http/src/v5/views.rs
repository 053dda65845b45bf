//! How sections are shown in the form view.

use auths_domain::{EntryRef, ItemRef};
use serde::Serialize;

/// A section value: `{id, label}`. A draft's name or description given as text has no
/// id yet (`id: null`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ValueRef {
    pub id: Option<String>,
    pub label: String,
}

impl From<EntryRef> for ValueRef {
    fn from(e: EntryRef) -> Self {
        Self {
            id: Some(e.id.to_string()),
            label: e.label,
        }
    }
}

/// A single-valued section: its value, and for small catalogs every option.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OneSection {
    pub value: Option<ValueRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<crate::v5::schemas::EntryRefSchema>>)]
    pub options: Option<Vec<EntryRef>>,
}

/// A multi-valued section.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ManySection {
    pub values: Vec<ValueRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<crate::v5::schemas::EntryRefSchema>>)]
    pub options: Option<Vec<EntryRef>>,
}

/// An item as shown: a secret's value is `null`, always.
pub type ItemView = ItemRef;

/// The items section.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemSection {
    #[schema(value_type = Vec<crate::v5::schemas::ItemRefSchema>)]
    pub values: Vec<ItemView>,
}
