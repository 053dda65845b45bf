//! How records look in the Foreman-compatible API (keys in Foreman's order).

use auths_domain::{Auth, CatalogEntry, EntryRef};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Foreman's timestamp format: `2021-09-01 14:32:44 UTC`.
pub fn time(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    // Written field by field: `format` parses its pattern on every call, and the index
    // shows two timestamps a record.
    let mut s = String::with_capacity(23);
    let _ = write!(
        s,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    s
}

/// A taxonomy: `{id, name, title, description}` (title = name for us).
#[derive(Debug, Serialize)]
pub struct Taxonomy {
    pub id: i64,
    pub name: String,
    pub title: String,
    pub description: Option<String>,
}

impl Taxonomy {
    pub fn of(e: &CatalogEntry) -> Self {
        Self {
            id: e.number,
            name: e.label.clone(),
            title: e.label.clone(),
            description: e.description.clone(),
        }
    }
}

/// An index item.
#[derive(Debug, Serialize)]
pub struct Item {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
    pub locations: Vec<Taxonomy>,
    pub organizations: Vec<Taxonomy>,
}

/// Show and update add `external_usergroups` (empty until user groups are modelled).
#[derive(Debug, Serialize)]
pub struct Record {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
    pub external_usergroups: Vec<()>,
    pub locations: Vec<Taxonomy>,
    pub organizations: Vec<Taxonomy>,
}

/// Taxonomies of an auth, as Foreman shows them: with their numbers (looked up in
/// `entries`), sorted by title.
pub fn taxonomies(refs: &[EntryRef], entries: &[CatalogEntry]) -> Vec<Taxonomy> {
    let mut out: Vec<Taxonomy> = refs
        .iter()
        .filter_map(|r| entries.iter().find(|e| e.id == r.id))
        .map(Taxonomy::of)
        .collect();
    out.sort_by(|a, b| a.title.cmp(&b.title).then(a.id.cmp(&b.id)));
    out
}

pub fn item(a: &Auth, entries: &[CatalogEntry]) -> Item {
    Item {
        id: a.number,
        name: a.name.label.clone(),
        created_at: time(a.created_at),
        updated_at: time(a.updated_at),
        locations: taxonomies(&a.locations, entries),
        organizations: taxonomies(&a.departments, entries),
    }
}

pub fn record(a: &Auth, entries: &[CatalogEntry]) -> Record {
    let i = item(a, entries);
    Record {
        id: i.id,
        name: i.name,
        created_at: i.created_at,
        updated_at: i.updated_at,
        external_usergroups: Vec::new(),
        locations: i.locations,
        organizations: i.organizations,
    }
}

/// The index envelope.
#[derive(Debug, Serialize)]
pub struct Envelope<T> {
    pub total: u64,
    pub subtotal: u64,
    pub page: u64,
    pub per_page: u64,
    pub search: Option<String>,
    pub sort: Sort,
    pub results: Vec<T>,
}

/// `sort` of the envelope.
#[derive(Debug, Serialize)]
pub struct Sort {
    pub by: Option<String>,
    pub order: Option<String>,
}

impl Sort {
    /// The envelope's `sort` for an `order` as given: its field, and its direction
    /// (`ASC` when none is written); both null without an order.
    pub fn of(order: Option<&str>) -> Self {
        match order {
            None => Self {
                by: None,
                order: None,
            },
            Some(o) => {
                let mut words = o.split_whitespace();
                Self {
                    by: words.next().map(str::to_owned),
                    order: Some(words.next().unwrap_or("ASC").to_owned()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_in_foremans_format() {
        let t = chrono::DateTime::parse_from_rfc3339("2021-09-01T04:02:09.75Z")
            .map(|t| t.to_utc())
            .ok();
        assert_eq!(
            t.map(super::time).as_deref(),
            Some("2021-09-01 04:02:09 UTC")
        );
    }
}
