//! Versions of an auth and the differences between them (auths-v5 spec, "History, diff,
//! restore, dry runs"): a [`VersionContent`] is what one published version held, with
//! labels as they were (secret items as key and fingerprint, never a value);
//! [`diff`] says what changed from one to another, field by field, and [`apply`] lays
//! a diff over a content. Pure functions: the store keeps versions, the use cases
//! read them, and an embedding service can diff contents of its own.

use serde::{Deserialize, Serialize};

use crate::auth::Auth;
use crate::catalog::EntryRef;
use crate::ids::EntryId;

/// An item as a version keeps it: a secret one without its value, with the first 16
/// hex characters of a keyed HMAC-SHA256 of it instead (`fingerprint`), so that drift
/// shows without the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemState {
    /// The item entry's id.
    pub id: EntryId,
    /// Its key.
    pub key: String,
    /// Its value; `None` when secret.
    pub value: Option<String>,
    /// Whether the value is secret.
    pub secret: bool,
    /// A secret value's fingerprint; `None` for others, and where the store could not
    /// compute one (no secrets key).
    #[serde(default)]
    pub fingerprint: Option<String>,
}

/// The content of one version: every section with its entries' labels as they were.
/// Sets are kept in id order ([`VersionContent::normalized`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionContent {
    /// The name.
    pub name: EntryRef,
    /// The description.
    pub description: Option<EntryRef>,
    /// The lifecycle flag.
    pub flag: EntryRef,
    /// Protocols.
    pub protocols: Vec<EntryRef>,
    /// Slugs.
    pub slugs: Vec<EntryRef>,
    /// Items.
    pub items: Vec<ItemState>,
    /// Departments.
    pub departments: Vec<EntryRef>,
    /// Locations.
    pub locations: Vec<EntryRef>,
}

impl VersionContent {
    /// The content of `auth` as published; `fingerprint` gives a secret item's
    /// fingerprint by its entry id.
    pub fn of(auth: &Auth, fingerprint: impl Fn(&EntryId) -> Option<String>) -> Self {
        Self {
            name: auth.name.clone(),
            description: auth.description.clone(),
            flag: auth.flag.clone(),
            protocols: auth.protocols.clone(),
            slugs: auth.slugs.clone(),
            items: auth
                .items
                .iter()
                .map(|i| ItemState {
                    id: i.id.clone(),
                    key: i.key.clone(),
                    value: if i.secret { None } else { i.value.clone() },
                    secret: i.secret,
                    fingerprint: if i.secret { fingerprint(&i.id) } else { None },
                })
                .collect(),
            departments: auth.departments.clone(),
            locations: auth.locations.clone(),
        }
        .normalized()
    }

    /// The same content with every set in id order, and no secret value.
    #[must_use]
    pub fn normalized(mut self) -> Self {
        for set in [
            &mut self.protocols,
            &mut self.slugs,
            &mut self.departments,
            &mut self.locations,
        ] {
            set.sort_by(|a, b| a.id.cmp(&b.id));
            set.dedup_by(|a, b| a.id == b.id);
        }
        self.items.sort_by(|a, b| a.id.cmp(&b.id));
        self.items.dedup_by(|a, b| a.id == b.id);
        for i in &mut self.items {
            if i.secret {
                i.value = None;
            }
        }
        self
    }
}

/// One published version of an auth, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthVersion {
    /// The auth.
    pub auth_id: crate::ids::AuthId,
    /// Its version number (1, 2, ...).
    pub version: i64,
    /// When it was published.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who published it (the key's name).
    pub actor_name: String,
    /// Through which channel.
    pub channel: crate::principal::Channel,
    /// The write that made it (`auth.create`, `auth.update`, ...).
    pub operation: String,
    /// What it held.
    pub content: VersionContent,
}

/// A field holding one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OneField {
    /// The name.
    Name,
    /// The description.
    Description,
    /// The flag.
    Flag,
}

/// A field holding a set of entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetField {
    /// Protocols.
    Protocols,
    /// Slugs.
    Slugs,
    /// Items.
    Items,
    /// Departments.
    Departments,
    /// Locations.
    Locations,
}

/// A member of a set as a diff shows it: an entry, or an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Member {
    /// An item (`{id, key, value, secret, fingerprint}`).
    Item(ItemState),
    /// Any other entry (`{id, label}`).
    Entry(EntryRef),
}

impl Member {
    fn id(&self) -> &EntryId {
        match self {
            Self::Item(i) => &i.id,
            Self::Entry(e) => &e.id,
        }
    }
}

/// One change between two contents: `{field, before, after}` for a single field,
/// `{field, added, removed}` for a set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Change {
    /// A single field changed.
    One {
        /// Which.
        field: OneField,
        /// What it held.
        before: Option<EntryRef>,
        /// What it holds.
        after: Option<EntryRef>,
    },
    /// A set gained or lost members.
    Set {
        /// Which.
        field: SetField,
        /// Members now held that were not, in id order.
        added: Vec<Member>,
        /// Members held before and not now, in id order.
        removed: Vec<Member>,
    },
}

impl Change {
    /// The field's name, as the API spells it.
    pub fn field_name(&self) -> &'static str {
        match self {
            Self::One { field, .. } => match field {
                OneField::Name => "name",
                OneField::Description => "description",
                OneField::Flag => "flag",
            },
            Self::Set { field, .. } => match field {
                SetField::Protocols => "protocols",
                SetField::Slugs => "slugs",
                SetField::Items => "items",
                SetField::Departments => "departments",
                SetField::Locations => "locations",
            },
        }
    }
}

fn entries(v: &[EntryRef]) -> Vec<Member> {
    v.iter().cloned().map(Member::Entry).collect()
}

fn members(c: &VersionContent, f: SetField) -> Vec<Member> {
    match f {
        SetField::Protocols => entries(&c.protocols),
        SetField::Slugs => entries(&c.slugs),
        SetField::Items => c.items.iter().cloned().map(Member::Item).collect(),
        SetField::Departments => entries(&c.departments),
        SetField::Locations => entries(&c.locations),
    }
}

fn one(c: &VersionContent, f: OneField) -> Option<EntryRef> {
    match f {
        OneField::Name => Some(c.name.clone()),
        OneField::Description => c.description.clone(),
        OneField::Flag => Some(c.flag.clone()),
    }
}

const ONE_FIELDS: [OneField; 3] = [OneField::Name, OneField::Description, OneField::Flag];
const SET_FIELDS: [SetField; 5] = [
    SetField::Protocols,
    SetField::Slugs,
    SetField::Items,
    SetField::Departments,
    SetField::Locations,
];

/// What changed from `a` to `b`, field by field in the spec's order (name,
/// description, flag, then the sets); an entry counts by its id (a catalog entry
/// renamed since is the same entry), an item by all it holds (an item whose value was
/// edited in the catalog shows as removed and added). Empty when nothing changed.
pub fn diff(a: &VersionContent, b: &VersionContent) -> Vec<Change> {
    let mut out = Vec::new();
    for f in ONE_FIELDS {
        let (x, y) = (one(a, f), one(b, f));
        if x.as_ref().map(|e| &e.id) != y.as_ref().map(|e| &e.id) {
            out.push(Change::One {
                field: f,
                before: x,
                after: y,
            });
        }
    }
    for f in SET_FIELDS {
        let (x, y) = (members(a, f), members(b, f));
        // An entry counts by its id; an item by all it holds (an item edited in the
        // catalog between two versions changed what the auth holds).
        let same = |m: &Member, n: &Member| match (m, n) {
            (Member::Item(p), Member::Item(q)) => p == q,
            _ => m.id() == n.id(),
        };
        let mut added: Vec<Member> = y
            .iter()
            .filter(|m| !x.iter().any(|n| same(m, n)))
            .cloned()
            .collect();
        let mut removed: Vec<Member> = x
            .iter()
            .filter(|m| !y.iter().any(|n| same(m, n)))
            .cloned()
            .collect();
        if added.is_empty() && removed.is_empty() {
            continue;
        }
        added.sort_by(|p, q| p.id().cmp(q.id()));
        removed.sort_by(|p, q| p.id().cmp(q.id()));
        out.push(Change::Set {
            field: f,
            added,
            removed,
        });
    }
    out
}

/// What a first version holds, as changes from nothing: its name, description and
/// flag as `after`, every member of its sets as `added`.
pub fn created(b: &VersionContent) -> Vec<Change> {
    let mut out = Vec::new();
    for f in ONE_FIELDS {
        if let Some(after) = one(b, f) {
            out.push(Change::One {
                field: f,
                before: None,
                after: Some(after),
            });
        }
    }
    for f in SET_FIELDS {
        let added = members(b, f);
        if !added.is_empty() {
            out.push(Change::Set {
                field: f,
                added,
                removed: Vec::new(),
            });
        }
    }
    out
}

/// What deleting an auth holding `a` removes, as changes to nothing: its name,
/// description and flag as `before`, every member of its sets as `removed`.
pub fn deleted(a: &VersionContent) -> Vec<Change> {
    created(a)
        .into_iter()
        .map(|c| match c {
            Change::One { field, after, .. } => Change::One {
                field,
                before: after,
                after: None,
            },
            Change::Set { field, added, .. } => Change::Set {
                field,
                added: Vec::new(),
                removed: added,
            },
        })
        .collect()
}

/// `content` with `changes` laid over: single fields take their `after`, sets lose
/// their `removed` members and gain their `added` ones. `apply(a, &diff(a, b))` is `b`
/// (normalized). A change that cannot hold (a name or flag set to nothing) is skipped.
pub fn apply(content: &VersionContent, changes: &[Change]) -> VersionContent {
    let mut c = content.clone();
    for change in changes {
        match change {
            Change::One { field, after, .. } => match (field, after) {
                (OneField::Name, Some(e)) => c.name = e.clone(),
                (OneField::Flag, Some(e)) => c.flag = e.clone(),
                (OneField::Description, d) => c.description = d.clone(),
                _ => {}
            },
            Change::Set {
                field,
                added,
                removed,
            } => {
                let gone = |id: &EntryId| removed.iter().any(|m| m.id() == id);
                let set = |v: &mut Vec<EntryRef>| {
                    v.retain(|e| !gone(&e.id));
                    v.extend(added.iter().filter_map(|m| match m {
                        Member::Entry(e) => Some(e.clone()),
                        Member::Item(_) => None,
                    }));
                };
                match field {
                    SetField::Protocols => set(&mut c.protocols),
                    SetField::Slugs => set(&mut c.slugs),
                    SetField::Departments => set(&mut c.departments),
                    SetField::Locations => set(&mut c.locations),
                    SetField::Items => {
                        c.items.retain(|i| !gone(&i.id));
                        c.items.extend(added.iter().filter_map(|m| match m {
                            Member::Item(i) => Some(i.clone()),
                            Member::Entry(_) => None,
                        }));
                    }
                }
            }
        }
    }
    c.normalized()
}

#[cfg(test)]
mod tests;
