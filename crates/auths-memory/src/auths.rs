//! Published auths.

use auths_domain::external::{ExternalField, ExternalHits, ExternalQuery, ExternalRecord};
use auths_domain::ldap::SourceKind;
use auths_domain::scoped_search::{Direction, matches};
use auths_domain::values::fold_case;
use auths_domain::{
    Auth, AuthContent, AuthHits, AuthId, AuthQuery, AuthRepository, Constraint, EntryId, ItemRef,
    NewAuth, RepoError,
};
use chrono::{DateTime, Utc};

use crate::{MemoryTx, StoredAuth};

impl MemoryTx {
    /// An auth with its sections resolved, in the domain's order.
    fn resolve(&self, a: &StoredAuth) -> Result<Auth, RepoError> {
        let c = &a.content;
        let items = c
            .item_ids
            .iter()
            .map(|id| {
                let e = self.referred(id)?;
                Ok(ItemRef::new(e.id, e.label, e.item))
            })
            .collect::<Result<Vec<_>, RepoError>>()?;
        let mut auth = Auth {
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
        };
        auth.order_sections();
        Ok(auth)
    }

    /// The rules the SQL store's unique indexes keep: one auth a name, one auth a
    /// slug. `this` is the auth being changed, if any.
    fn check_unique(&self, content: &AuthContent, this: Option<&AuthId>) -> Result<(), RepoError> {
        let others = || self.auths.iter().filter(|a| Some(&a.auth_id) != this);
        if others().any(|a| a.content.name_id == content.name_id) {
            return Err(RepoError::Conflict(Constraint::AuthName));
        }
        if others().any(|a| {
            a.content
                .slug_ids
                .iter()
                .any(|s| content.slug_ids.contains(s))
        }) {
            return Err(RepoError::Conflict(Constraint::SlugOwner));
        }
        // Every entry must exist, as the foreign keys of the SQL store demand.
        if content
            .entries()
            .any(|(_, id)| !self.entries.contains_key(id))
        {
            return Err(RepoError::Conflict(Constraint::InUse));
        }
        Ok(())
    }

    pub(crate) fn in_scope(a: &StoredAuth, scope: Option<&[EntryId]>) -> bool {
        scope.is_none_or(|s| a.content.department_ids.iter().any(|d| s.contains(d)))
    }
}

impl AuthRepository for MemoryTx {
    fn insert_auth(&mut self, auth: &NewAuth) -> Result<i64, RepoError> {
        if self.auths.iter().any(|a| a.auth_id == auth.auth_id) {
            return Err(RepoError::Conflict(Constraint::AuthId));
        }
        self.check_unique(&auth.content, None)?;
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
        number: i64,
        expected_version: i64,
        content: &AuthContent,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<i64, RepoError> {
        let Some(pos) = self
            .auths
            .iter()
            .position(|a| a.number == number && a.version == expected_version)
        else {
            return Err(RepoError::Stale);
        };
        let this = self.auths[pos].auth_id.clone();
        self.check_unique(content, Some(&this))?;
        let a = &mut self.auths[pos];
        a.content = content.clone();
        a.version += 1;
        a.updated_at = at;
        by.clone_into(&mut a.updated_by);
        Ok(a.version)
    }

    fn delete_auth(&mut self, number: i64, expected_version: i64) -> Result<bool, RepoError> {
        let before = self.auths.len();
        self.auths
            .retain(|a| !(a.number == number && a.version == expected_version));
        Ok(self.auths.len() < before)
    }

    fn search_auths(&mut self, query: &AuthQuery) -> Result<AuthHits, RepoError> {
        // The domain's index, built for the question: the same answers as the server's.
        let mut index = auths_domain::SearchIndex::new(0);
        for stored in &self.auths {
            let a = self.resolve(stored)?;
            index.upsert(std::sync::Arc::new(a));
        }
        Ok(index.search(query))
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
            .filter(|a| a.number > after && Self::in_scope(a, scope))
            .map(|a| a.number)
            .collect();
        numbers.sort_unstable();
        numbers.truncate(limit as usize);
        Ok(numbers)
    }

    fn search_externals(&mut self, query: &ExternalQuery) -> Result<ExternalHits, RepoError> {
        let number_of = |id: &EntryId| self.entries.get(id).map(|e| e.number);
        let linked = |numbers: &[i64], n: Option<i64>| n.is_none_or(|n| numbers.contains(&n));
        let mut base = Vec::new();
        for stored in &self.auths {
            let auth = self.resolve(stored)?;
            let record = ExternalRecord::of(&auth, number_of);
            let locations: Vec<i64> = record.locations.iter().map(|t| t.number).collect();
            let organizations: Vec<i64> = record.organizations.iter().map(|t| t.number).collect();
            let kind_ok = match query.kind {
                Some(kind) => kind.holds(&auth),
                None => SourceKind::of(&auth).is_some(),
            };
            if kind_ok
                && linked(&locations, query.location)
                && linked(&organizations, query.organization)
                && Self::in_scope(stored, query.scope.as_deref())
            {
                base.push(record);
            }
        }
        let total = base.len() as u64;
        let mut hits: Vec<ExternalRecord> = base
            .into_iter()
            .filter(|r| query.filter.as_ref().is_none_or(|f| matches(f, r)))
            .collect();
        match query.order.0 {
            ExternalField::Name => hits.sort_by(|x, y| {
                fold_case(&x.name)
                    .cmp(&fold_case(&y.name))
                    .then(x.number.cmp(&y.number))
            }),
            _ => hits.sort_by_key(|r| r.number),
        }
        if query.order.1 == Direction::Desc {
            hits.reverse();
        }
        let subtotal = hits.len() as u64;
        let (skip, take) = query.page.map_or((0, usize::MAX), |p| {
            (
                usize::try_from(p.offset).unwrap_or(usize::MAX),
                p.limit as usize,
            )
        });
        Ok(ExternalHits {
            numbers: hits
                .iter()
                .skip(skip)
                .take(take)
                .map(|r| r.number)
                .collect(),
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

    fn lock_auth(&mut self, _number: i64) -> Result<bool, RepoError> {
        // A transaction works on a copy of the whole state: writers are serialised.
        Ok(false)
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
