//! Taxonomies, as the Foreman-compatible API knows them: locations (their own catalog)
//! and organizations (our departments). The rules of catalogs and of department scope
//! apply; the wording is the API's.

use auths_domain::external::{TaxonomyField, TaxonomyQuery};
use auths_domain::prelude::*;
use auths_domain::scoped_search::{self, Direction, SearchField};
use auths_domain::{Caller, CatalogEntry, CatalogKind, EntryText, Operation, PageRequest, Store};

use crate::error::Missing;
use crate::{AppError, AuthService, Refused};

/// Which taxonomy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taxonomy {
    /// Locations.
    Location,
    /// Organizations (our departments).
    Organization,
}

impl Taxonomy {
    /// The catalog behind it.
    pub const fn kind(self) -> CatalogKind {
        match self {
            Self::Location => CatalogKind::Locations,
            Self::Organization => CatalogKind::Departments,
        }
    }

    /// The "not found" of this taxonomy's entry numbered `number`.
    pub(crate) fn missing(self, number: i64) -> AppError {
        Missing::Taxon {
            kind: self.kind(),
            number,
        }
        .into()
    }
}

/// A taxonomy the caller may see, by number, in the caller's transaction.
pub(crate) fn visible_taxonomy<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    t: Taxonomy,
    number: i64,
) -> Result<CatalogEntry, AppError> {
    match tx.entry_by_number(t.kind(), number)? {
        Some(e) if super::scope::sees(tx, caller, &e)? => Ok(e),
        _ => Err(t.missing(number)),
    }
}

impl<S: Store> AuthService<S> {
    /// Taxonomies the caller may see that `search` keeps (scoped_search over `name`,
    /// `title`, `id`), in `order` (`title ASC` by default), with paging (`None`: all);
    /// and how many the caller sees, and how many the search keeps.
    ///
    /// # Errors
    /// `Forbidden`; `Query` for a search or order that is not well formed.
    pub fn taxonomies(
        &self,
        caller: &Caller,
        t: Taxonomy,
        search: Option<&str>,
        order: Option<&str>,
        page: Option<PageRequest>,
    ) -> Result<(Vec<CatalogEntry>, u64, u64), AppError> {
        caller.may(Operation::CatalogRead)?;
        let filter = match search.map(scoped_search::parse).transpose()? {
            Some(Some(q)) => Some(scoped_search::check(&q, TaxonomyField::Name)?),
            _ => None,
        };
        let order = match order.filter(|o| !o.trim().is_empty()) {
            None => (TaxonomyField::Title, Direction::Asc),
            Some(o) => {
                let (f, d) = scoped_search::parse_order(o, TaxonomyField::ALL)?;
                (f, d.unwrap_or(Direction::Asc))
            }
        };
        let searched = filter.is_some();
        let query = TaxonomyQuery {
            filter,
            order,
            scope: caller.scope(),
            page: page.unwrap_or(PageRequest {
                limit: u32::MAX,
                offset: 0,
            }),
        };
        self.store
            .read(|tx| {
                let kept = tx.search_taxonomies(t.kind(), &query)?;
                let total = if searched {
                    let one = PageRequest {
                        limit: 1,
                        offset: 0,
                    };
                    tx.list_entries(t.kind(), None, query.scope.as_deref(), one)?
                        .total
                } else {
                    kept.total
                };
                Ok::<_, auths_domain::RepoError>((kept.rows, total, kept.total))
            })
            .map_err(AppError::from)
    }

    /// One taxonomy by number.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`.
    pub fn taxonomy(
        &self,
        caller: &Caller,
        t: Taxonomy,
        number: i64,
    ) -> Result<CatalogEntry, AppError> {
        caller.may(Operation::CatalogRead)?;
        self.store
            .read(|tx| visible_taxonomy(tx, caller, t, number))
    }

    /// Creates a taxonomy (a location, or an organization, which is a department)
    /// named `name`, as the adapter read it from the request: the permission is checked
    /// before the request's own refusal, as Foreman does.
    ///
    /// # Errors
    /// `Forbidden`; the request's refusal; as [`AuthService::create_entry`], with the
    /// name as `label`.
    pub fn create_taxonomy<R>(
        &self,
        caller: &Caller,
        t: Taxonomy,
        name: Result<String, R>,
    ) -> Result<CatalogEntry, Refused<R>> {
        caller
            .may(Operation::CatalogWrite)
            .map_err(AppError::from)?;
        let name = name.map_err(Refused::Request)?;
        Ok(self.create_entry_allowed(caller, t.kind(), &EntryText::label(name))?)
    }

    /// Renames the taxonomy numbered `number` to `name` when one is given (`None`: a
    /// body that changes nothing we keep, such as only a description): the permission
    /// first, then the request's refusal, as Foreman does.
    ///
    /// # Errors
    /// `Forbidden`; `NotFound` (no such taxonomy, or one the caller does not see); the
    /// request's refusal; as [`AuthService::update_entry`], with the name as `label`.
    pub fn update_taxonomy<R>(
        &self,
        caller: &Caller,
        t: Taxonomy,
        number: i64,
        name: Result<Option<String>, R>,
    ) -> Result<CatalogEntry, Refused<R>> {
        caller
            .may(Operation::CatalogWrite)
            .map_err(AppError::from)?;
        let entry = self
            .store
            .read(|tx| visible_taxonomy(tx, caller, t, number))?;
        let Some(name) = name.map_err(Refused::Request)? else {
            return Ok(entry);
        };
        if name == entry.label {
            // Foreman's clients send back what they read: a no-op, no audit record.
            return Ok(entry);
        }
        Ok(self.update_entry(caller, t.kind(), &entry.id, &EntryText::label(name))?)
    }

    /// Deletes the taxonomy numbered `number` and answers it as it was.
    ///
    /// # Errors
    /// `Forbidden` (catalog deletes are for admins); `NotFound`; `Conflict` while an
    /// auth uses it, or for a seeded entry.
    pub fn destroy_taxonomy(
        &self,
        caller: &Caller,
        t: Taxonomy,
        number: i64,
    ) -> Result<CatalogEntry, AppError> {
        caller.may(Operation::CatalogDelete)?;
        let entry = self
            .store
            .read(|tx| visible_taxonomy(tx, caller, t, number))?;
        self.delete_entry(caller, t.kind(), &entry.id)?;
        Ok(entry)
    }
}
