//! Search auths, with the department facet.

use auths_domain::prelude::*;
use auths_domain::values::fold_case;
use auths_domain::{
    AuthQuery, Caller, CatalogKind, EntryId, EntryRef, Operation, PageRequest, Store, search_terms,
};

use std::sync::Arc;

use auths_domain::Auth;

use crate::answers::Tag;
use crate::{AppError, AuthService};

/// Most options the department facet lists.
pub const MAX_FACET_OPTIONS: usize = 100;

/// A search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    /// Words to match (all of them, each as a word prefix).
    pub text: Option<String>,
    /// Only auths in one of these departments.
    pub departments: Option<Vec<EntryId>>,
    /// Narrows the facet's options by department name.
    pub department_search: Option<String>,
    /// Which page.
    pub page: PageRequest,
}

/// One option of the department facet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetOption {
    /// The department.
    pub department: EntryRef,
    /// Matching auths in it, ignoring the department filter.
    pub count: u64,
    /// Whether the filter selects it.
    pub selected: bool,
}

/// One auth of a page of results, as the index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// The auth (a result shows part of it).
    pub auth: Arc<Auth>,
    /// Whether the caller may edit it.
    pub can_edit: bool,
}

/// What a search answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchResult {
    /// This page, best match first, then by name; each with `can_edit` for the caller.
    pub auths: Vec<SearchHit>,
    /// Matching auths in all.
    pub total: u64,
    /// The department facet: options with a count, or selected, by count then name.
    pub departments: Vec<FacetOption>,
}

impl<S: Store> AuthService<S> {
    /// Builds the store's search index now (at start-up, off the request path), so
    /// that the first search does not wait for it; answers how long it took.
    ///
    /// # Errors
    /// Storage errors.
    pub fn warm_search_index(&self) -> Result<std::time::Duration, AppError> {
        let started = std::time::Instant::now();
        let query = AuthQuery {
            terms: Vec::new(),
            departments: None,
            scope: None,
            page: auths_domain::PageRequest {
                limit: 1,
                offset: 0,
            },
        };
        self.store.read(|tx| tx.search_auths(&query))?;
        Ok(started.elapsed())
    }

    /// Searches the auths the caller may see.
    ///
    /// # Errors
    /// `Forbidden` without the view permission; storage errors.
    pub fn search(
        &self,
        caller: &Caller,
        request: &SearchRequest,
    ) -> Result<SearchResult, AppError> {
        caller.may(Operation::Search)?;
        let query = AuthQuery {
            terms: request
                .text
                .as_deref()
                .map(search_terms)
                .unwrap_or_default(),
            departments: request.departments.clone(),
            scope: caller.scope(),
            page: request.page,
        };
        // The answer depends on the caller (scope, can_edit) and the request only.
        let key = format!("{caller:?}{request:?}");
        let found = self.cached(Tag::Search, key, SearchResult::weight, |tx| {
            // The page's rows come from the index, at the generation it was brought
            // to (never older than this transaction's snapshot): no further read.
            let hits = tx.search_auths(&query)?;
            let auths = hits
                .rows
                .iter()
                .map(|doc| SearchHit {
                    can_edit: caller.edit_denial(&doc.flag, &doc.departments).is_none(),
                    auth: Arc::clone(doc),
                })
                .collect();
            let selected = request.departments.clone().unwrap_or_default();
            let mut departments: Vec<EntryRef> =
                hits.departments.iter().map(|(d, _)| d.clone()).collect();
            // A selected department no match is in is still an option (count 0), if
            // the caller sees it: its label is read only then.
            let missing: Vec<EntryId> = selected
                .iter()
                .filter(|id| !departments.iter().any(|d| d.id == **id))
                .filter(|id| {
                    caller.sees_entry(
                        CatalogKind::Departments,
                        id,
                        &auths_domain::catalog::EntryUsage::default(),
                    )
                })
                .cloned()
                .collect();
            if !missing.is_empty() {
                departments.extend(
                    tx.entries_by_ids(CatalogKind::Departments, &missing)?
                        .iter()
                        .map(auths_domain::CatalogEntry::to_ref),
                );
            }
            let needle = request
                .department_search
                .as_deref()
                .map(|s| fold_case(s.trim()));
            let mut options: Vec<FacetOption> = departments
                .into_iter()
                .filter(|d| {
                    needle
                        .as_ref()
                        .is_none_or(|n| fold_case(&d.label).contains(n.as_str()))
                })
                .map(|d| FacetOption {
                    count: hits
                        .departments
                        .iter()
                        .find(|(x, _)| x.id == d.id)
                        .map_or(0, |(_, n)| *n),
                    selected: selected.contains(&d.id),
                    department: d,
                })
                .collect();
            options.sort_by(|a, b| {
                b.count.cmp(&a.count).then_with(|| {
                    fold_case(&a.department.label).cmp(&fold_case(&b.department.label))
                })
            });
            options.truncate(MAX_FACET_OPTIONS);
            Ok(SearchResult {
                auths,
                total: hits.total,
                departments: options,
            })
        })?;
        Ok(Arc::unwrap_or_clone(found))
    }
}

impl SearchResult {
    /// An estimate of the bytes it holds, for the answer cache's bound.
    fn weight(&self) -> usize {
        512 + AUTH_BYTES * self.auths.len() + 128 * self.departments.len()
    }
}

/// An estimate of the bytes of one resolved auth with its sections.
pub(crate) const AUTH_BYTES: usize = 2048;
