//! An in-memory implementation of the ports (feature `memory`).
//!
//! It keeps the same rules as the SQL adapters (unique names and slugs, case-insensitive
//! labels, secret values never read back) and real transaction semantics: a write works
//! on a copy of the state that replaces the original only when the closure succeeds, and
//! writers are serialised. Meant for tests and for embedders that want the rules without
//! a database; it holds everything in memory and is not tuned for size.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use crate::audit::{AuditFilter, AuditRecord, NewAuditRecord};
use crate::auth::{Auth, AuthContent, NewAuth};
use crate::catalog::{
    CatalogEntry, CatalogKind, EntryRef, EntryUsage, ItemRef, ItemView, NewCatalogEntry, SEEDS,
};
use crate::draft::Draft;
use crate::error::RepoError;
use crate::external::{ExternalHits, ExternalQuery};
use crate::ids::{AuthId, DraftId, EntryId, GroupId, PrincipalId};
use crate::ports::{
    AuditRepository, AuthRepository, CatalogRepository, DraftRepository, Page, PageRequest,
    PrincipalRepository, Store,
};
use crate::ports::{Transaction, UploadRepository};
use crate::principal::{KeyRecord, NewPrincipal, Principal};
use crate::scoped_search::{Direction, Filter, Op, Value};
use crate::search::{AuthHits, AuthQuery};
use crate::upload::Upload;
use crate::values::{ItemData, fold_case};

#[derive(Debug, Clone)]
struct StoredEntry {
    number: i64,
    kind: CatalogKind,
    label: String,
    item: Option<ItemData>,
    seeded: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// A stored key: its principal, when it was last used, when it was revoked.
type StoredKey = (NewPrincipal, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

#[derive(Debug, Clone)]
struct StoredAuth {
    number: i64,
    auth_id: AuthId,
    group_id: GroupId,
    content: AuthContent,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: String,
    updated_by: String,
}

/// The whole state; a transaction works on a copy of it.
#[derive(Debug, Clone, Default)]
pub struct MemoryTx {
    entries: BTreeMap<EntryId, StoredEntry>,
    auths: Vec<StoredAuth>,
    keys: Vec<StoredKey>,
    audit: Vec<(i64, NewAuditRecord)>,
    drafts: Vec<Draft>,
    uploads: Vec<Upload>,
    next_number: i64,
    generation: i64,
}

/// The in-memory store. Cloning shares the state.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    state: Arc<Mutex<MemoryTx>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// A store holding only the seeded flags and protocols.
    pub fn new() -> Self {
        let mut tx = MemoryTx {
            next_number: 1,
            ..MemoryTx::default()
        };
        let epoch = DateTime::<Utc>::UNIX_EPOCH;
        for s in SEEDS {
            if let Ok(id) = EntryId::parse(s.id) {
                let number = tx.bump();
                tx.entries.insert(
                    id,
                    StoredEntry {
                        number,
                        kind: s.kind,
                        label: s.label.to_owned(),
                        item: None,
                        seeded: true,
                        created_at: epoch,
                        updated_at: epoch,
                    },
                );
            }
        }
        Self {
            state: Arc::new(Mutex::new(tx)),
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, MemoryTx>, RepoError> {
        self.state
            .lock()
            .map_err(|_| RepoError::Internal("memory store poisoned by a panic".into()))
    }
}

impl MemoryTx {
    fn bump(&mut self) -> i64 {
        let n = self.next_number;
        self.next_number += 1;
        n
    }

    fn view(&self, id: &EntryId, e: &StoredEntry) -> CatalogEntry {
        CatalogEntry {
            id: id.clone(),
            number: e.number,
            kind: e.kind,
            label: e.label.clone(),
            item: e.item.as_ref().map(|i| ItemView {
                key: i.key.as_str().to_owned(),
                value: (!i.secret).then(|| i.value.clone()),
                secret: i.secret,
            }),
            seeded: e.seeded,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }

    fn entry_ref(&self, id: &EntryId) -> Result<EntryRef, RepoError> {
        self.entries
            .get(id)
            .map(|e| EntryRef {
                id: id.clone(),
                label: e.label.clone(),
            })
            .ok_or_else(|| RepoError::Internal(format!("dangling catalog reference {id}")))
    }

    fn refs(&self, ids: &[EntryId]) -> Result<Vec<EntryRef>, RepoError> {
        let mut refs = ids
            .iter()
            .map(|id| self.entry_ref(id))
            .collect::<Result<Vec<_>, _>>()?;
        refs.sort_by(|a, b| {
            fold_case(&a.label)
                .cmp(&fold_case(&b.label))
                .then(a.id.cmp(&b.id))
        });
        Ok(refs)
    }

    fn resolve(&self, a: &StoredAuth) -> Result<Auth, RepoError> {
        let c = &a.content;
        let mut items = c
            .item_ids
            .iter()
            .map(|id| {
                let e = self
                    .entries
                    .get(id)
                    .ok_or_else(|| RepoError::Internal(format!("dangling item {id}")))?;
                let v = self.view(id, e);
                let item = v.item.unwrap_or(ItemView {
                    key: v.label.clone(),
                    value: None,
                    secret: false,
                });
                Ok(ItemRef {
                    id: id.clone(),
                    label: v.label,
                    key: item.key,
                    value: item.value,
                    secret: item.secret,
                })
            })
            .collect::<Result<Vec<_>, RepoError>>()?;
        items.sort_by(|a, b| {
            fold_case(&a.label)
                .cmp(&fold_case(&b.label))
                .then(a.id.cmp(&b.id))
        });
        Ok(Auth {
            number: a.number,
            auth_id: a.auth_id.clone(),
            group_id: a.group_id.clone(),
            name: self.entry_ref(&c.name_id)?,
            description: c
                .description_id
                .as_ref()
                .map(|d| self.entry_ref(d))
                .transpose()?,
            flag: self.entry_ref(&c.flag_id)?,
            protocols: self.refs(&c.protocol_ids)?,
            slugs: self.refs(&c.slug_ids)?,
            items,
            departments: self.refs(&c.department_ids)?,
            locations: self.refs(&c.location_ids)?,
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
            created_by: a.created_by.clone(),
            updated_by: a.updated_by.clone(),
        })
    }
}

impl MemoryTx {
    /// Whether `a` matches `f`, with the store's semantics: text compared case-folded,
    /// a taxonomy condition true when any of the auth's taxonomies meets it.
    fn matches(&self, a: &Auth, f: &Filter) -> bool {
        match f {
            Filter::And(x, y) => self.matches(a, x) && self.matches(a, y),
            Filter::Or(x, y) => self.matches(a, x) || self.matches(a, y),
            Filter::Not(x) => !self.matches(a, x),
            Filter::Term { field, op, values } => {
                let texts: Vec<String>;
                let ints: Vec<i64>;
                let (is_text, many) = match *field {
                    "id" => {
                        ints = vec![a.number];
                        texts = Vec::new();
                        (false, false)
                    }
                    "name" => {
                        texts = vec![fold_case(&a.name.label)];
                        ints = Vec::new();
                        (true, false)
                    }
                    "location" | "organization" => {
                        let refs = if *field == "location" {
                            &a.locations
                        } else {
                            &a.departments
                        };
                        texts = refs.iter().map(|r| fold_case(&r.label)).collect();
                        ints = Vec::new();
                        (true, true)
                    }
                    _ => {
                        let refs = if *field == "location_id" {
                            &a.locations
                        } else {
                            &a.departments
                        };
                        ints = refs
                            .iter()
                            .filter_map(|r| self.entries.get(&r.id).map(|e| e.number))
                            .collect();
                        texts = Vec::new();
                        (false, true)
                    }
                };
                let any_of = |pred: &dyn Fn(usize) -> bool| -> bool {
                    let n = if is_text { texts.len() } else { ints.len() };
                    (0..n).any(pred)
                };
                let cmp = |i: usize, v: &Value| -> Option<std::cmp::Ordering> {
                    match v {
                        Value::Int(x) => ints.get(i).map(|n| n.cmp(x)),
                        Value::Text(t) => {
                            texts.get(i).map(|s| s.as_str().cmp(fold_case(t).as_str()))
                        }
                    }
                };
                let like = |i: usize, v: &Value| match v {
                    Value::Text(p) => texts.get(i).is_some_and(|s| like_match(s, p)),
                    Value::Int(_) => false,
                };
                use std::cmp::Ordering::{Equal, Greater, Less};
                let one = values.first();
                let positive = |pred: &dyn Fn(usize) -> bool| any_of(pred);
                match op {
                    Op::Set => positive(&|_| true),
                    Op::Null => !positive(&|_| true),
                    Op::Eq => positive(&|i| one.is_some_and(|v| cmp(i, v) == Some(Equal))),
                    Op::Ne if many => !positive(&|i| one.is_some_and(|v| cmp(i, v) == Some(Equal))),
                    Op::Ne => positive(&|i| one.is_some_and(|v| cmp(i, v) != Some(Equal))),
                    Op::Gt => positive(&|i| one.is_some_and(|v| cmp(i, v) == Some(Greater))),
                    Op::Lt => positive(&|i| one.is_some_and(|v| cmp(i, v) == Some(Less))),
                    Op::Ge => positive(&|i| {
                        one.is_some_and(|v| matches!(cmp(i, v), Some(Greater | Equal)))
                    }),
                    Op::Le => {
                        positive(&|i| one.is_some_and(|v| matches!(cmp(i, v), Some(Less | Equal))))
                    }
                    Op::Like => positive(&|i| one.is_some_and(|v| like(i, v))),
                    Op::NotLike => !positive(&|i| one.is_some_and(|v| like(i, v))),
                    Op::In => positive(&|i| values.iter().any(|v| cmp(i, v) == Some(Equal))),
                    Op::NotIn => !positive(&|i| values.iter().any(|v| cmp(i, v) == Some(Equal))),
                }
            }
        }
    }
}

/// Whether an auth's content uses the entry `id` in any section.
fn uses(c: &AuthContent, id: &EntryId) -> bool {
    &c.name_id == id
        || c.description_id.as_ref() == Some(id)
        || &c.flag_id == id
        || [
            &c.protocol_ids,
            &c.slug_ids,
            &c.item_ids,
            &c.department_ids,
            &c.location_ids,
        ]
        .iter()
        .any(|ids| ids.contains(id))
}

/// SQL `LIKE` with `\` escapes, `%` and `_` wildcards.
fn like_match(s: &str, pattern: &str) -> bool {
    fn go(s: &[char], p: &[char]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some(('%', rest)) => (0..=s.len()).any(|i| go(&s[i..], rest)),
            Some(('_', rest)) => !s.is_empty() && go(&s[1..], rest),
            Some(('\\', rest)) => match rest.split_first() {
                Some((c, rest)) => s.first() == Some(c) && go(&s[1..], rest),
                None => false,
            },
            Some((c, rest)) => s.first() == Some(c) && go(&s[1..], rest),
        }
    }
    let s: Vec<char> = s.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    go(&s, &p)
}

impl CatalogRepository for MemoryTx {
    fn entries_by_ids(
        &mut self,
        kind: CatalogKind,
        ids: &[EntryId],
    ) -> Result<Vec<CatalogEntry>, RepoError> {
        Ok(ids
            .iter()
            .filter_map(|id| {
                self.entries
                    .get(id)
                    .filter(|e| e.kind == kind)
                    .map(|e| self.view(id, e))
            })
            .collect())
    }

    fn entry_by_label(
        &mut self,
        kind: CatalogKind,
        label: &str,
    ) -> Result<Option<CatalogEntry>, RepoError> {
        let key = fold_case(label.trim());
        Ok(self
            .entries
            .iter()
            .filter(|(_, e)| e.kind == kind && fold_case(&e.label) == key)
            .min_by_key(|(_, e)| e.number)
            .map(|(id, e)| self.view(id, e)))
    }

    fn insert_entry(
        &mut self,
        entry: &NewCatalogEntry,
        at: DateTime<Utc>,
    ) -> Result<CatalogEntry, RepoError> {
        if self.entries.contains_key(&entry.id) {
            return Err(RepoError::Conflict {
                constraint: "catalog_id".into(),
            });
        }
        if entry.kind.unique_labels() && self.entry_by_label(entry.kind, &entry.label)?.is_some() {
            return Err(RepoError::Conflict {
                constraint: "catalog_label".into(),
            });
        }
        let number = self.bump();
        let stored = StoredEntry {
            number,
            kind: entry.kind,
            label: entry.label.clone(),
            item: entry.item.clone(),
            seeded: false,
            created_at: at,
            updated_at: at,
        };
        let view = self.view(&entry.id, &stored);
        self.entries.insert(entry.id.clone(), stored);
        Ok(view)
    }

    fn ensure_entry(
        &mut self,
        entry: &NewCatalogEntry,
        at: DateTime<Utc>,
    ) -> Result<CatalogEntry, RepoError> {
        match self.entry_by_label(entry.kind, &entry.label)? {
            Some(e) if entry.kind.unique_labels() => Ok(e),
            _ => self.insert_entry(entry, at),
        }
    }

    fn entry_usage(
        &mut self,
        id: &EntryId,
        scope: Option<&[EntryId]>,
    ) -> Result<EntryUsage, RepoError> {
        let mut usage = EntryUsage::default();
        for a in &self.auths {
            let c = &a.content;
            let uses = uses(c, id);
            if !uses {
                continue;
            }
            usage.departments.extend(c.department_ids.iter().cloned());
            if scope.is_some_and(|s| !c.department_ids.iter().any(|d| s.contains(d))) {
                usage.outside_scope += 1;
            }
        }
        usage.departments.sort();
        usage.departments.dedup();
        Ok(usage)
    }

    fn entry_by_number(
        &mut self,
        kind: CatalogKind,
        number: i64,
    ) -> Result<Option<CatalogEntry>, RepoError> {
        Ok(self
            .entries
            .iter()
            .find(|(_, e)| e.kind == kind && e.number == number)
            .map(|(id, e)| self.view(id, e)))
    }

    fn update_entry(
        &mut self,
        kind: CatalogKind,
        id: &EntryId,
        label: &str,
        item: Option<&ItemData>,
        at: DateTime<Utc>,
    ) -> Result<Option<CatalogEntry>, RepoError> {
        if self.entries.get(id).is_none_or(|e| e.kind != kind) {
            return Ok(None);
        }
        if kind.unique_labels()
            && self
                .entry_by_label(kind, label)?
                .is_some_and(|e| &e.id != id)
        {
            return Err(RepoError::Conflict {
                constraint: "catalog_label".into(),
            });
        }
        let Some(e) = self.entries.get_mut(id) else {
            return Ok(None);
        };
        e.label = label.to_owned();
        if item.is_some() {
            e.item = item.cloned();
        }
        e.updated_at = at;
        let e = e.clone();
        Ok(Some(self.view(id, &e)))
    }

    fn delete_entry(&mut self, kind: CatalogKind, id: &EntryId) -> Result<bool, RepoError> {
        if self.entries.get(id).is_none_or(|e| e.kind != kind) {
            return Ok(false);
        }
        let used = self.auths.iter().any(|a| {
            let c = &a.content;
            uses(c, id)
        }) || self.keys.iter().any(|k| k.0.department_ids.contains(id));
        if used {
            return Err(RepoError::Conflict {
                constraint: "in_use".into(),
            });
        }
        Ok(self.entries.remove(id).is_some())
    }

    fn list_entries(
        &mut self,
        kind: CatalogKind,
        search: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<CatalogEntry>, RepoError> {
        let needle = search.map(|s| fold_case(s.trim())).unwrap_or_default();
        let mut matches: Vec<_> = self
            .entries
            .iter()
            .filter(|(_, e)| e.kind == kind && fold_case(&e.label).contains(&needle))
            .collect();
        matches.sort_by(|(ia, a), (ib, b)| {
            fold_case(&a.label)
                .cmp(&fold_case(&b.label))
                .then(ia.cmp(ib))
        });
        let total = matches.len() as u64;
        let rows = matches
            .into_iter()
            .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
            .take(page.limit as usize)
            .map(|(id, e)| self.view(id, e))
            .collect();
        Ok(Page { rows, total })
    }
}

impl AuthRepository for MemoryTx {
    fn insert_auth(&mut self, auth: &NewAuth) -> Result<i64, RepoError> {
        if self.auths.iter().any(|a| a.auth_id == auth.auth_id) {
            return Err(RepoError::Conflict {
                constraint: "auth_id".into(),
            });
        }
        if self
            .auths
            .iter()
            .any(|a| a.content.name_id == auth.content.name_id)
        {
            return Err(RepoError::Conflict {
                constraint: "auth_name".into(),
            });
        }
        if !self.slug_owners(&auth.content.slug_ids)?.is_empty() {
            return Err(RepoError::Conflict {
                constraint: "slug_owner".into(),
            });
        }
        let number = self.bump();
        self.auths.push(StoredAuth {
            number,
            auth_id: auth.auth_id.clone(),
            group_id: auth.group_id.clone(),
            content: auth.content.clone(),
            version: 1,
            created_at: auth.at,
            updated_at: auth.at,
            created_by: auth.by.clone(),
            updated_by: auth.by.clone(),
        });
        Ok(number)
    }

    fn update_auth(
        &mut self,
        auth_id: &AuthId,
        expected_version: i64,
        content: &AuthContent,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<i64, RepoError> {
        let Some(pos) = self
            .auths
            .iter()
            .position(|a| &a.auth_id == auth_id && a.version == expected_version)
        else {
            return Err(RepoError::Stale);
        };
        if self
            .auths
            .iter()
            .any(|a| &a.auth_id != auth_id && a.content.name_id == content.name_id)
        {
            return Err(RepoError::Conflict {
                constraint: "auth_name".into(),
            });
        }
        if self
            .slug_owners(&content.slug_ids)?
            .iter()
            .any(|(_, owner)| owner != auth_id)
        {
            return Err(RepoError::Conflict {
                constraint: "slug_owner".into(),
            });
        }
        let a = &mut self.auths[pos];
        a.content = content.clone();
        a.version += 1;
        a.updated_at = at;
        a.updated_by = by.to_owned();
        Ok(a.version)
    }

    fn delete_auth(&mut self, auth_id: &AuthId, expected_version: i64) -> Result<bool, RepoError> {
        let before = self.auths.len();
        self.auths
            .retain(|a| !(&a.auth_id == auth_id && a.version == expected_version));
        Ok(self.auths.len() < before)
    }

    fn search_auths(&mut self, query: &AuthQuery) -> Result<AuthHits, RepoError> {
        let words = |a: &Auth| -> Vec<String> {
            let mut text = vec![a.name.label.clone()];
            text.extend(a.description.iter().map(|d| d.label.clone()));
            for refs in [&a.slugs, &a.protocols, &a.departments] {
                text.extend(refs.iter().map(|r| r.label.clone()));
            }
            text.iter()
                .flat_map(|t| crate::search::search_terms(t))
                .collect()
        };
        let in_any = |a: &Auth, ds: &Option<Vec<EntryId>>| {
            ds.as_ref()
                .is_none_or(|ds| a.departments.iter().any(|d| ds.contains(&d.id)))
        };
        let mut matching = Vec::new();
        for stored in &self.auths {
            let a = self.resolve(stored)?;
            let w = words(&a);
            let hits = query
                .terms
                .iter()
                .all(|t| w.iter().any(|x| x.starts_with(t.as_str())));
            if hits && in_any(&a, &query.scope) {
                matching.push(a);
            }
        }
        let mut facet: BTreeMap<EntryId, u64> = BTreeMap::new();
        for a in &matching {
            for d in &a.departments {
                *facet.entry(d.id.clone()).or_default() += 1;
            }
        }
        let mut page: Vec<&Auth> = matching
            .iter()
            .filter(|a| in_any(a, &query.departments))
            .collect();
        page.sort_by(|x, y| {
            fold_case(&x.name.label)
                .cmp(&fold_case(&y.name.label))
                .then(x.number.cmp(&y.number))
        });
        let total = page.len() as u64;
        let numbers = page
            .into_iter()
            .skip(usize::try_from(query.page.offset).unwrap_or(usize::MAX))
            .take(query.page.limit as usize)
            .map(|a| a.number)
            .collect();
        Ok(AuthHits {
            numbers,
            total,
            departments: facet.into_iter().collect(),
        })
    }

    fn auth_numbers_after(
        &mut self,
        after: i64,
        limit: u32,
        scope: Option<&[EntryId]>,
    ) -> Result<Vec<i64>, RepoError> {
        let mut numbers: Vec<i64> = self
            .auths
            .iter()
            .filter(|a| a.number > after)
            .filter(|a| {
                scope.is_none_or(|s| a.content.department_ids.iter().any(|d| s.contains(d)))
            })
            .map(|a| a.number)
            .collect();
        numbers.sort_unstable();
        numbers.truncate(limit as usize);
        Ok(numbers)
    }

    fn search_externals(&mut self, query: &ExternalQuery) -> Result<ExternalHits, RepoError> {
        let external = EntryId::parse(crate::catalog::PROTOCOL_EXTERNAL)
            .map_err(|e| RepoError::Internal(e.to_string()))?;
        let mut base = Vec::new();
        for stored in &self.auths {
            let a = self.resolve(stored)?;
            let numbered = |refs: &[EntryRef], n: Option<i64>| {
                n.is_none_or(|n| {
                    refs.iter()
                        .any(|r| self.entries.get(&r.id).is_some_and(|e| e.number == n))
                })
            };
            if a.protocols.iter().any(|p| p.id == external)
                && numbered(&a.locations, query.location)
                && numbered(&a.departments, query.organization)
                && query
                    .scope
                    .as_ref()
                    .is_none_or(|s| a.departments.iter().any(|d| s.contains(&d.id)))
            {
                base.push(a);
            }
        }
        let total = base.len() as u64;
        let mut hits: Vec<Auth> = Vec::new();
        for a in base {
            if query.filter.as_ref().is_none_or(|f| self.matches(&a, f)) {
                hits.push(a);
            }
        }
        match query.order.0 {
            "name" => hits.sort_by(|x, y| {
                fold_case(&x.name.label)
                    .cmp(&fold_case(&y.name.label))
                    .then(x.number.cmp(&y.number))
            }),
            _ => hits.sort_by_key(|a| a.number),
        }
        if query.order.1 == Direction::Desc {
            hits.reverse();
        }
        let subtotal = hits.len() as u64;
        let numbers = match query.page {
            Some(p) => hits
                .iter()
                .skip(usize::try_from(p.offset).unwrap_or(usize::MAX))
                .take(p.limit as usize)
                .map(|a| a.number)
                .collect(),
            None => hits.iter().map(|a| a.number).collect(),
        };
        Ok(ExternalHits {
            numbers,
            total,
            subtotal,
        })
    }

    fn auths_by_numbers(&mut self, numbers: &[i64]) -> Result<Vec<Auth>, RepoError> {
        numbers
            .iter()
            .filter_map(|n| self.auths.iter().find(|a| a.number == *n))
            .map(|a| self.resolve(a))
            .collect()
    }

    fn rebuild_search_index(&mut self) -> Result<u64, RepoError> {
        Ok(self.auths.len() as u64)
    }

    fn auth_by_id(&mut self, auth_id: &AuthId) -> Result<Option<Auth>, RepoError> {
        self.auths
            .iter()
            .find(|a| &a.auth_id == auth_id)
            .map(|a| self.resolve(a))
            .transpose()
    }

    fn auth_by_number(&mut self, number: i64) -> Result<Option<Auth>, RepoError> {
        self.auths
            .iter()
            .find(|a| a.number == number)
            .map(|a| self.resolve(a))
            .transpose()
    }

    fn auth_named(&mut self, name_id: &EntryId) -> Result<Option<AuthId>, RepoError> {
        Ok(self
            .auths
            .iter()
            .find(|a| &a.content.name_id == name_id)
            .map(|a| a.auth_id.clone()))
    }

    fn slug_owners(&mut self, slug_ids: &[EntryId]) -> Result<Vec<(EntryId, AuthId)>, RepoError> {
        Ok(self
            .auths
            .iter()
            .flat_map(|a| {
                a.content
                    .slug_ids
                    .iter()
                    .filter(|s| slug_ids.contains(s))
                    .map(|s| (s.clone(), a.auth_id.clone()))
            })
            .collect())
    }
}

impl MemoryTx {
    fn key_record(
        &self,
        (p, used, revoked): &(NewPrincipal, Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    ) -> Result<KeyRecord, RepoError> {
        let departments = if p.department_ids.is_empty() {
            None
        } else {
            Some(self.refs(&p.department_ids)?)
        };
        Ok(KeyRecord {
            principal: Principal {
                id: p.id.clone(),
                name: p.name.clone(),
                role: p.role,
                departments,
                allow_mcp_writes: p.allow_mcp_writes,
            },
            key_hash: p.key_hash.clone(),
            created_at: p.at,
            last_used_at: *used,
            revoked_at: *revoked,
        })
    }
}

impl PrincipalRepository for MemoryTx {
    fn insert_principal(&mut self, principal: &NewPrincipal) -> Result<(), RepoError> {
        if self
            .keys
            .iter()
            .any(|(p, _, revoked)| revoked.is_none() && p.name == principal.name)
        {
            return Err(RepoError::Conflict {
                constraint: "principal_name".into(),
            });
        }
        self.keys.push((principal.clone(), None, None));
        Ok(())
    }

    fn active_keys_by_lookup(&mut self, key_lookup: &str) -> Result<Vec<KeyRecord>, RepoError> {
        self.keys
            .iter()
            .filter(|(p, _, revoked)| revoked.is_none() && p.key_lookup == key_lookup)
            .map(|k| self.key_record(k))
            .collect()
    }

    fn list_keys(&mut self) -> Result<Vec<KeyRecord>, RepoError> {
        let mut all = self
            .keys
            .iter()
            .map(|k| self.key_record(k))
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_by(|a, b| {
            a.principal
                .name
                .cmp(&b.principal.name)
                .then(a.created_at.cmp(&b.created_at))
        });
        Ok(all)
    }

    fn revoke_key(&mut self, name: &str, at: DateTime<Utc>) -> Result<bool, RepoError> {
        match self
            .keys
            .iter_mut()
            .find(|(p, _, revoked)| revoked.is_none() && p.name == name)
        {
            Some(k) => {
                k.2 = Some(at);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn count_active_keys(&mut self) -> Result<u64, RepoError> {
        Ok(self.keys.iter().filter(|k| k.2.is_none()).count() as u64)
    }

    fn record_key_use(&mut self, uses: &[(PrincipalId, DateTime<Utc>)]) -> Result<(), RepoError> {
        for (id, at) in uses {
            for k in self.keys.iter_mut().filter(|k| &k.0.id == id) {
                k.1 = Some(k.1.map_or(*at, |t| t.max(*at)));
            }
        }
        Ok(())
    }
}

impl UploadRepository for MemoryTx {
    fn insert_upload(&mut self, upload: &Upload) -> Result<(), RepoError> {
        self.uploads.push(upload.clone());
        Ok(())
    }

    fn upload_by_id(&mut self, upload_id: &str) -> Result<Option<Upload>, RepoError> {
        Ok(self
            .uploads
            .iter()
            .find(|u| u.upload_id == upload_id)
            .cloned())
    }
}

impl DraftRepository for MemoryTx {
    fn insert_draft(&mut self, draft: &Draft) -> Result<(), RepoError> {
        self.drafts.push(draft.clone());
        Ok(())
    }

    fn draft_by_id(&mut self, draft_id: &DraftId) -> Result<Option<Draft>, RepoError> {
        Ok(self
            .drafts
            .iter()
            .find(|d| &d.draft_id == draft_id)
            .cloned())
    }

    fn update_draft(&mut self, draft: &Draft, expected_version: i64) -> Result<bool, RepoError> {
        match self
            .drafts
            .iter_mut()
            .find(|d| d.draft_id == draft.draft_id && d.version == expected_version)
        {
            Some(d) => {
                *d = draft.clone();
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn delete_draft(&mut self, draft_id: &DraftId) -> Result<bool, RepoError> {
        let before = self.drafts.len();
        self.drafts.retain(|d| &d.draft_id != draft_id);
        Ok(self.drafts.len() < before)
    }

    fn drafts_of(
        &mut self,
        owner: &PrincipalId,
        auth_id: Option<&AuthId>,
    ) -> Result<Vec<Draft>, RepoError> {
        let mut found: Vec<Draft> = self
            .drafts
            .iter()
            .filter(|d| &d.owner == owner && auth_id.is_none_or(|a| d.auth_id.as_ref() == Some(a)))
            .cloned()
            .collect();
        found.sort_by(|a, b| {
            b.updated_at
                .cmp(&a.updated_at)
                .then(b.draft_id.cmp(&a.draft_id))
        });
        Ok(found)
    }
}

impl AuditRepository for MemoryTx {
    fn append_audit(&mut self, record: &NewAuditRecord) -> Result<(), RepoError> {
        let n = self.bump();
        self.audit.push((n, record.clone()));
        Ok(())
    }

    fn list_audit(
        &mut self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, RepoError> {
        let mut rows: Vec<_> = self
            .audit
            .iter()
            .filter(|(_, r)| {
                filter
                    .auth_id
                    .as_ref()
                    .is_none_or(|a| r.auth_id.as_ref() == Some(a))
            })
            .filter(|(_, r)| {
                filter
                    .departments
                    .as_ref()
                    .is_none_or(|mine| r.department_ids.iter().any(|d| mine.contains(d)))
            })
            .collect();
        rows.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
        let total = rows.len() as u64;
        let rows = rows
            .into_iter()
            .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
            .take(page.limit as usize)
            .map(|(n, r)| AuditRecord {
                id: *n,
                at: r.at,
                actor_id: r.actor_id.clone(),
                actor_name: r.actor_name.clone(),
                channel: r.channel,
                operation: r.operation.clone(),
                auth_id: r.auth_id.clone(),
                before: r.before.clone(),
                after: r.after.clone(),
            })
            .collect();
        Ok(Page { rows, total })
    }
}

impl Store for MemoryStore {
    type Tx = MemoryTx;

    fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        E: From<RepoError>,
        F: FnOnce(&mut MemoryTx) -> Result<T, E>,
    {
        let mut snapshot = self.lock()?.clone();
        f(&mut snapshot)
    }

    fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        E: From<RepoError>,
        F: FnOnce(&mut MemoryTx) -> Result<T, E>,
    {
        let mut guard = self.lock()?;
        let mut working = guard.clone();
        let out = f(&mut working)?;
        working.generation += 1;
        *guard = working;
        Ok(out)
    }

    fn ping(&self) -> Result<(), RepoError> {
        self.lock().map(drop)
    }

    fn generation(&self) -> Result<i64, RepoError> {
        Ok(self.lock()?.generation)
    }
}

impl Transaction for MemoryTx {
    fn savepoint<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        E: From<RepoError>,
        F: FnOnce(&mut Self) -> Result<T, E>,
    {
        let saved = self.clone();
        let out = f(self);
        if out.is_err() {
            *self = saved;
        }
        out
    }

    fn generation(&mut self) -> Result<i64, RepoError> {
        Ok(self.generation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::NewCatalogEntry;

    fn at() -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH
    }

    #[test]
    fn failed_writes_roll_back() {
        let store = MemoryStore::new();
        let entry = NewCatalogEntry {
            id: EntryId::parse("d1").unwrap(),
            kind: CatalogKind::Departments,
            label: "Finance".into(),
            item: None,
        };
        let r: Result<(), RepoError> = store.write(|tx| {
            tx.insert_entry(&entry, at())?;
            Err(RepoError::Stale)
        });
        assert_eq!(r, Err(RepoError::Stale));
        let found = store
            .read(|tx| tx.entry_by_label(CatalogKind::Departments, "finance"))
            .unwrap();
        assert_eq!(found, None);
        store
            .write(|tx| tx.insert_entry(&entry, at()).map(drop))
            .unwrap();
        let found = store
            .read(|tx| tx.entry_by_label(CatalogKind::Departments, "FINANCE"))
            .unwrap();
        assert_eq!(found.map(|e| e.label), Some("Finance".to_owned()));
    }

    #[test]
    fn secret_values_are_never_read_back() {
        let store = MemoryStore::new();
        let entry = NewCatalogEntry {
            id: EntryId::parse("i1").unwrap(),
            kind: CatalogKind::Items,
            label: "bind_password".into(),
            item: Some(ItemData::parse("bind_password", "hunter2", true).unwrap()),
        };
        let stored = store.write(|tx| tx.insert_entry(&entry, at())).unwrap();
        let item = stored.item.unwrap();
        assert!(item.secret);
        assert_eq!(item.value, None);
        assert!(
            !format!(
                "{:?}",
                store
                    .read(
                        |tx| tx.entries_by_ids(CatalogKind::Items, std::slice::from_ref(&entry.id))
                    )
                    .unwrap()
            )
            .contains("hunter2")
        );
    }
}
