//! Catalogs: the shared entries that auths' sections point at.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::Invalid;
use crate::ids::EntryId;
use crate::values::{ItemData, Label};

/// The kinds of catalog, as they appear in `/api/v5/catalog/{kind}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogKind {
    /// Names of auths (one per auth; unique case-insensitively).
    Names,
    /// Descriptions of auths.
    Descriptions,
    /// Lifecycle flags (`active`, `disabled`, `deprecated`, ...).
    Flags,
    /// Protocols (`ldap`, `oidc`, `external`, ...).
    Protocols,
    /// URL-safe keys; a slug belongs to at most one auth.
    Slugs,
    /// Configuration entries (`key`, `value`, `secret`).
    Items,
    /// Owning departments (Foreman's organizations).
    Departments,
    /// Locations (Foreman's locations).
    Locations,
}

impl CatalogKind {
    /// Every kind, in a stable order.
    pub const ALL: [Self; 8] = [
        Self::Names,
        Self::Descriptions,
        Self::Flags,
        Self::Protocols,
        Self::Slugs,
        Self::Items,
        Self::Departments,
        Self::Locations,
    ];

    /// The kind's name in URLs and storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Names => "names",
            Self::Descriptions => "descriptions",
            Self::Flags => "flags",
            Self::Protocols => "protocols",
            Self::Slugs => "slugs",
            Self::Items => "items",
            Self::Departments => "departments",
            Self::Locations => "locations",
        }
    }

    /// Whether labels must be unique in this catalog (case-insensitively). Items are
    /// the exception: two auths may each have their own `host` item.
    pub const fn unique_labels(self) -> bool {
        !matches!(self, Self::Items)
    }

    /// Small catalogs list all their options in the form view; large ones are browsed.
    pub const fn is_small(self) -> bool {
        matches!(self, Self::Flags | Self::Protocols)
    }

    /// Checks a label for this catalog: slugs must be URL-safe, descriptions may be
    /// long, the others are plain labels.
    ///
    /// # Errors
    /// When the label breaks the kind's rule.
    pub fn parse_label(self, raw: &str) -> Result<String, Invalid> {
        match self {
            Self::Slugs => crate::values::Slug::parse(raw)
                .map(crate::values::Slug::into_inner)
                .map_err(|e| e.for_field("label")),
            Self::Descriptions => crate::values::Description::parse(raw)
                .map_err(|e| e.for_field("label"))?
                .map(crate::values::Description::into_inner)
                .ok_or_else(|| Invalid::one("label", "label must not be blank")),
            Self::Names => crate::values::AuthName::parse(raw)
                .map(crate::values::AuthName::into_inner)
                .map_err(|e| e.for_field("label")),
            _ => Label::parse(raw).map(Label::into_inner),
        }
    }
}

impl fmt::Display for CatalogKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CatalogKind {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                Invalid::one(
                    "kind",
                    format!(
                        "unknown catalog {s:?}; expected one of names, descriptions, flags, protocols, slugs, items, departments, locations"
                    ),
                )
            })
    }
}

/// A catalog entry shown as `{id, label}` in search rows and section values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryRef {
    /// The entry's opaque id.
    pub id: EntryId,
    /// Its label.
    pub label: String,
}

/// An item as shown to clients: a secret item's value is never present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemRef {
    /// The entry's opaque id.
    pub id: EntryId,
    /// Its label (the key).
    pub label: String,
    /// The key.
    pub key: String,
    /// The value; `None` for a secret item, always.
    pub value: Option<String>,
    /// Whether the value is secret.
    pub secret: bool,
}

/// A catalog entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    /// The opaque id.
    pub id: EntryId,
    /// A numeric id, stable for the entry's life (Foreman shows taxonomies by number).
    pub number: i64,
    /// Which catalog it belongs to.
    pub kind: CatalogKind,
    /// The label.
    pub label: String,
    /// Key, value and secrecy, for items only. The value of a secret item is `None`
    /// when read back: adapters never return it.
    pub item: Option<ItemView>,
    /// Seeded entries (the spec's flags and protocols) cannot be deleted.
    pub seeded: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its label last changed.
    pub updated_at: DateTime<Utc>,
}

/// The item part of a catalog entry as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemView {
    /// The key.
    pub key: String,
    /// The value, `None` when secret.
    pub value: Option<String>,
    /// Whether the value is secret.
    pub secret: bool,
}

impl CatalogEntry {
    /// The `{id, label}` form.
    pub fn to_ref(&self) -> EntryRef {
        EntryRef {
            id: self.id.clone(),
            label: self.label.clone(),
        }
    }
}

/// A new catalog entry, checked, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCatalogEntry {
    /// The id to give it.
    pub id: EntryId,
    /// Its catalog.
    pub kind: CatalogKind,
    /// The label, already checked with [`CatalogKind::parse_label`].
    pub label: String,
    /// For items: key, value and secrecy.
    pub item: Option<ItemData>,
}

/// Who uses a catalog entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryUsage {
    /// The departments of the auths that use it.
    pub departments: Vec<EntryId>,
    /// How many auths that use it lie outside the scope asked about (0 for a global
    /// caller).
    pub outside_scope: u64,
}

/// A seeded entry: fixed id, label, and catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seed {
    /// The catalog.
    pub kind: CatalogKind,
    /// The fixed id.
    pub id: &'static str,
    /// The label.
    pub label: &'static str,
}

/// The flags and protocols every database starts with (auths-v5 spec, "What an auth
/// is"). Their ids are stable words so that scripts can name them.
pub const SEEDS: [Seed; 11] = [
    Seed {
        kind: CatalogKind::Flags,
        id: "flag-active",
        label: "active",
    },
    Seed {
        kind: CatalogKind::Flags,
        id: "flag-disabled",
        label: "disabled",
    },
    Seed {
        kind: CatalogKind::Flags,
        id: "flag-deprecated",
        label: "deprecated",
    },
    Seed {
        kind: CatalogKind::Protocols,
        id: "protocol-ldap",
        label: "ldap",
    },
    Seed {
        kind: CatalogKind::Protocols,
        id: "protocol-ldaps",
        label: "ldaps",
    },
    Seed {
        kind: CatalogKind::Protocols,
        id: "protocol-oidc",
        label: "oidc",
    },
    Seed {
        kind: CatalogKind::Protocols,
        id: "protocol-oauth2",
        label: "oauth2",
    },
    Seed {
        kind: CatalogKind::Protocols,
        id: "protocol-saml2",
        label: "saml2",
    },
    Seed {
        kind: CatalogKind::Protocols,
        id: "protocol-kerberos",
        label: "kerberos",
    },
    Seed {
        kind: CatalogKind::Protocols,
        id: "protocol-radius",
        label: "radius",
    },
    Seed {
        kind: CatalogKind::Protocols,
        id: "protocol-external",
        label: "external",
    },
];

/// The id of the seeded `active` flag, the default for a new auth.
pub const FLAG_ACTIVE: &str = "flag-active";
/// The id of the seeded `deprecated` flag.
pub const FLAG_DEPRECATED: &str = "flag-deprecated";
/// The id of the seeded `external` protocol: auths with it are Foreman's
/// `auth_source_externals`.
pub const PROTOCOL_EXTERNAL: &str = "protocol-external";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_text() {
        for k in CatalogKind::ALL {
            assert_eq!(k.as_str().parse::<CatalogKind>(), Ok(k));
        }
        assert!("users".parse::<CatalogKind>().is_err());
    }

    #[test]
    fn labels_follow_their_kind() {
        assert!(CatalogKind::Slugs.parse_label("Not A Slug").is_err());
        assert_eq!(CatalogKind::Slugs.parse_label(" a-b ").unwrap(), "a-b");
        assert!(
            CatalogKind::Departments
                .parse_label(&"x".repeat(256))
                .is_err()
        );
        assert!(
            CatalogKind::Descriptions
                .parse_label(&"x".repeat(4096))
                .is_ok()
        );
        assert!(CatalogKind::Descriptions.parse_label("  ").is_err());
        assert_eq!(
            CatalogKind::Names.parse_label(" ").unwrap_err().problems[0].field,
            "label"
        );
    }

    #[test]
    fn seeds_are_the_specs_flags_and_protocols() {
        let flags: Vec<_> = SEEDS
            .iter()
            .filter(|s| s.kind == CatalogKind::Flags)
            .map(|s| s.label)
            .collect();
        assert_eq!(flags, ["active", "disabled", "deprecated"]);
        let protocols: Vec<_> = SEEDS
            .iter()
            .filter(|s| s.kind == CatalogKind::Protocols)
            .map(|s| s.label)
            .collect();
        assert_eq!(
            protocols,
            [
                "ldap", "ldaps", "oidc", "oauth2", "saml2", "kerberos", "radius", "external"
            ]
        );
        for s in SEEDS {
            assert!(EntryId::parse(s.id).is_ok());
            assert_eq!(s.kind.parse_label(s.label).unwrap(), s.label);
        }
        assert!(SEEDS.iter().any(|s| s.id == FLAG_ACTIVE));
        assert!(SEEDS.iter().any(|s| s.id == FLAG_DEPRECATED));
        assert!(SEEDS.iter().any(|s| s.id == PROTOCOL_EXTERNAL));
        assert!(!CatalogKind::Items.unique_labels());
        assert!(CatalogKind::Flags.is_small() && !CatalogKind::Names.is_small());
    }
}
