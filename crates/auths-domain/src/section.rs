//! The sections of an auth: one closed list, used by every layer instead of naming
//! the eight sections by hand.
//!
//! Each section points at entries of one catalog (auths-v5 spec, "What an auth is"):
//!
//! | section | field | cardinality |
//! |---|---|---|
//! | [`Section::Name`] | `name` / `name_id` | exactly one |
//! | [`Section::Description`] | `description` / `description_id` | zero or one |
//! | [`Section::Flag`] | `flag_id` | exactly one (default: `active`) |
//! | [`Section::Protocols`] | `protocol_ids` | one or more |
//! | [`Section::Slugs`] | `slug_ids` | zero or more |
//! | [`Section::Items`] | `item_ids` | zero or more |
//! | [`Section::Departments`] | `department_ids` | zero or more |
//! | [`Section::Locations`] | `location_ids` | zero or more |

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::CatalogKind;

/// A section of an auth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// The name (exactly one).
    Name,
    /// The description (zero or one).
    Description,
    /// The lifecycle flag (exactly one).
    Flag,
    /// Protocols (one or more).
    Protocols,
    /// Slugs (zero or more; a slug belongs to at most one auth).
    Slugs,
    /// Configuration items (zero or more).
    Items,
    /// Owning departments (zero or more).
    Departments,
    /// Locations (zero or more).
    Locations,
}

/// How many entries a section holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cardinality {
    /// Exactly one.
    One,
    /// Zero or one.
    Optional,
    /// Zero or more, at least `min`.
    Many {
        /// The fewest entries allowed.
        min: usize,
    },
}

impl Section {
    /// Every section, in the order the API lists them.
    pub const ALL: [Self; 8] = [
        Self::Name,
        Self::Description,
        Self::Flag,
        Self::Protocols,
        Self::Slugs,
        Self::Items,
        Self::Departments,
        Self::Locations,
    ];

    /// The multi-valued sections.
    pub const MANY: [Self; 5] = [
        Self::Protocols,
        Self::Slugs,
        Self::Items,
        Self::Departments,
        Self::Locations,
    ];

    /// The catalog whose entries the section points at.
    pub const fn kind(self) -> CatalogKind {
        match self {
            Self::Name => CatalogKind::Names,
            Self::Description => CatalogKind::Descriptions,
            Self::Flag => CatalogKind::Flags,
            Self::Protocols => CatalogKind::Protocols,
            Self::Slugs => CatalogKind::Slugs,
            Self::Items => CatalogKind::Items,
            Self::Departments => CatalogKind::Departments,
            Self::Locations => CatalogKind::Locations,
        }
    }

    /// The section whose entries live in `kind`.
    pub const fn of_kind(kind: CatalogKind) -> Self {
        match kind {
            CatalogKind::Names => Self::Name,
            CatalogKind::Descriptions => Self::Description,
            CatalogKind::Flags => Self::Flag,
            CatalogKind::Protocols => Self::Protocols,
            CatalogKind::Slugs => Self::Slugs,
            CatalogKind::Items => Self::Items,
            CatalogKind::Departments => Self::Departments,
            CatalogKind::Locations => Self::Locations,
        }
    }

    /// The API field that carries the section as catalog ids (`name_id`,
    /// `protocol_ids`, ...).
    pub const fn ids_field(self) -> &'static str {
        match self {
            Self::Name => "name_id",
            Self::Description => "description_id",
            Self::Flag => "flag_id",
            Self::Protocols => "protocol_ids",
            Self::Slugs => "slug_ids",
            Self::Items => "item_ids",
            Self::Departments => "department_ids",
            Self::Locations => "location_ids",
        }
    }

    /// The API field that carries the section as free text, for the two sections that
    /// take text (`name`, `description`).
    pub const fn text_field(self) -> Option<&'static str> {
        match self {
            Self::Name => Some("name"),
            Self::Description => Some("description"),
            _ => None,
        }
    }

    /// The section whose text or ids field is `field`, if any.
    pub fn of_field(field: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.ids_field() == field || s.text_field() == Some(field))
    }

    /// How many entries it holds.
    pub const fn cardinality(self) -> Cardinality {
        match self {
            Self::Name | Self::Flag => Cardinality::One,
            Self::Description => Cardinality::Optional,
            Self::Protocols => Cardinality::Many { min: 1 },
            Self::Slugs | Self::Items | Self::Departments | Self::Locations => {
                Cardinality::Many { min: 0 }
            }
        }
    }

    /// Whether the section holds a list.
    pub const fn is_many(self) -> bool {
        matches!(self.cardinality(), Cardinality::Many { .. })
    }

    /// The section's name in the form view (the catalog's name: `names`, ...).
    pub const fn as_str(self) -> &'static str {
        self.kind().as_str()
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Section> for CatalogKind {
    fn from(s: Section) -> Self {
        s.kind()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_catalogs_correspond_one_to_one() {
        for s in Section::ALL {
            assert_eq!(Section::of_kind(s.kind()), s);
            assert_eq!(Section::of_field(s.ids_field()), Some(s));
        }
        for k in CatalogKind::ALL {
            assert_eq!(Section::of_kind(k).kind(), k);
        }
        assert_eq!(Section::of_field("name"), Some(Section::Name));
        assert_eq!(Section::of_field("label"), None);
        let many: Vec<_> = Section::ALL.into_iter().filter(|s| s.is_many()).collect();
        assert_eq!(many, Section::MANY);
        assert_eq!(
            Section::Protocols.cardinality(),
            Cardinality::Many { min: 1 }
        );
    }
}
