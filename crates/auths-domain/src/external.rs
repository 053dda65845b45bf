//! The Foreman-compatible view of auths: an *auth source external* is an auth whose
//! protocols include `external`; its id is the auth's number.

use crate::ids::EntryId;
use crate::ports::PageRequest;
use crate::scoped_search::{Direction, Field, FieldType, Filter};

/// The searchable fields of `auth_source_externals`.
pub const FIELDS: [Field; 6] = [
    Field {
        name: "id",
        ty: FieldType::Integer,
    },
    Field {
        name: "name",
        ty: FieldType::String,
    },
    Field {
        name: "location",
        ty: FieldType::String,
    },
    Field {
        name: "organization",
        ty: FieldType::String,
    },
    Field {
        name: "location_id",
        ty: FieldType::Integer,
    },
    Field {
        name: "organization_id",
        ty: FieldType::Integer,
    },
];

/// The fields an index may be ordered by.
pub const SORTABLE: [&str; 2] = ["id", "name"];

/// An index query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalQuery {
    /// The checked search, if any.
    pub filter: Option<Filter>,
    /// Only records linked to the location with this number.
    pub location: Option<i64>,
    /// Only records linked to the organization (department) with this number.
    pub organization: Option<i64>,
    /// The caller's department scope (`None`: global).
    pub scope: Option<Vec<EntryId>>,
    /// Order: `id` or `name`, and direction.
    pub order: (&'static str, Direction),
    /// Which page; `None` for all.
    pub page: Option<PageRequest>,
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
