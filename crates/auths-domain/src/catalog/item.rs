//! Items as they are shown: a secret item's value never leaves through them, whether
//! by JSON or by `Debug`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::EntryId;

/// An item as shown to clients: a secret item's value is never present. The fields
/// are public, so a program could still set one; then neither `Debug` nor JSON shows
/// it (a secret item serializes with `"value": null`, and reading one back from JSON
/// drops a secret's value too).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ItemRefData", into = "ItemRefData")]
pub struct ItemRef {
    /// The entry's opaque id.
    pub id: EntryId,
    /// Its label (the key).
    pub label: String,
    /// The key.
    pub key: String,
    /// The value; `None` for a secret item, always.
    pub value: Option<String>,
    /// Whether the value is secret.
    pub secret: bool,
    /// A secret value's fingerprint (16 hex characters of a keyed HMAC-SHA256), so
    /// that drift shows without the value; `None` for other items.
    pub fingerprint: Option<String>,
}

/// An [`ItemRef`] as read or written, its secret value dropped on the way.
#[derive(Serialize, Deserialize)]
struct ItemRefData {
    id: EntryId,
    label: String,
    key: String,
    value: Option<String>,
    secret: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fingerprint: Option<String>,
}

impl From<ItemRefData> for ItemRef {
    fn from(d: ItemRefData) -> Self {
        let view = ItemView::new(d.key, d.value, d.secret).with_fingerprint(d.fingerprint);
        Self::new(d.id, d.label, Some(view))
    }
}

impl From<ItemRef> for ItemRefData {
    fn from(i: ItemRef) -> Self {
        Self {
            value: if i.secret { None } else { i.value },
            id: i.id,
            label: i.label,
            key: i.key,
            secret: i.secret,
            fingerprint: i.fingerprint,
        }
    }
}

/// A value as `Debug` may show it: a secret one never.
fn shown(value: Option<&String>, secret: bool) -> Option<&str> {
    value.map(|v| if secret { "[secret]" } else { v.as_str() })
}

impl fmt::Debug for ItemRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemRef")
            .field("id", &self.id)
            .field("label", &self.label)
            .field("key", &self.key)
            .field("value", &shown(self.value.as_ref(), self.secret))
            .field("secret", &self.secret)
            .finish()
    }
}

impl ItemRef {
    /// An item as shown, from what is stored: the value of a secret item is dropped
    /// here, so that no adapter has to remember to.
    pub fn new(id: EntryId, label: String, item: Option<ItemView>) -> Self {
        let item = item.unwrap_or_else(|| ItemView::new(label.clone(), None, false));
        let fingerprint = item.fingerprint.clone();
        let item = ItemView::new(item.key, item.value, item.secret).with_fingerprint(fingerprint);
        Self {
            id,
            label,
            key: item.key,
            value: item.value,
            secret: item.secret,
            fingerprint: item.fingerprint,
        }
    }
}

/// The item part of a catalog entry as read back ([`ItemView::new`] drops a secret
/// value; `Debug` never shows one, should a program set it).
#[derive(Clone, PartialEq, Eq)]
pub struct ItemView {
    /// The key.
    pub key: String,
    /// The value, `None` when secret.
    pub value: Option<String>,
    /// Whether the value is secret.
    pub secret: bool,
    /// A secret value's fingerprint, when the store has one.
    pub fingerprint: Option<String>,
}

impl fmt::Debug for ItemView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemView")
            .field("key", &self.key)
            .field("value", &shown(self.value.as_ref(), self.secret))
            .field("secret", &self.secret)
            .finish()
    }
}

impl ItemView {
    /// The item as it may be read back: a secret value is dropped.
    pub fn new(key: String, value: Option<String>, secret: bool) -> Self {
        Self {
            key,
            value: if secret { None } else { value },
            secret,
            fingerprint: None,
        }
    }

    /// With a secret value's fingerprint (dropped for an item that is not secret).
    #[must_use]
    pub fn with_fingerprint(mut self, fingerprint: Option<String>) -> Self {
        self.fingerprint = fingerprint.filter(|_| self.secret);
        self
    }
}
