//! What a bulk create tells the store before its items run, so that a store with a
//! round trip a statement (PostgreSQL) can read what the items will ask in a few
//! statements and write what they make in a few more.

use chrono::{DateTime, Utc};

use crate::catalog::NewCatalogEntry;
use crate::ids::EntryId;

/// What the items of one transaction of a bulk create name, for
/// [`super::Transaction::begin_batch`]. A hint: an item that names something the plan
/// left out is still answered right, with statements of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchPlan {
    /// How many auths the items may create.
    pub items: usize,
    /// Every catalog id the items name, in any section (duplicates allowed).
    pub entry_ids: Vec<EntryId>,
    /// The slugs among them, whose owners the items will ask.
    pub slug_ids: Vec<EntryId>,
    /// Names and descriptions given as text, as the entries that the items will find
    /// in their catalogs (by kind and label, whatever the id) or add (with this id).
    pub texts: Vec<NewCatalogEntry>,
    /// When the entries of `texts` that are added were made.
    pub at: DateTime<Utc>,
}

impl BatchPlan {
    /// Whether the plan names nothing (no item to batch).
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.items == 0
    }
}
