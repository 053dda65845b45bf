//! Auth source externals (auths with the `external` protocol, by number), the
//! resource of the Foreman-compatible API, over the same rules as v5: permissions,
//! department scope, versions, audit. Reasons are types; the Foreman adapter words
//! them.

use std::sync::Arc;

use auths_domain::external::{ExternalField, ExternalQuery, SORTABLE, names_field};
use auths_domain::ldap::SourceKind;
use auths_domain::prelude::*;
use auths_domain::scoped_search::QueryError;
use auths_domain::scoped_search::{self, Direction};
use auths_domain::{
    Auth, AuthFields, AuthName, Caller, CatalogEntry, CatalogKind, EntryId, EntryKey, FieldProblem,
    NameChoice, Operation, PageRequest, RepoError, Rule, Store,
};

use super::taxonomies::{Taxonomy, visible_taxonomy};
use crate::answers::Tag;
use crate::error::Missing;
use crate::{AppError, AuthService};

/// An index request, checked by the adapter for shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRequest {
    /// Which kind of source (`None`: every kind, `/api/auth_sources`).
    pub kind: Option<SourceKind>,
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

/// What an update may change.
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

/// An update refused: by the use case, or because of the request the adapter read
/// (its media type or body), at the point the checks' order reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused<R> {
    /// A use case's refusal.
    App(AppError),
    /// The request's.
    Request(R),
}

impl<R> From<AppError> for Refused<R> {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl<R> From<RepoError> for Refused<R> {
    fn from(e: RepoError) -> Self {
        Self::App(e.into())
    }
}

/// The taxonomies a request is scoped to, each of which must exist and be visible.
pub(crate) fn scope_taxonomies<T: Repositories>(
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
pub(crate) fn entries_of<T: Repositories>(
    tx: &mut T,
    auths: &[Auth],
) -> Result<Vec<CatalogEntry>, AppError> {
    let mut locations: Vec<EntryId> = auths
        .iter()
        .flat_map(|a| a.locations.iter().map(|r| r.id.clone()))
        .collect();
    let mut departments: Vec<EntryId> = auths.iter().flat_map(Auth::department_ids).collect();
    for ids in [&mut locations, &mut departments] {
        ids.sort();
        ids.dedup();
    }
    let mut out = tx.entries_by_ids(CatalogKind::Locations, &locations)?;
    out.extend(tx.entries_by_ids(CatalogKind::Departments, &departments)?);
    Ok(out)
}

/// Whether `auth` is a source of `kind` (`None`: of any kind Foreman knows).
pub(crate) fn of_kind(auth: &Auth, kind: Option<SourceKind>) -> bool {
    kind.map_or_else(|| SourceKind::of(auth).is_some(), |k| k.holds(auth))
}

/// The auth source of `kind` numbered `number` that the caller may see, linked to the
/// taxonomies the request is scoped to.
pub(crate) fn visible_source<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    kind: Option<SourceKind>,
    number: Option<i64>,
    scope: &[CatalogEntry],
) -> Result<Auth, AppError> {
    let auth = match number {
        Some(n) => tx.auth_by_number(n)?,
        None => None,
    }
    .filter(|a| of_kind(a, kind) && caller.can_see(&a.department_ids()))
    .ok_or(AppError::NotFound(Missing::External))?;
    let linked = scope.iter().all(|t| {
        let refs = match t.kind {
            CatalogKind::Locations => &auth.locations,
            _ => &auth.departments,
        };
        refs.iter().any(|r| r.id == t.id)
    });
    if !linked {
        return Err(AppError::NotFound(Missing::External));
    }
    Ok(auth)
}

/// The source a Foreman PUT changes: visible as [`visible_source`] says, its row locked
/// for the rest of the transaction and read again when the lock may have waited (the PUT
/// names no version: it applies to what is there when it writes).
pub(crate) fn locked_source<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    kind: SourceKind,
    number: Option<i64>,
    scope: &[CatalogEntry],
) -> Result<Auth, AppError> {
    let auth = visible_source(tx, caller, Some(kind), number, scope)?;
    if tx.lock_auth(auth.number)? {
        return visible_source(tx, caller, Some(kind), number, scope);
    }
    Ok(auth)
}

/// The entries of taxonomy `t` named by number and by name, checked against what the
/// caller sees (or the record `held` already); `None` when neither list was given (the
/// set is left as it is).
pub(crate) fn taxonomy_set<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    held: &[EntryId],
    t: Taxonomy,
    numbers: Option<&[i64]>,
    names: Option<&[String]>,
    problems: &mut Vec<FieldProblem>,
) -> Result<Option<Vec<EntryId>>, AppError> {
    let (ids_field, names_field) = match t {
        Taxonomy::Location => ("location_ids", "location_names"),
        Taxonomy::Organization => ("organization_ids", "organization_names"),
    };
    if numbers.is_none() && names.is_none() {
        return Ok(None);
    }
    let mut out = Vec::new();
    let mut unknown = |field: &str, key: EntryKey| {
        problems.push(FieldProblem::new(
            field,
            Rule::UnknownEntry {
                kind: t.kind(),
                key,
            },
        ));
    };
    // One the caller does not see is unknown, but for one the record has already: a
    // client may send back what it read.
    let usable = |tx: &mut T, e: &CatalogEntry| -> Result<bool, AppError> {
        Ok(held.contains(&e.id) || super::scope::sees(tx, caller, e)?)
    };
    for n in numbers.unwrap_or_default() {
        match tx.entry_by_number(t.kind(), *n)? {
            Some(e) if usable(tx, &e)? => out.push(e.id),
            _ => unknown(ids_field, EntryKey::Number(*n)),
        }
    }
    for name in names.unwrap_or_default() {
        match tx.entry_by_label(t.kind(), name)? {
            Some(e) if usable(tx, &e)? => out.push(e.id),
            _ => unknown(names_field, EntryKey::Label(name.clone())),
        }
    }
    out.sort();
    out.dedup();
    Ok(Some(out))
}

/// Records read at a time when an index answer is longer than one page
/// (`per_page=all`, or above this): each batch is its own short read.
pub const INDEX_BATCH: u32 = 500;

/// A batch of a long index answer: its records and the taxonomies they show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexBatch {
    /// The records, in the index's order.
    pub rows: Vec<Auth>,
    /// The locations and departments they show (for their numbers).
    pub entries: Vec<CatalogEntry>,
}

/// The search and order of an index request, checked.
type Checked = (
    Option<scoped_search::Filter<ExternalField>>,
    (ExternalField, Direction),
);

fn checked(req: &IndexRequest) -> Result<Checked, AppError> {
    let filter = match req
        .search
        .as_deref()
        .map(scoped_search::parse)
        .transpose()?
    {
        Some(Some(q)) => Some(scoped_search::check(&q, ExternalField::Name)?),
        _ => None,
    };
    // `host` is an LDAP source's field: the other indexes do not know it.
    if req.kind != Some(SourceKind::Ldap)
        && filter
            .as_ref()
            .is_some_and(|f| names_field(f, ExternalField::Host))
    {
        return Err(QueryError::UnknownField {
            field: "host".into(),
        }
        .into());
    }
    let order = match req.order.as_deref().filter(|o| !o.trim().is_empty()) {
        None => (ExternalField::Id, Direction::Asc),
        Some(o) => {
            let (f, d) = scoped_search::parse_order(o, &SORTABLE)?;
            (f, d.unwrap_or(Direction::Asc))
        }
    };
    Ok((filter, order))
}

/// The name and taxonomy sets `changes` ask for, as fields of a patch of `auth` (or of
/// a new auth): a name that parses and is no other auth's, taxonomies that exist and
/// that the caller sees or the record holds. Problems are pushed to `problems`.
pub(crate) fn common_patch<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    auth: Option<&Auth>,
    changes: &ExternalChanges,
    problems: &mut Vec<FieldProblem>,
) -> Result<AuthFields, AppError> {
    let name = match &changes.name {
        None => None,
        Some(n) => match AuthName::parse(n) {
            Ok(n) => Some(n),
            Err(e) => {
                problems.extend(e.problems);
                None
            }
        },
    };
    let held: Vec<EntryId> = auth
        .map(|a| {
            a.locations
                .iter()
                .chain(&a.departments)
                .map(|r| r.id.clone())
                .collect()
        })
        .unwrap_or_default();
    let location_ids = taxonomy_set(
        tx,
        caller,
        &held,
        Taxonomy::Location,
        changes.location_ids.as_deref(),
        changes.location_names.as_deref(),
        problems,
    )?;
    let department_ids = taxonomy_set(
        tx,
        caller,
        &held,
        Taxonomy::Organization,
        changes.organization_ids.as_deref(),
        changes.organization_names.as_deref(),
        problems,
    )?;
    if let Some(n) = &name
        && let Some(e) = tx.entry_by_label(CatalogKind::Names, n.as_str())?
        && tx
            .auth_named(&e.id)?
            .is_some_and(|owner| auth.is_none_or(|a| owner != a.auth_id))
    {
        problems.push(FieldProblem::new("name", Rule::NameTaken));
    }
    Ok(AuthFields {
        name: name.map(NameChoice::Text),
        location_ids,
        department_ids,
        ..AuthFields::default()
    })
}

impl<S: Store> AuthService<S> {
    /// A batch of the index of auth source externals, from `req.page` (at most
    /// [`INDEX_BATCH`] records): one short read, neither counted nor cached, for an
    /// answer served a batch at a time. The order is total (by number, or by name then
    /// number), so batches read one after the other neither repeat nor skip a record
    /// that stays put.
    ///
    /// # Errors
    /// As [`AuthService::external_index`].
    pub fn external_batch(
        &self,
        caller: &Caller,
        req: &IndexRequest,
    ) -> Result<IndexBatch, AppError> {
        caller.may(Operation::Search)?;
        let (filter, order) = checked(req)?;
        let page = req.page.map(|p| PageRequest {
            limit: p.limit.min(INDEX_BATCH),
            offset: p.offset,
        });
        self.store.read(|tx| {
            let hits = tx.search_externals(&ExternalQuery {
                kind: req.kind,
                filter,
                location: req.location,
                organization: req.organization,
                scope: caller.scope(),
                order,
                page: page.or(Some(PageRequest {
                    limit: INDEX_BATCH,
                    offset: 0,
                })),
                counted: false,
            })?;
            let rows = tx.auths_by_numbers(&hits.numbers)?;
            let entries = entries_of(tx, &rows)?;
            Ok(IndexBatch { rows, entries })
        })
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
        let (filter, order) = checked(req)?;
        let key = format!("{caller:?}{req:?}");
        self.cached(Tag::ExternalIndex, key, IndexResult::weight, |tx| {
            let scope = scope_taxonomies(tx, caller, req.location, req.organization)?;
            let hits = tx.search_externals(&ExternalQuery {
                kind: req.kind,
                filter,
                location: req.location,
                organization: req.organization,
                scope: caller.scope(),
                order,
                page: req.page,
                counted: true,
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

    /// One auth source external, by number (`None`: the id named no number).
    ///
    /// # Errors
    /// `Forbidden`, `NotFound` (the taxonomy first, then the record).
    pub fn external(
        &self,
        caller: &Caller,
        kind: Option<SourceKind>,
        number: Option<i64>,
        location: Option<i64>,
        organization: Option<i64>,
    ) -> Result<ExternalView, AppError> {
        caller.may(Operation::Get)?;
        self.store.read(|tx| {
            let scope = scope_taxonomies(tx, caller, location, organization)?;
            let auth = visible_source(tx, caller, kind, number, &scope)?;
            let entries = entries_of(tx, std::slice::from_ref(&auth))?;
            Ok(ExternalView {
                auth,
                scope,
                entries,
            })
        })
    }

    /// Updates an auth source external: a new name, and `*_ids`/`*_names` replacing
    /// whole sets, as one new version of the auth (audited, conditional on the
    /// version), in one write transaction that reads the auth once. The checks run in
    /// Foreman's order: permission, taxonomy (`scope`, as the adapter read it from the
    /// request: a taxonomy id it could not read is the request's refusal), the request
    /// (`changes`, as the adapter read it: its media type and body), record,
    /// validation. A request refused before the record opens no write.
    ///
    /// # Errors
    /// `Forbidden`; the request's own refusal; `NotFound` (taxonomy, record); `Invalid`
    /// (a blank or taken name, unknown taxonomies); `Conflict` (a concurrent writer).
    pub fn update_external<R>(
        &self,
        caller: &Caller,
        number: Option<i64>,
        scope: Result<(Option<i64>, Option<i64>), R>,
        changes: Result<ExternalChanges, R>,
    ) -> Result<ExternalView, Refused<R>> {
        caller.may(Operation::Update).map_err(AppError::from)?;
        let (location, organization) = scope.map_err(Refused::Request)?;
        let scope = self
            .store
            .read(|tx| scope_taxonomies(tx, caller, location, organization))?;
        let changes = changes.map_err(Refused::Request)?;
        let write = || {
            self.store.write(|tx| {
                let auth = locked_source(tx, caller, SourceKind::External, number, &scope)?;
                let mut problems = Vec::new();
                let patch = common_patch(tx, caller, Some(&auth), &changes, &mut problems)?;
                if !problems.is_empty() {
                    return Err(AppError::Invalid(problems).into());
                }
                // Foreman's PUT names no version: it applies to what is there.
                let (_, auth) = super::update::update_loaded(tx, caller, auth, None, &patch)?;
                let entries = entries_of(tx, std::slice::from_ref(&auth))?;
                Ok(ExternalView {
                    auth,
                    scope: scope.clone(),
                    entries,
                })
            })
        };
        super::update::retrying(
            write,
            |e: &Refused<R>| matches!(e, Refused::App(a) if super::update::lost(a)),
        )
    }
}
