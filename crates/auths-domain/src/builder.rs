//! Building an auth from text, without a store: [`Catalogs`] holds the entries auths
//! point at (and the auths whose names and slugs are taken), in memory; an
//! [`AuthBuilder`] names the sections by label and gives an [`AuthContent`], or every
//! problem at once, each with its field and [`Rule`].
//!
//! ```
//! use auths_domain::{AuthBuilder, Catalogs, Rule};
//!
//! let mut catalogs = Catalogs::seeded();
//! catalogs.add_label(auths_domain::CatalogKind::Departments, "Finance")?;
//! let content = AuthBuilder::new("Corp LDAP")
//!     .protocol("ldaps")
//!     .slug("corp-ldap")
//!     .item("host", "ldap.example.com", false)
//!     .item("bind_password", "hunter2", true)
//!     .department("Finance")
//!     .build(&mut catalogs)?;
//! assert_eq!(content.protocol_ids[0].as_str(), "protocol-ldaps");
//!
//! let wrong = AuthBuilder::new(" ")
//!     .slug("Not A Slug")
//!     .item("host", "a", false)
//!     .item("HOST", "b", false)
//!     .build(&mut catalogs)
//!     .unwrap_err();
//! let codes: Vec<_> = wrong.problems.iter().map(|p| p.rule.code()).collect();
//! assert_eq!(codes, ["blank", "required", "not_url_safe", "repeated_key"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::convert::Infallible;

use crate::auth::{Auth, AuthContent, AuthFields, DescriptionChoice, NameChoice};
use crate::catalog::{CatalogEntry, CatalogKind, EntryText, SEEDS};
use crate::compose::{Composition, Lookup, Refusal, Stamp, examine};
use crate::error::{EntryKey, FieldProblem, Invalid, Rule};
use crate::ids::{AuthId, EntryId};
use crate::section::Section;
use crate::values::{AuthName, Description, Slug, fold_case};

/// Catalogs in memory, and the auths the uniqueness rules know: what composing an
/// auth reads, for a program without a store. New entries get ids `<catalog>-<n>`.
#[derive(Debug, Clone, Default)]
pub struct Catalogs {
    entries: BTreeMap<EntryId, CatalogEntry>,
    auths: BTreeMap<AuthId, AuthContent>,
    next: i64,
}

impl Catalogs {
    /// Catalogs holding the spec's seeded flags and protocols.
    pub fn seeded() -> Self {
        let mut c = Self::default();
        for s in SEEDS {
            let id = EntryId::parse(s.id).unwrap_or_else(|_| unreachable!("a seed's id"));
            c.put(id, s.kind, s.label.to_owned(), None, true);
        }
        c
    }

    fn put(
        &mut self,
        id: EntryId,
        kind: CatalogKind,
        label: String,
        item: Option<crate::values::ItemData>,
        seeded: bool,
    ) -> EntryId {
        self.next += 1;
        let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        let entry = CatalogEntry {
            id: id.clone(),
            number: self.next,
            kind,
            label,
            item: item.map(|i| {
                crate::catalog::ItemView::new(i.key.into_inner(), Some(i.value), i.secret)
            }),
            seeded,
            created_at: epoch,
            updated_at: epoch,
            description: None,
        };
        self.entries.insert(id.clone(), entry);
        id
    }

    /// The entry `id`.
    pub fn entry(&self, id: &EntryId) -> Option<&CatalogEntry> {
        self.entries.get(id)
    }

    /// The entry of `kind` labelled `label`, case-insensitively (the first, for items).
    pub fn find(&self, kind: CatalogKind, label: &str) -> Option<&CatalogEntry> {
        let key = fold_case(label.trim());
        self.entries
            .values()
            .filter(|e| e.kind == kind && fold_case(&e.label) == key)
            .min_by_key(|e| e.number)
    }

    /// Adds an entry as a client would send it (a label, or an item's key, value and
    /// secrecy), checked by the catalog's rules. In a catalog with unique labels, an
    /// entry with the label already there is the one answered, as a name given as text
    /// is. The value of a secret item is never read back.
    ///
    /// # Errors
    /// Every problem of the entry, by field.
    pub fn add(&mut self, kind: CatalogKind, entry: &EntryText) -> Result<EntryId, Invalid> {
        let (label, item) = kind.parse_entry(entry)?;
        if kind.unique_labels()
            && let Some(e) = self.find(kind, &label)
        {
            return Ok(e.id.clone());
        }
        let id = EntryId::parse(&format!("{kind}-{}", self.next + 1))?;
        Ok(self.put(id, kind, label, item, false))
    }

    /// Adds an entry with this label (see [`Catalogs::add`]).
    ///
    /// # Errors
    /// As [`Catalogs::add`].
    pub fn add_label(&mut self, kind: CatalogKind, label: &str) -> Result<EntryId, Invalid> {
        self.add(kind, &EntryText::label(label))
    }

    /// Checks `content` as the auth `stamp` names (its ids known, its name and slugs
    /// no other registered auth's), remembers it for the uniqueness rules, and answers
    /// the auth it makes.
    ///
    /// # Errors
    /// [`Refusal`]: unknown ids or broken section rules, or a name or slug taken.
    pub fn register(&mut self, stamp: &Stamp<'_>, content: &AuthContent) -> Result<Auth, Refusal> {
        let composition = self.compose(&AuthFields::from_content(content), Some(stamp.auth_id))?;
        self.auths
            .insert(stamp.auth_id.clone(), composition.content().clone());
        Ok(composition.auth(stamp))
    }

    /// Forgets a registered auth (its name and slugs become free).
    pub fn unregister(&mut self, auth_id: &AuthId) {
        self.auths.remove(auth_id);
    }

    /// Composes a new auth (`this` = `None`) or the auth `this` changed, from fields as
    /// a client sends them: a name and a description given as text are found in, or
    /// added to, their catalogs first (as the server's publisher does), then the whole
    /// is examined. Nothing is registered: [`Catalogs::register`] the content to make
    /// its name and slugs taken. On a refusal, `self` is left as it was.
    ///
    /// # Errors
    /// [`Refusal::Invalid`] with every wrong value (a text that is no valid name or
    /// description included), else [`Refusal::Taken`].
    pub fn compose(
        &mut self,
        fields: &AuthFields,
        this: Option<&AuthId>,
    ) -> Result<Composition, Refusal> {
        let mut scratch = self.clone();
        let mut fields = fields.clone();
        if let Some(NameChoice::Text(n)) = &fields.name {
            let id = scratch
                .add_label(CatalogKind::Names, n.as_str())
                .map_err(|e| Refusal::Invalid(e.for_field("name")))?;
            fields.name = Some(NameChoice::Id(id));
        }
        if let Some(Some(DescriptionChoice::Text(d))) = &fields.description {
            let id = scratch
                .add_label(CatalogKind::Descriptions, d.as_str())
                .map_err(|e| Refusal::Invalid(e.for_field("description")))?;
            fields.description = Some(Some(DescriptionChoice::Id(id)));
        }
        let Ok(examination) = examine(&mut scratch, &fields, this);
        let composition = examination.composition()?;
        *self = scratch;
        Ok(composition)
    }
}

impl Lookup for Catalogs {
    type Error = Infallible;

    fn entries_by_ids(
        &mut self,
        kind: CatalogKind,
        ids: &[EntryId],
    ) -> Result<Vec<CatalogEntry>, Infallible> {
        Ok(ids
            .iter()
            .filter_map(|id| self.entries.get(id).filter(|e| e.kind == kind).cloned())
            .collect())
    }

    fn entry_by_label(
        &mut self,
        kind: CatalogKind,
        label: &str,
    ) -> Result<Option<CatalogEntry>, Infallible> {
        Ok(self.find(kind, label).cloned())
    }

    fn auth_named(&mut self, name_id: &EntryId) -> Result<Option<AuthId>, Infallible> {
        Ok(self
            .auths
            .iter()
            .find(|(_, c)| &c.name_id == name_id)
            .map(|(id, _)| id.clone()))
    }

    fn slug_owners(&mut self, slug_ids: &[EntryId]) -> Result<Vec<(EntryId, AuthId)>, Infallible> {
        Ok(self
            .auths
            .iter()
            .flat_map(|(id, c)| {
                c.slug_ids
                    .iter()
                    .filter(|s| slug_ids.contains(s))
                    .map(move |s| (s.clone(), id.clone()))
            })
            .collect())
    }
}

/// An auth described by text: labels for the flag, protocols, departments and
/// locations (which must be in the catalogs), and the name, description, slugs and
/// items as values (added to the catalogs when the auth is built).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthBuilder {
    name: String,
    description: Option<String>,
    flag: Option<String>,
    protocols: Vec<String>,
    slugs: Vec<String>,
    items: Vec<EntryText>,
    departments: Vec<String>,
    locations: Vec<String>,
}

impl AuthBuilder {
    /// An auth named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Its description.
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Its flag, by label (default `active`).
    #[must_use]
    pub fn flag(mut self, label: impl Into<String>) -> Self {
        self.flag = Some(label.into());
        self
    }

    /// A protocol, by label (`ldap`, `oidc`, ...).
    #[must_use]
    pub fn protocol(mut self, label: impl Into<String>) -> Self {
        self.protocols.push(label.into());
        self
    }

    /// A slug.
    #[must_use]
    pub fn slug(mut self, slug: impl Into<String>) -> Self {
        self.slugs.push(slug.into());
        self
    }

    /// A configuration item; a secret value is write-only.
    #[must_use]
    pub fn item(mut self, key: impl Into<String>, value: impl Into<String>, secret: bool) -> Self {
        self.items.push(EntryText {
            key: Some(key.into()),
            value: Some(value.into()),
            secret: Some(secret),
            ..EntryText::default()
        });
        self
    }

    /// A department, by label.
    #[must_use]
    pub fn department(mut self, label: impl Into<String>) -> Self {
        self.departments.push(label.into());
        self
    }

    /// A location, by label.
    #[must_use]
    pub fn location(mut self, label: impl Into<String>) -> Self {
        self.locations.push(label.into());
        self
    }

    /// The content of a new auth, its new names, slugs and items added to `catalogs`;
    /// or every problem at once, by field (`name`, `description`, `flag_id`,
    /// `protocol_ids`, `slug_ids`, `item_ids`, `department_ids`, `location_ids`), and
    /// then `catalogs` is left as it was. The name and slugs are checked against the
    /// auths registered in `catalogs`.
    ///
    /// # Errors
    /// [`Invalid`] with every broken [`Rule`].
    pub fn build(&self, catalogs: &mut Catalogs) -> Result<AuthContent, Invalid> {
        self.build_as(catalogs, None)
    }

    /// As [`AuthBuilder::build`], for the new content of the registered auth
    /// `auth_id`: its own name and slugs are not taken (another auth's still are).
    ///
    /// # Errors
    /// As [`AuthBuilder::build`].
    pub fn build_for(
        &self,
        catalogs: &mut Catalogs,
        auth_id: &AuthId,
    ) -> Result<AuthContent, Invalid> {
        self.build_as(catalogs, Some(auth_id))
    }

    fn build_as(
        &self,
        catalogs: &mut Catalogs,
        this: Option<&AuthId>,
    ) -> Result<AuthContent, Invalid> {
        let mut scratch = catalogs.clone();
        let mut problems = Vec::new();
        let mut bad = |e: Invalid, field: &str| problems.extend(e.for_field(field).problems);
        let name = AuthName::parse(&self.name)
            .map_err(|e| bad(e, "name"))
            .ok()
            .and_then(|n| scratch.add_label(CatalogKind::Names, n.as_str()).ok());
        let description = match self.description.as_deref().map(Description::parse) {
            Some(Ok(Some(d))) => scratch
                .add_label(CatalogKind::Descriptions, d.as_str())
                .ok(),
            Some(Err(e)) => {
                bad(e, "description");
                None
            }
            _ => None,
        };
        let slugs: Vec<EntryId> = self
            .slugs
            .iter()
            .filter_map(|s| match Slug::parse(s) {
                Ok(s) => scratch.add_label(CatalogKind::Slugs, s.as_str()).ok(),
                Err(e) => {
                    bad(e, Section::Slugs.ids_field());
                    None
                }
            })
            .collect();
        let items: Vec<EntryId> = self
            .items
            .iter()
            .filter_map(|i| {
                scratch
                    .add(CatalogKind::Items, i)
                    .map_err(|e| bad(e, Section::Items.ids_field()))
                    .ok()
            })
            .collect();
        let mut labelled = |section: Section, labels: &[String]| -> Vec<EntryId> {
            labels
                .iter()
                .filter_map(|l| match scratch.find(section.kind(), l) {
                    Some(e) => Some(e.id.clone()),
                    None => {
                        problems.push(FieldProblem::new(
                            section.ids_field(),
                            Rule::UnknownEntry {
                                kind: section.kind(),
                                key: EntryKey::Label(l.clone()),
                            },
                        ));
                        None
                    }
                })
                .collect()
        };
        let flag = labelled(Section::Flag, self.flag.as_slice()).pop();
        let protocols = labelled(Section::Protocols, &self.protocols);
        let departments = labelled(Section::Departments, &self.departments);
        let locations = labelled(Section::Locations, &self.locations);
        let fields = AuthFields {
            name: name.map(NameChoice::Id),
            description: Some(description.map(DescriptionChoice::Id)),
            flag_id: flag,
            protocol_ids: Some(protocols),
            slug_ids: Some(slugs),
            item_ids: Some(items),
            department_ids: Some(departments),
            location_ids: Some(locations),
        };
        let Ok(examination) = examine(&mut scratch, &fields, this);
        // Every problem at once, a field's own first; the examination adds the rules of
        // the composition (required sections, repeated keys, taken names and slugs).
        // Only its "required" and "too few" are dropped where a field's own problem
        // already explains them (a name that is not valid is also missing).
        let first: Vec<FieldProblem> = problems;
        let mut all = first.clone();
        for mut p in examination.all_problems() {
            // The builder was given a name and a description as text.
            if let Some(text) = Section::of_field(&p.field).and_then(Section::text_field) {
                text.clone_into(&mut p.field);
            }
            let explained = matches!(p.rule, Rule::Required { .. } | Rule::TooFew { .. })
                && first.iter().any(|q| {
                    Section::of_field(&q.field)
                        .is_some_and(|s| Section::of_field(&p.field) == Some(s))
                });
            if !explained {
                all.push(p);
            }
        }
        // By field, in the order of the fields (a stable sort keeps each field's order).
        all.sort_by_key(|p| Section::of_field(&p.field).map_or(Section::ALL.len(), |s| s as usize));
        Invalid::check(all)?;
        let content = examination
            .composition()
            .map_err(|r| match r {
                Refusal::Invalid(i) => i,
                Refusal::Taken(p) => Invalid { problems: vec![p] },
                // The builder adds its texts to `scratch` before examining, so this
                // is not expected; it is answered as the text missing, not a panic.
                Refusal::NewText { section } => Invalid::one(
                    section.text_field().unwrap_or("name"),
                    Rule::Required {
                        what: crate::error::Required::Field,
                    },
                ),
            })?
            .content()
            .clone();
        *catalogs = scratch;
        Ok(content)
    }
}
