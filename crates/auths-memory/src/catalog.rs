//! Catalog entries.

use auths_domain::catalog::{CatalogEntry, CatalogKind, EntryRef, EntryUsage, ItemView};
use auths_domain::principal::entry_visible;
use auths_domain::values::fold_case;
use auths_domain::{
    CatalogRepository, Constraint, EntryId, ItemData, NewCatalogEntry, Page, PageRequest, RepoError,
};
use chrono::{DateTime, Utc};

use crate::{MemoryTx, StoredEntry};

impl MemoryTx {
    /// An entry as it may be read back (a secret item's value dropped).
    pub(crate) fn view(&self, id: &EntryId, e: &StoredEntry) -> CatalogEntry {
        CatalogEntry {
            id: id.clone(),
            number: e.number,
            kind: e.kind,
            label: e.label.clone(),
            item: e
                .item
                .as_ref()
                .map(|i| ItemView::new(i.key.as_str().to_owned(), Some(i.value.clone()), i.secret)),
            seeded: e.seeded,
            created_at: e.created_at,
            updated_at: e.updated_at,
            description: e.description.clone(),
        }
    }

    /// The entry `id`, which an auth refers to.
    pub(crate) fn referred(&self, id: &EntryId) -> Result<CatalogEntry, RepoError> {
        self.entries
            .get(id)
            .map(|e| self.view(id, e))
            .ok_or_else(|| RepoError::Internal(format!("dangling catalog reference {id}")))
    }

    pub(crate) fn entry_ref(&self, id: &EntryId) -> Result<EntryRef, RepoError> {
        self.referred(id).map(|e| e.to_ref())
    }

    pub(crate) fn refs(&self, ids: &[EntryId]) -> Result<Vec<EntryRef>, RepoError> {
        ids.iter().map(|id| self.entry_ref(id)).collect()
    }

    fn label_taken(&self, kind: CatalogKind, label: &str, but: Option<&EntryId>) -> bool {
        let key = fold_case(label.trim());
        kind.unique_labels()
            && self
                .entries
                .iter()
                .any(|(id, e)| e.kind == kind && fold_case(&e.label) == key && Some(id) != but)
    }
}

impl CatalogRepository for MemoryTx {
    fn set_description(
        &mut self,
        kind: CatalogKind,
        id: &EntryId,
        description: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Option<CatalogEntry>, RepoError> {
        let Some(e) = self.entries.get_mut(id).filter(|e| e.kind == kind) else {
            return Ok(None);
        };
        e.description = description.map(str::to_owned);
        e.updated_at = at;
        let e = e.clone();
        Ok(Some(self.view(id, &e)))
    }

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
            return Err(RepoError::Conflict(Constraint::CatalogId));
        }
        if self.label_taken(entry.kind, &entry.label, None) {
            return Err(RepoError::Conflict(Constraint::CatalogLabel));
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
            home: None,
            description: None,
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
        for a in self.auths.iter().filter(|a| a.content.uses(id)) {
            let departments = &a.content.department_ids;
            usage.users += 1;
            usage.departments.extend(departments.iter().cloned());
            if scope.is_some_and(|s| !departments.iter().any(|d| s.contains(d))) {
                usage.outside_scope += 1;
            }
        }
        usage.departments.sort();
        usage.departments.dedup();
        if usage.users == 0 {
            usage.home = self.entries.get(id).and_then(|e| e.home.clone());
        }
        Ok(usage)
    }

    fn home_unused(&mut self, ids: &[EntryId], home: &[EntryId]) -> Result<(), RepoError> {
        for id in ids {
            let used = self.auths.iter().any(|a| a.content.uses(id));
            if let Some(e) = self.entries.get_mut(id).filter(|_| !used) {
                e.home = Some(home.to_vec());
            }
        }
        Ok(())
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
        if self.label_taken(kind, label, Some(id)) {
            return Err(RepoError::Conflict(Constraint::CatalogLabel));
        }
        let Some(e) = self.entries.get_mut(id) else {
            return Ok(None);
        };
        label.clone_into(&mut e.label);
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
        let used = self.auths.iter().any(|a| a.content.uses(id))
            || self
                .keys
                .iter()
                .any(|k| k.principal.department_ids.contains(id));
        if used {
            return Err(RepoError::Conflict(Constraint::InUse));
        }
        Ok(self.entries.remove(id).is_some())
    }

    fn list_entries(
        &mut self,
        kind: CatalogKind,
        search: Option<&str>,
        scope: Option<&[EntryId]>,
        page: PageRequest,
    ) -> Result<Page<CatalogEntry>, RepoError> {
        let needle = search.map(|s| fold_case(s.trim())).unwrap_or_default();
        let mut visible = Vec::new();
        for (id, e) in &self.entries {
            if e.kind != kind || !fold_case(&e.label).contains(&needle) {
                continue;
            }
            let usage = self.clone().entry_usage(id, scope)?;
            if entry_visible(kind, id, &usage, scope) {
                visible.push((id, e));
            }
        }
        let mut matches = visible;
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

    fn search_taxonomies(
        &mut self,
        kind: CatalogKind,
        query: &auths_domain::external::TaxonomyQuery,
    ) -> Result<Page<CatalogEntry>, RepoError> {
        use auths_domain::external::TaxonomyField;
        use auths_domain::scoped_search::{Direction, matches};
        let all = PageRequest {
            limit: u32::MAX,
            offset: 0,
        };
        let mut kept: Vec<CatalogEntry> = self
            .list_entries(kind, None, query.scope.as_deref(), all)?
            .rows
            .into_iter()
            .filter(|e| query.filter.as_ref().is_none_or(|f| matches(f, e)))
            .collect();
        let (field, direction) = query.order;
        kept.sort_by(|a, b| {
            let by = match field {
                TaxonomyField::Id => a.number.cmp(&b.number),
                TaxonomyField::Name | TaxonomyField::Title => {
                    fold_case(&a.label).cmp(&fold_case(&b.label))
                }
            };
            let by = by.then(a.number.cmp(&b.number));
            if direction == Direction::Desc {
                by.reverse()
            } else {
                by
            }
        });
        let total = kept.len() as u64;
        let rows = kept
            .into_iter()
            .skip(usize::try_from(query.page.offset).unwrap_or(usize::MAX))
            .take(query.page.limit as usize)
            .collect();
        Ok(Page { rows, total })
    }
}

impl auths_domain::SecretRepository for MemoryTx {
    fn open_secret(
        &mut self,
        id: &EntryId,
    ) -> Result<Option<auths_domain::ldap::SecretText>, RepoError> {
        Ok(self
            .entries
            .get(id)
            .and_then(|e| e.item.as_ref())
            .filter(|i| i.secret)
            .map(|i| auths_domain::ldap::SecretText(i.value.clone())))
    }
}

impl auths_domain::ItemRepository for MemoryTx {
    fn item_with_value(
        &mut self,
        key: &str,
        value: &str,
    ) -> Result<Option<CatalogEntry>, RepoError> {
        let found = self
            .entries
            .iter()
            .filter(|(_, e)| {
                e.kind == CatalogKind::Items
                    && e.item
                        .as_ref()
                        .is_some_and(|i| !i.secret && i.key.as_str() == key && i.value == value)
            })
            .min_by_key(|(_, e)| e.number)
            .map(|(id, e)| (id.clone(), e.clone()));
        Ok(found.map(|(id, e)| self.view(&id, &e)))
    }
}
