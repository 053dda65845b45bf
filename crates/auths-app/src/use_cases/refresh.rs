//! Rebuild derived views and drop caches.

use auths_domain::prelude::*;
use auths_domain::{Caller, Operation, Store};

use crate::answers::Tag;
use crate::{AppError, AuthService};

/// What a refresh did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refreshed {
    /// The derived views rebuilt from the source tables.
    pub views: Vec<String>,
    /// The caches dropped.
    pub caches: Vec<String>,
    /// How many auths the search index now holds.
    pub indexed: u64,
}

impl<S: Store> AuthService<S> {
    /// Rebuilds the search index (and name keys) from the source tables and empties
    /// the verified-key cache and the cached answers. Needed only after out-of-band changes to the database.
    ///
    /// # Errors
    /// `Forbidden` (admins only; MCP needs MCP writes); storage errors.
    pub fn refresh(&self, caller: &Caller) -> Result<Refreshed, AppError> {
        caller.may(Operation::Refresh)?;
        let indexed = self.store.write(|tx| {
            let n = tx.rebuild_search_index()?;
            crate::audit::record_other(
                tx,
                caller,
                "auths.refresh",
                &serde_json::json!({"indexed": n}),
            )?;
            Ok::<_, AppError>(n)
        })?;
        self.keys.clear();
        self.answers.clear();
        let mut caches = vec!["verified_keys".to_owned()];
        caches.extend(Tag::ALL.iter().map(|t| t.as_str().to_owned()));
        Ok(Refreshed {
            views: vec!["search_index".to_owned()],
            caches,
            indexed,
        })
    }
}
