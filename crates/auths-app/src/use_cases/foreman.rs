//! The Foreman-compatible API over the same auths: `auth_source_externals` (auths with
//! the `external` protocol, by number), locations, and organizations (departments).
//! The same rules apply as in v5: permissions, department scope, versions, audit.

use auths_domain::catalog::PROTOCOL_EXTERNAL;
use auths_domain::external::{ExternalQuery, FIELDS, SORTABLE};
use auths_domain::prelude::*;
use auths_domain::scoped_search::{self, Direction};
use auths_domain::{
    Auth, AuthFields, AuthName, Caller, CatalogEntry, CatalogKind, EntryId, FieldProblem,
    NameChoice, Operation, PageRequest, Store,
};

use std::sync::Arc;

use crate::answers::Tag;
use crate::{AppError, AuthService};

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

    /// Its name in messages.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Location => "Location",
            Self::Organization => "Organization",
        }
    }
}

/// An index request, checked by the HTTP layer for shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRequest {
    /// scoped_search text.
    pub search: Option<String>,
    /// `field [ASC|DESC]`.
    pub order: Option<String>,
    /// Which page; `None` for all.
    pub page: Option<PageRequest>,
    /// Location scope (its number).
    pub location: Option<i64>,
    /// Organization scope (its number).
    pub organization: Option<i64>,
}

/// An index answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexResult {
    /// This page's records.
    pub rows: Vec<Auth>,
    /// Visible in the taxonomy scope, ignoring the search.
    pub total: u64,
    /// Matching the search too.
    pub subtotal: u64,
    /// The taxonomies the request was scoped to (for `Foreman_current_*`).
    pub scope: Vec<CatalogEntry>,
    /// The locations and departments the rows show (for their numbers).
    pub entries: Vec<CatalogEntry>,
}

impl IndexResult {
    /// An estimate of the bytes it holds, for the answer cache's bound.
    fn weight(&self) -> usize {
        512 + super::search::AUTH_BYTES * self.rows.len()
            + 256 * (self.scope.len() + self.entries.len())
    }
}

/// One record with what its view needs, read in one snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalView {
    /// The record.
    pub auth: Auth,
    /// The taxonomies the request was scoped to.
    pub scope: Vec<CatalogEntry>,
    /// The locations and departments it shows.
    pub entries: Vec<CatalogEntry>,
}

/// The taxonomies a request is scoped to, each of which must exist and be visible.
fn scope_taxonomies<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    location: Option<i64>,
    organization: Option<i64>,
) -> Result<Vec<CatalogEntry>, AppError> {
    let mut found = Vec::new();
    for (t, n) in [
        (Taxonomy::Location, location),
        (Taxonomy::Organization, organization),
    ] {
        if let Some(n) = n {
            found.push(visible_taxonomy(tx, caller, t, n)?);
        }
    }
    Ok(found)
}

/// The locations and departments `auths` show.
fn entries_of<T: Repositories>(tx: &mut T, auths: &[Auth]) -> Result<Vec<CatalogEntry>, AppError> {
    let locations: Vec<EntryId> = auths
        .iter()
        .flat_map(|a| a.locations.iter().map(|r| r.id.clone()))
        .collect();
    let departments: Vec<EntryId> = auths.iter().flat_map(Auth::department_ids).collect();
    let mut out = tx.entries_by_ids(CatalogKind::Locations, &locations)?;
    out.extend(tx.entries_by_ids(CatalogKind::Departments, &departments)?);
    Ok(out)
}

/// What a Foreman update may change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExternalChanges {
    /// A new name.
    pub name: Option<String>,
    /// Locations by number (the whole set).
    pub location_ids: Option<Vec<i64>>,
    /// Organizations by number (the whole set).
    pub organization_ids: Option<Vec<i64>>,
    /// Locations by name (the whole set).
    pub location_names: Option<Vec<String>>,
    /// Organizations by name (the whole set).
    pub organization_names: Option<Vec<String>>,
}

/// `Resource auth_source_external not found by id '<id>'`.
pub fn external_not_found(raw_id: &str) -> AppError {
    AppError::NotFound(format!(
        "Resource auth_source_external not found by id '{raw_id}'"
    ))
}

fn taxonomy_not_found(t: Taxonomy, number: i64) -> AppError {
    AppError::NotFound(format!("{} with id {number} not found", t.label()))
}

fn is_external(a: &Auth) -> bool {
    a.protocols
        .iter()
        .any(|p| p.id.as_str() == PROTOCOL_EXTERNAL)
}

/// A taxonomy the caller may see: any location; an organization in their scope.
fn visible_taxonomy<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    t: Taxonomy,
    number: i64,
) -> Result<CatalogEntry, AppError> {
    let entry = tx
        .entry_by_number(t.kind(), number)?
        .ok_or_else(|| taxonomy_not_found(t, number))?;
    if t == Taxonomy::Organization && !caller.can_see(std::slice::from_ref(&entry.id)) {
        return Err(taxonomy_not_found(t, number));
    }
    Ok(entry)
}

impl<S: Store> AuthService<S> {
    /// Checks the taxonomy scope of a request (the spec's second check, after
    /// credentials and permission): each given taxonomy must exist and be visible.
    ///
    /// # Errors
    /// `NotFound` with Foreman's message.
    pub fn check_taxonomies(
        &self,
        caller: &Caller,
        location: Option<i64>,
        organization: Option<i64>,
    ) -> Result<Vec<CatalogEntry>, AppError> {
        self.store
            .read(|tx| scope_taxonomies(tx, caller, location, organization))
    }

    /// The index of auth source externals.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound` (taxonomy), `Query` (search or order not supported).
    pub fn external_index(
        &self,
        caller: &Caller,
        req: &IndexRequest,
    ) -> Result<Arc<IndexResult>, AppError> {
        caller.may(Operation::Search)?;
        let filter = match req.search.as_deref().map(scoped_search::parse).transpose() {
            Err(e) => return Err(AppError::Query(e.message)),
            Ok(q) => q
                .flatten()
                .map(|q| scoped_search::check(&q, &FIELDS, "name"))
                .transpose()
                .map_err(|e| AppError::Query(e.message))?,
        };
        let order = match req.order.as_deref().filter(|o| !o.trim().is_empty()) {
            None => ("id", Direction::Asc),
            Some(o) => {
                let (f, d) = scoped_search::parse_order(o, &SORTABLE)
                    .map_err(|e| AppError::Query(e.message))?;
                (f, d.unwrap_or(Direction::Asc))
            }
        };
        let key = format!("{caller:?}{req:?}");
        self.cached(Tag::ExternalIndex, key, IndexResult::weight, |tx| {
            let scope = scope_taxonomies(tx, caller, req.location, req.organization)?;
            let hits = tx.search_externals(&ExternalQuery {
                filter,
                location: req.location,
                organization: req.organization,
                scope: caller.scope(),
                order,
                page: req.page,
            })?;
            let rows = tx.auths_by_numbers(&hits.numbers)?;
            let entries = entries_of(tx, &rows)?;
            Ok(IndexResult {
                rows,
                total: hits.total,
                subtotal: hits.subtotal,
                scope,
                entries,
            })
        })
    }

    fn visible_external<T: Repositories>(
        tx: &mut T,
        caller: &Caller,
        raw_id: &str,
        number: Option<i64>,
        location: Option<i64>,
        organization: Option<i64>,
    ) -> Result<Auth, AppError> {
        let auth = match number {
            Some(n) => tx.auth_by_number(n)?,
            None => None,
        }
        .filter(|a| is_external(a) && caller.can_see(&a.department_ids()))
        .ok_or_else(|| external_not_found(raw_id))?;
        let linked = |refs: &[auths_domain::EntryRef],
                      kind: CatalogKind,
                      n: Option<i64>,
                      tx: &mut T|
         -> Result<bool, AppError> {
            let Some(n) = n else { return Ok(true) };
            let ids: Vec<EntryId> = refs.iter().map(|r| r.id.clone()).collect();
            Ok(tx.entries_by_ids(kind, &ids)?.iter().any(|e| e.number == n))
        };
        if !linked(&auth.locations, CatalogKind::Locations, location, tx)?
            || !linked(
                &auth.departments,
                CatalogKind::Departments,
                organization,
                tx,
            )?
        {
            return Err(external_not_found(raw_id));
        }
        Ok(auth)
    }

    /// One auth source external, by the id as given (its leading digits are the number).
    ///
    /// # Errors
    /// `Forbidden`, `NotFound` (Foreman's message).
    pub fn external(
        &self,
        caller: &Caller,
        raw_id: &str,
        location: Option<i64>,
        organization: Option<i64>,
    ) -> Result<ExternalView, AppError> {
        caller.may(Operation::Get)?;
        let number = leading_number(raw_id);
        self.store.read(|tx| {
            let scope = scope_taxonomies(tx, caller, location, organization)?;
            let auth = Self::visible_external(tx, caller, raw_id, number, location, organization)?;
            let entries = entries_of(tx, std::slice::from_ref(&auth))?;
            Ok(ExternalView {
                auth,
                scope,
                entries,
            })
        })
    }

    /// Updates an auth source external: a new name, and `*_ids`/`*_names` replacing
    /// whole sets, as one new version of the auth (audited, conditional on the version).
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`, `Invalid` (Foreman's validation messages by field:
    /// "can't be blank", "has already been taken", unknown taxonomies named).
    pub fn update_external(
        &self,
        caller: &Caller,
        raw_id: &str,
        location: Option<i64>,
        organization: Option<i64>,
        changes: &ExternalChanges,
    ) -> Result<ExternalView, AppError> {
        caller.may(Operation::Update)?;
        let number = leading_number(raw_id);
        self.store.write(|tx| {
            let auth = Self::visible_external(tx, caller, raw_id, number, location, organization)?;
            let mut problems = Vec::new();
            let name = match &changes.name {
                None => None,
                Some(n) => match AuthName::parse(n) {
                    Ok(n) => Some(NameChoice::Text(n)),
                    Err(_) => {
                        problems.push(FieldProblem::new("name", "can't be blank"));
                        None
                    }
                },
            };
            let mut set = |t: Taxonomy,
                           ids: &Option<Vec<i64>>,
                           names: &Option<Vec<String>>,
                           tx: &mut S::Tx|
             -> Result<Option<Vec<EntryId>>, AppError> {
                let field = if t == Taxonomy::Location {
                    "location_ids"
                } else {
                    "organization_ids"
                };
                let mut out: Option<Vec<EntryId>> = None;
                if let Some(ids) = ids {
                    let list = out.get_or_insert_with(Vec::new);
                    for n in ids {
                        match tx.entry_by_number(t.kind(), *n)? {
                            Some(e)
                                if t == Taxonomy::Location
                                    || caller.can_see(std::slice::from_ref(&e.id)) =>
                            {
                                list.push(e.id)
                            }
                            _ => problems.push(FieldProblem::new(
                                field,
                                format!("{} with id {n} not found", t.label()),
                            )),
                        }
                    }
                }
                if let Some(names) = names {
                    let field = if t == Taxonomy::Location {
                        "location_names"
                    } else {
                        "organization_names"
                    };
                    let list = out.get_or_insert_with(Vec::new);
                    for name in names {
                        match tx.entry_by_label(t.kind(), name)? {
                            Some(e)
                                if t == Taxonomy::Location
                                    || caller.can_see(std::slice::from_ref(&e.id)) =>
                            {
                                list.push(e.id)
                            }
                            _ => problems.push(FieldProblem::new(
                                field,
                                format!("{} with name '{name}' not found", t.label()),
                            )),
                        }
                    }
                }
                if let Some(list) = out.as_mut() {
                    list.sort();
                    list.dedup();
                }
                Ok(out)
            };
            let location_ids = set(
                Taxonomy::Location,
                &changes.location_ids,
                &changes.location_names,
                tx,
            )?;
            let department_ids = set(
                Taxonomy::Organization,
                &changes.organization_ids,
                &changes.organization_names,
                tx,
            )?;
            if let Some(NameChoice::Text(n)) = &name
                && let Some(e) = tx.entry_by_label(CatalogKind::Names, n.as_str())?
                && tx
                    .auth_named(&e.id)?
                    .is_some_and(|owner| owner != auth.auth_id)
            {
                problems.push(FieldProblem::new("name", "has already been taken"));
            }
            if !problems.is_empty() {
                return Err(AppError::Invalid(problems));
            }
            let patch = AuthFields {
                name,
                location_ids,
                department_ids,
                ..AuthFields::default()
            };
            super::update::update_in(tx, caller, &auth.auth_id, Some(auth.version), &patch)
                .map_err(|e| match e {
                    AppError::Conflict { ref message, .. } if message.contains("name") => {
                        AppError::Invalid(vec![FieldProblem::new("name", "has already been taken")])
                    }
                    other => other,
                })?;
            let auth = tx
                .auth_by_id(&auth.auth_id)?
                .ok_or_else(|| external_not_found(raw_id))?;
            let scope = scope_taxonomies(tx, caller, location, organization)?;
            let entries = entries_of(tx, std::slice::from_ref(&auth))?;
            Ok(ExternalView {
                auth,
                scope,
                entries,
            })
        })
    }

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
                .filter(|e| t == Taxonomy::Location || caller.can_see(std::slice::from_ref(&e.id)))
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
    /// `Forbidden`, `NotFound` (Foreman's message).
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

    /// Creates a taxonomy (a location, or an organization, which is a department).
    ///
    /// # Errors
    /// As [`AuthService::create_entry`], with the name as `label`.
    pub fn create_taxonomy(
        &self,
        caller: &Caller,
        t: Taxonomy,
        name: &str,
    ) -> Result<CatalogEntry, AppError> {
        self.create_entry(caller, t.kind(), &crate::EntryInput::Label(name.to_owned()))
    }
}

/// Foreman reads an id by its leading digits (`"3-foo"` is 3); none is no id.
pub fn leading_number(raw: &str) -> Option<i64> {
    let digits: String = raw
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_their_leading_digits() {
        assert_eq!(super::leading_number("3-foo"), Some(3));
        assert_eq!(super::leading_number("42.json"), Some(42));
        assert_eq!(super::leading_number("foo"), None);
        assert_eq!(super::leading_number("99999999999999999999"), None);
    }
}
