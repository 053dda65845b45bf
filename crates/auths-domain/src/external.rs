//! The Foreman-compatible view of auths: an *auth source external* is an auth whose
//! protocols include `external`; its id is the auth's number. Its searchable fields
//! are [`ExternalField`]; a checked filter over them is evaluated against an
//! [`ExternalRecord`] by [`crate::scoped_search::matches()`].

use crate::auth::Auth;
use crate::catalog::PROTOCOL_EXTERNAL;
use crate::ids::EntryId;
use crate::ports::PageRequest;
use crate::scoped_search::{Direction, FieldType, FieldValues, Filter, SearchField, Values};

/// The searchable fields of `auth_source_externals` (foreman-v2 spec, "Search syntax").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExternalField {
    /// The record's number.
    Id,
    /// Its name (bare words search it).
    Name,
    /// Any of its locations, by name.
    Location,
    /// Any of its organizations (departments), by name.
    Organization,
    /// Any of its locations, by number.
    LocationId,
    /// Any of its organizations, by number.
    OrganizationId,
    /// The directory's host (the item `host`): LDAP auth sources only.
    Host,
}

/// Whether `filter` names `field` anywhere (the index of one kind of source refuses
/// the fields of another: `host` is an LDAP source's).
pub fn names_field(filter: &Filter<ExternalField>, field: ExternalField) -> bool {
    match filter {
        Filter::And(a, b) | Filter::Or(a, b) => names_field(a, field) || names_field(b, field),
        Filter::Not(a) => names_field(a, field),
        Filter::Term { field: f, .. } => *f == field,
    }
}

impl SearchField for ExternalField {
    const ALL: &'static [Self] = &[
        Self::Id,
        Self::Name,
        Self::Location,
        Self::Organization,
        Self::LocationId,
        Self::OrganizationId,
        Self::Host,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Name => "name",
            Self::Location => "location",
            Self::Organization => "organization",
            Self::LocationId => "location_id",
            Self::OrganizationId => "organization_id",
            Self::Host => "host",
        }
    }

    fn ty(self) -> FieldType {
        match self {
            Self::Id | Self::LocationId | Self::OrganizationId => FieldType::Integer,
            Self::Name | Self::Location | Self::Organization | Self::Host => FieldType::String,
        }
    }
}

/// The fields an index may be ordered by.
pub const SORTABLE: [ExternalField; 2] = [ExternalField::Id, ExternalField::Name];

/// A taxonomy (a location, or an organization) as a record holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taxon {
    /// Its number.
    pub number: i64,
    /// Its name.
    pub label: String,
}

/// What a filter over [`ExternalField`] sees of an auth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalRecord {
    /// The auth's number.
    pub number: i64,
    /// Its name.
    pub name: String,
    /// Its locations.
    pub locations: Vec<Taxon>,
    /// Its departments.
    pub organizations: Vec<Taxon>,
    /// Its `host` item's value, if any.
    pub host: Option<String>,
}

impl ExternalRecord {
    /// The record of `auth`; `number_of` gives a location's or department's number
    /// (entries it does not know are left out).
    pub fn of(auth: &Auth, number_of: impl Fn(&EntryId) -> Option<i64>) -> Self {
        let taxa = |refs: &[crate::catalog::EntryRef]| {
            refs.iter()
                .filter_map(|r| {
                    number_of(&r.id).map(|number| Taxon {
                        number,
                        label: r.label.clone(),
                    })
                })
                .collect()
        };
        Self {
            number: auth.number,
            name: auth.name.label.clone(),
            locations: taxa(&auth.locations),
            organizations: taxa(&auth.departments),
            host: auth
                .items
                .iter()
                .find(|i| i.key.eq_ignore_ascii_case("host") && !i.secret)
                .and_then(|i| i.value.clone()),
        }
    }
}

impl FieldValues<ExternalField> for ExternalRecord {
    fn values(&self, field: ExternalField) -> Values<'_> {
        fn labels(t: &[Taxon]) -> Values<'_> {
            Values::Texts(t.iter().map(|t| t.label.as_str()).collect())
        }
        fn numbers(t: &[Taxon]) -> Values<'_> {
            Values::Ints(t.iter().map(|t| t.number).collect())
        }
        match field {
            ExternalField::Id => Values::Ints(vec![self.number]),
            ExternalField::Name => Values::Texts(vec![self.name.as_str()]),
            ExternalField::Location => labels(&self.locations),
            ExternalField::Organization => labels(&self.organizations),
            ExternalField::LocationId => numbers(&self.locations),
            ExternalField::OrganizationId => numbers(&self.organizations),
            ExternalField::Host => Values::Texts(self.host.iter().map(String::as_str).collect()),
        }
    }
}

/// Whether an auth is an auth source external (its protocols include `external`).
pub fn is_external(auth: &Auth) -> bool {
    auth.protocols
        .iter()
        .any(|p| p.id.as_str() == PROTOCOL_EXTERNAL)
}

/// An index query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalQuery {
    /// Which kind of source (`None`: both, as `/api/auth_sources` lists them).
    pub kind: Option<crate::ldap::SourceKind>,
    /// The checked search, if any.
    pub filter: Option<Filter<ExternalField>>,
    /// Only records linked to the location with this number.
    pub location: Option<i64>,
    /// Only records linked to the organization (department) with this number.
    pub organization: Option<i64>,
    /// The caller's department scope (`None`: global).
    pub scope: Option<Vec<EntryId>>,
    /// Order: [`ExternalField::Id`] or [`ExternalField::Name`], and direction.
    pub order: (ExternalField, Direction),
    /// Which page; `None` for all.
    pub page: Option<PageRequest>,
    /// Whether to count `total` and `subtotal` (a batch after the first of a streamed
    /// answer need not: they are then 0).
    pub counted: bool,
}

/// What an index finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalHits {
    /// This page's auth numbers, in order.
    pub numbers: Vec<i64>,
    /// Records visible in the taxonomy scope, ignoring the search.
    pub total: u64,
    /// Records matching the search too.
    pub subtotal: u64,
}

/// The searchable fields of Foreman's locations and organizations (foreman-v2 spec,
/// "The clients people run": `name`, `title`, `id`). A taxonomy's title is its name
/// (auths keeps no nesting), so the two search the same label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaxonomyField {
    /// The entry's number.
    Id,
    /// Its label (bare words search it).
    Name,
    /// Its label too.
    Title,
}

impl SearchField for TaxonomyField {
    const ALL: &'static [Self] = &[Self::Id, Self::Name, Self::Title];

    fn name(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Name => "name",
            Self::Title => "title",
        }
    }

    fn ty(self) -> FieldType {
        match self {
            Self::Id => FieldType::Integer,
            Self::Name | Self::Title => FieldType::String,
        }
    }
}

impl FieldValues<TaxonomyField> for crate::catalog::CatalogEntry {
    fn values(&self, field: TaxonomyField) -> Values<'_> {
        match field {
            TaxonomyField::Id => Values::Ints(vec![self.number]),
            TaxonomyField::Name | TaxonomyField::Title => Values::Texts(vec![&self.label]),
        }
    }
}

/// A search of a taxonomy catalog, checked: the filter, the order, the caller's scope
/// and the page.
#[derive(Debug, Clone, PartialEq)]
pub struct TaxonomyQuery {
    /// What to keep (`None`: everything).
    pub filter: Option<Filter<TaxonomyField>>,
    /// The order; ties by number.
    pub order: (TaxonomyField, Direction),
    /// The caller's departments, when it is limited to some.
    pub scope: Option<Vec<EntryId>>,
    /// Which page.
    pub page: PageRequest,
}
