//! Taxonomies, as the Foreman-compatible API knows them: locations (their own catalog)
//! and organizations (our departments). The rules of catalogs and of department scope
//! apply; the wording is the API's.

use auths_domain::external::{TaxonomyField, TaxonomyQuery};
use auths_domain::prelude::*;
use auths_domain::scoped_search::{self, Direction, SearchField};
use auths_domain::{Caller, CatalogEntry, CatalogKind, EntryText, Operation, PageRequest, Store};

use crate::error::Missing;
use crate::{AppError, AuthService, Refused};

/// A taxonomy as a request gives it: its name and description, as sent (`None`: not
/// given; a description `Some(None)` or blank clears it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaxonomyChanges {
    /// The name.
    pub name: Option<String>,
    /// The description.
    pub description: Option<Option<String>>,
}

/// A description checked by the domain's rule for descriptions (trimmed; blank is
/// none).
fn description(raw: Option<&str>) -> Result<Option<String>, AppError> {
    Ok(match raw {
        None => None,
        Some(d) => auths_domain::Description::parse(d)?.map(|d| d.as_str().to_owned()),
    })
}

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

    /// Creates a taxonomy (a location, or an organization, which is a department) as
    /// the adapter read it from the request (its name and description): the permission
    /// is checked before the request's own refusal, as Foreman does.
    ///
    /// # Errors
    /// `Forbidden`; the request's refusal; as [`AuthService::create_entry`], with the
    /// name as `label`; `Invalid` for a description too long or with control
    /// characters.
    pub fn create_taxonomy<R>(
        &self,
        caller: &Caller,
        t: Taxonomy,
        input: Result<TaxonomyChanges, R>,
    ) -> Result<CatalogEntry, Refused<R>> {
        caller
            .may(Operation::CatalogWrite)
            .map_err(AppError::from)?;
        caller.may_create_entry(t.kind()).map_err(AppError::from)?;
        let input = input.map_err(Refused::Request)?;
        let description = description(input.description.flatten().as_deref())?;
        let name = EntryText::label(input.name.unwrap_or_default());
        Ok(self.store.write(|tx| {
            super::catalog::create_entry_in(tx, caller, t.kind(), &name, description.as_deref())
        })?)
    }

    /// Changes the taxonomy numbered `number` as asked (`None` fields are left as they
    /// are): its name, its description; what is already there changes nothing and
    /// writes no audit record. The permission first, then the request's refusal, as
    /// Foreman does; name and description change in one transaction.
    ///
    /// # Errors
    /// `Forbidden`; `NotFound` (no such taxonomy, or one the caller does not see); the
    /// request's refusal; as [`AuthService::update_entry`], with the name as `label`.
    pub fn update_taxonomy<R>(
        &self,
        caller: &Caller,
        t: Taxonomy,
        number: i64,
        changes: Result<TaxonomyChanges, R>,
    ) -> Result<CatalogEntry, Refused<R>> {
        caller
            .may(Operation::CatalogWrite)
            .map_err(AppError::from)?;
        let entry = self
            .store
            .read(|tx| visible_taxonomy(tx, caller, t, number))?;
        let changes = changes.map_err(Refused::Request)?;
        let name = changes.name.filter(|n| *n != entry.label);
        let description = match changes.description {
            None => None,
            Some(d) => Some(description(d.as_deref())?),
        }
        .filter(|d| *d != entry.description);
        if name.is_none() && description.is_none() {
            // Foreman's clients send back what they read: a no-op, no audit record.
            return Ok(entry);
        }
        let (kind, id) = (t.kind(), entry.id.clone());
        let label = match &name {
            Some(n) => Some(
                kind.parse_entry(&EntryText::label(n.clone()))
                    .map_err(AppError::from)?
                    .0,
            ),
            None => None,
        };
        Ok(self.store.write(|tx| {
            super::catalog::update_entry_in(tx, caller, kind, &id, |tx| {
                let mut now = None;
                if let Some(label) = &label {
                    now = tx
                        .update_entry(kind, &id, label, None, crate::clock::now())
                        .map_err(|e| match e {
                            auths_domain::RepoError::Conflict(_) => crate::Conflict::LabelTaken {
                                kind,
                                label: label.clone(),
                            }
                            .into(),
                            other => AppError::from(other),
                        })?;
                }
                if let Some(d) = &description {
                    now = tx.set_description(kind, &id, d.as_deref(), crate::clock::now())?;
                }
                Ok(now)
            })
        })?)
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
