//! Catalogs: the shared entries that auths' sections point at.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{FieldProblem, Invalid, Required, Rule};
use crate::ids::EntryId;
use crate::values::{ItemData, Label, fold_case};

mod item;
pub use item::{ItemRef, ItemView};

/// The kinds of catalog, as they appear in `/api/v5/catalog/{kind}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
                .ok_or_else(|| {
                    Invalid::one(
                        "label",
                        Rule::Blank {
                            what: "label".into(),
                        },
                    )
                }),
            Self::Names => crate::values::AuthName::parse(raw)
                .map(crate::values::AuthName::into_inner)
                .map_err(|e| e.for_field("label")),
            _ => Label::parse(raw).map(Label::into_inner),
        }
    }

    /// Checks an entry as a client sent it for this catalog: a label, or for items a
    /// key, a value and whether it is secret (the key is then the label). Answers the
    /// label and, for items, the item. Every problem is reported at once.
    ///
    /// # Errors
    /// The wrong shape for the catalog (fields `label`, `key`, `value`), a missing
    /// part, or a label, key or value the kind's rules reject.
    pub fn parse_entry(self, entry: &EntryText) -> Result<(String, Option<ItemData>), Invalid> {
        let required = |field: &str| {
            FieldProblem::new(
                field,
                Rule::Required {
                    what: Required::Field,
                },
            )
        };
        if self == Self::Items {
            if entry.label.is_some() {
                return Err(Invalid::one("label", Rule::EntryShape { kind: self }));
            }
            let (Some(key), Some(value)) = (&entry.key, &entry.value) else {
                let mut missing = Vec::new();
                if entry.key.is_none() {
                    missing.push(required("key"));
                }
                if entry.value.is_none() {
                    missing.push(required("value"));
                }
                return Err(Invalid { problems: missing });
            };
            let item = ItemData::parse(key, value, entry.secret.unwrap_or(false))?;
            return Ok((item.key.as_str().to_owned(), Some(item)));
        }
        if entry.key.is_some() || entry.value.is_some() || entry.secret.is_some() {
            return Err(Invalid::one("label", Rule::EntryShape { kind: self }));
        }
        match &entry.label {
            Some(label) => Ok((self.parse_label(label)?, None)),
            None => Err(Invalid {
                problems: vec![required("label")],
            }),
        }
    }
}

/// A catalog entry as a client sends it, unchecked: a `label`, or for items `key`,
/// `value` and `secret`. Its `Debug` never prints the value, which may be secret.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryText {
    /// The label (every catalog but items).
    pub label: Option<String>,
    /// The key (items).
    pub key: Option<String>,
    /// The value (items).
    pub value: Option<String>,
    /// Whether the value is secret (items; default false).
    pub secret: Option<bool>,
}

impl EntryText {
    /// An entry with this label.
    pub fn label(label: impl Into<String>) -> Self {
        Self {
            label: Some(label.into()),
            ..Self::default()
        }
    }
}

impl fmt::Debug for EntryText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntryText")
            .field("label", &self.label)
            .field("key", &self.key)
            .field("value", &self.value.as_ref().map(|_| "[redacted]"))
            .field("secret", &self.secret)
            .finish()
    }
}

impl CatalogKind {
    /// Whether an entry of this catalog belongs somewhere while no auth uses it
    /// ([`EntryUsage::home`]): names, descriptions, slugs, items and locations.
    /// Departments are their own scope; flags and protocols are everyone's.
    pub const fn has_home(self) -> bool {
        !self.is_vocabulary() && !matches!(self, Self::Departments)
    }

    /// Whether this catalog is the product's vocabulary (flags, protocols): every
    /// key's to see and link, global keys' to add and rename.
    pub const fn is_vocabulary(self) -> bool {
        matches!(self, Self::Flags | Self::Protocols)
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
            .ok_or_else(|| Invalid::one("kind", Rule::UnknownCatalog { name: s.to_owned() }))
    }
}

/// A catalog entry shown as `{id, label}` in search rows and section values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EntryRef {
    /// The entry's opaque id.
    pub id: EntryId,
    /// Its label.
    pub label: String,
}

/// Puts entries in the order every answer shows a section in: by label,
/// case-insensitively, then by id.
pub fn order_refs(refs: &mut [EntryRef]) {
    refs.sort_by(|x, y| {
        fold_case(&x.label)
            .cmp(&fold_case(&y.label))
            .then_with(|| x.id.cmp(&y.id))
    });
}

/// Puts items in the section's order (as [`order_refs`]).
pub fn order_items(items: &mut [ItemRef]) {
    items.sort_by(|x, y| {
        fold_case(&x.label)
            .cmp(&fold_case(&y.label))
            .then_with(|| x.id.cmp(&y.id))
    });
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
    /// A taxonomy's description (Foreman's locations and organizations keep one);
    /// `None` for other entries, and for a taxonomy without one.
    pub description: Option<String>,
}

impl CatalogEntry {
    /// The `{id, label}` form.
    pub fn to_ref(&self) -> EntryRef {
        EntryRef {
            id: self.id.clone(),
            label: self.label.clone(),
        }
    }

    /// The item form (for entries of the items catalog).
    pub fn to_item(&self) -> ItemRef {
        ItemRef::new(self.id.clone(), self.label.clone(), self.item.clone())
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

/// Who uses a catalog entry, measured against a department scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryUsage {
    /// The departments of the auths that use it.
    pub departments: Vec<EntryId>,
    /// How many auths use it.
    pub users: u64,
    /// How many of them lie outside the scope asked about (none of their departments
    /// in it; 0 for no scope).
    pub outside_scope: u64,
    /// Where the entry belongs while no auth uses it (`None` while one does): `None`,
    /// everyone's (an entry a global key made, never used since); else the departments
    /// of the scoped key that made it, or of the auth that last stopped using it (none:
    /// global keys only).
    pub home: Option<Vec<EntryId>>,
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
    fn entries_have_the_shape_of_their_catalog() {
        let item = EntryText {
            key: Some("host".into()),
            value: Some("ldap".into()),
            ..EntryText::default()
        };
        let (label, data) = CatalogKind::Items.parse_entry(&item).unwrap();
        assert_eq!(
            (label.as_str(), data.map(|d| d.secret)),
            ("host", Some(false))
        );
        let err = CatalogKind::Items
            .parse_entry(&EntryText::label("x"))
            .unwrap_err();
        assert_eq!(
            err.problems[0].rule,
            Rule::EntryShape {
                kind: CatalogKind::Items
            }
        );
        let fields: Vec<_> = CatalogKind::Items
            .parse_entry(&EntryText::default())
            .unwrap_err()
            .problems
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["key", "value"]);
        assert!(CatalogKind::Departments.parse_entry(&item).is_err());
        assert_eq!(
            CatalogKind::Departments
                .parse_entry(&EntryText::label(" Finance "))
                .unwrap()
                .0,
            "Finance"
        );
        let secret = EntryText {
            key: Some("password".into()),
            value: Some("hunter2".into()),
            secret: Some(true),
            ..EntryText::default()
        };
        assert!(!format!("{secret:?}").contains("hunter2"));
    }

    #[test]
    fn sections_are_ordered_by_label_then_id() {
        let r = |id: &str, label: &str| EntryRef {
            id: EntryId::parse(id).unwrap(),
            label: label.into(),
        };
        let mut refs = vec![r("b", "beta"), r("c", "Alpha"), r("a", "alpha")];
        order_refs(&mut refs);
        let ids: Vec<_> = refs.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["a", "c", "b"]);
        let secret = ItemRef::new(
            EntryId::parse("i").unwrap(),
            "password".into(),
            Some(ItemView {
                key: "password".into(),
                value: Some("hunter2".into()),
                secret: true,
                fingerprint: None,
            }),
        );
        assert_eq!(secret.value, None);
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
