//! Taxonomies, as the Foreman-compatible API knows them: locations (their own catalog)
//! and organizations (our departments). The rules of catalogs and of department scope
//! apply; the wording is the API's.

use auths_domain::prelude::*;
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

    /// Whether the caller may see `entry` of this taxonomy: any location; an
    /// organization in their scope.
    pub(crate) fn visible(self, caller: &Caller, entry: &CatalogEntry) -> bool {
        self == Self::Location || caller.can_see(std::slice::from_ref(&entry.id))
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
    tx.entry_by_number(t.kind(), number)?
        .filter(|e| t.visible(caller, e))
        .ok_or_else(|| t.missing(number))
}

impl<S: Store> AuthService<S> {
    /// Taxonomies the caller may see, by name, with paging (`None`: all), and the total.
    ///
    /// # Errors
    /// `Forbidden`.
    pub fn taxonomies(
        &self,
        caller: &Caller,
        t: Taxonomy,
        page: Option<PageRequest>,
    ) -> Result<(Vec<CatalogEntry>, u64), AppError> {
        caller.may(Operation::CatalogRead)?;
        self.store.read(|tx| {
            let all = tx.list_entries(
                t.kind(),
                None,
                PageRequest {
                    limit: u32::MAX,
                    offset: 0,
                },
            )?;
            let visible: Vec<CatalogEntry> = all
                .rows
                .into_iter()
                .filter(|e| t.visible(caller, e))
                .collect();
            let total = visible.len() as u64;
            let rows = match page {
                Some(p) => visible
                    .into_iter()
                    .skip(usize::try_from(p.offset).unwrap_or(usize::MAX))
                    .take(p.limit as usize)
                    .collect(),
                None => visible,
            };
            Ok((rows, total))
        })
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
}
