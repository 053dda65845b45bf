//! Search auths, with the department facet.

use auths_domain::prelude::*;
use auths_domain::values::fold_case;
use auths_domain::{
    AuthQuery, Caller, CatalogKind, EntryId, EntryRef, Operation, PageRequest, Store, search_terms,
};

use super::get::AuthView;
use std::sync::Arc;

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

/// What a search answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchResult {
    /// This page, best match first, then by name; each with `can_edit` for the caller.
    pub auths: Vec<AuthView>,
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
            let hits = tx.search_auths(&query)?;
            // The rows are read in this transaction's snapshot, which may be older than
            // the index that chose them (another search brought it further): the scope
            // is checked again on what this snapshot says, so that an auth moved into
            // the caller's departments since is never shown as it was before.
            let auths = tx
                .auths_by_numbers(&hits.numbers)?
                .into_iter()
                .filter(|a| {
                    let departments: Vec<EntryId> =
                        a.departments.iter().map(|d| d.id.clone()).collect();
                    caller.can_see(&departments)
                })
                .map(|a| AuthView::new(a, caller))
                .collect();
            let selected = request.departments.clone().unwrap_or_default();
            let mut ids: Vec<EntryId> = hits.departments.iter().map(|(id, _)| id.clone()).collect();
            // A selected department is an option only if the caller sees it (the
            // departments of the auths found are seen with them).
            let usage = auths_domain::catalog::EntryUsage::default();
            ids.extend(
                selected
                    .iter()
                    .filter(|id| caller.sees_entry(CatalogKind::Departments, id, &usage))
                    .cloned(),
            );
            ids.sort();
            ids.dedup();
            let needle = request
                .department_search
                .as_deref()
                .map(|s| fold_case(s.trim()));
            let mut options: Vec<FacetOption> = tx
                .entries_by_ids(CatalogKind::Departments, &ids)?
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
                        .find(|(id, _)| *id == d.id)
                        .map_or(0, |(_, n)| *n),
                    selected: selected.contains(&d.id),
                    department: d.to_ref(),
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
