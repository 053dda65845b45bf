//! How domain values are shown.

use auths_domain::{EntryRef, ItemRef};
use serde::Serialize;

/// A single-valued section: its value, and for small catalogs every option.
#[derive(Debug, Serialize)]
pub struct OneSection {
    pub value: Option<EntryRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<EntryRef>>,
}

/// A multi-valued section.
#[derive(Debug, Serialize)]
pub struct ManySection<T> {
    pub values: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<EntryRef>>,
}

/// An item as shown: a secret's value is `null`, always.
pub type ItemView = ItemRef;
