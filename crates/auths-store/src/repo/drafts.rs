//! Drafts.

use auths_domain::{
    AuthId, CatalogKind, Draft, DraftId, DraftRepository, EntryId, Page, PageRequest, PrincipalId,
    RepoError,
};
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::{StoreTx, utc};
use crate::error::repo_error;
use crate::models::DraftRow;
use crate::repo::One;
use crate::schema::auth_links as al;
use crate::schema::auths as a;
use crate::schema::drafts as d;

/// The drafts of `owner` a caller limited to `scope` sees: drafts of new auths, and of
/// auths in one of these departments.
macro_rules! visible_drafts {
    ($owner:expr, $scope:expr) => {{
        let mut q = d::table.filter(d::owner_id.eq($owner)).into_boxed();
        if let Some(ids) = $scope {
            q = q.filter(
                d::auth_id.is_null().or(d::auth_id.eq_any(
                    a::table
                        .filter(
                            a::number.eq_any(
                                al::table
                                    .filter(al::kind.eq(CatalogKind::Departments.as_str()))
                                    .filter(al::entry_id.eq_any(ids))
                                    .select(al::auth_number),
                            ),
                        )
                        .select(a::auth_id.nullable()),
                )),
            );
        }
        q
    }};
}

fn corrupt(what: &str) -> RepoError {
    RepoError::Internal(format!("corrupt draft row: {what}"))
}

fn to_row(draft: &Draft) -> Result<DraftRow, RepoError> {
    Ok(DraftRow {
        draft_id: draft.draft_id.to_string(),
        owner_id: draft.owner.to_string(),
        auth_id: draft.auth_id.as_ref().map(ToString::to_string),
        base_version: draft.base_version,
        version: draft.version,
        draft_values: serde_json::to_string(&draft.values)
            .map_err(|e| RepoError::Internal(e.to_string()))?,
        created_at: draft.created_at.naive_utc(),
        updated_at: draft.updated_at.naive_utc(),
    })
}

impl DraftRow {
    fn into_draft(self) -> Result<Draft, RepoError> {
        Ok(Draft {
            draft_id: DraftId::parse(&self.draft_id).map_err(|_| corrupt("draft_id"))?,
            owner: PrincipalId::parse(&self.owner_id).map_err(|_| corrupt("owner_id"))?,
            auth_id: self
                .auth_id
                .map(|a| AuthId::parse(&a).map_err(|_| corrupt("auth_id")))
                .transpose()?,
            base_version: self.base_version,
            version: self.version,
            values: serde_json::from_str(&self.draft_values).map_err(|_| corrupt("values"))?,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

impl DraftRepository for StoreTx {
    fn insert_draft(&mut self, draft: &Draft) -> Result<(), RepoError> {
        diesel::insert_into(d::table)
            .values(to_row(draft)?)
            .execute(self.conn())
            .map(drop)
            .map_err(repo_error)
    }

    fn draft_by_id(&mut self, draft_id: &DraftId) -> Result<Option<Draft>, RepoError> {
        d::table
            .find(draft_id.as_str())
            .select(DraftRow::as_select())
            .load(self.conn())
            .one()
            .map_err(repo_error)?
            .map(DraftRow::into_draft)
            .transpose()
    }

    fn update_draft(&mut self, draft: &Draft, expected_version: i64) -> Result<bool, RepoError> {
        let row = to_row(draft)?;
        diesel::update(
            d::table
                .filter(d::draft_id.eq(draft.draft_id.as_str()))
                .filter(d::version.eq(expected_version)),
        )
        .set((
            d::version.eq(row.version),
            d::draft_values.eq(&row.draft_values),
            d::updated_at.eq(row.updated_at),
        ))
        .execute(self.conn())
        .map(|n| n > 0)
        .map_err(repo_error)
    }

    fn delete_draft(&mut self, draft_id: &DraftId) -> Result<bool, RepoError> {
        diesel::delete(d::table.find(draft_id.as_str()))
            .execute(self.conn())
            .map(|n| n > 0)
            .map_err(repo_error)
    }

    fn drafts_of(
        &mut self,
        owner: &PrincipalId,
        auth_id: Option<&AuthId>,
    ) -> Result<Vec<Draft>, RepoError> {
        // Two fixed statements rather than one boxed query, so that both are prepared
        // once per connection (the form asks this on every `/get`).
        let order = (d::updated_at.desc(), d::draft_id.desc());
        let mine = d::table.filter(d::owner_id.eq(owner.as_str()));
        match auth_id {
            Some(a) => mine
                .filter(d::auth_id.eq(a.as_str()))
                .order(order)
                .select(DraftRow::as_select())
                .load(self.conn()),
            None => mine
                .order(order)
                .select(DraftRow::as_select())
                .load(self.conn()),
        }
        .map_err(repo_error)?
        .into_iter()
        .map(DraftRow::into_draft)
        .collect()
    }

    fn count_drafts(&mut self, owner: &PrincipalId) -> Result<u64, RepoError> {
        d::table
            .filter(d::owner_id.eq(owner.as_str()))
            .select(count_star())
            .get_result::<i64>(self.conn())
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(repo_error)
    }

    fn list_drafts(
        &mut self,
        owner: &PrincipalId,
        scope: Option<&[EntryId]>,
        page: PageRequest,
    ) -> Result<Page<Draft>, RepoError> {
        let ids: Option<Vec<&str>> = scope.map(|s| s.iter().map(EntryId::as_str).collect());
        let total = visible_drafts!(owner.as_str(), ids.clone())
            .select(count_star())
            .get_result::<i64>(self.conn())
            .map_err(repo_error)?;
        let rows = visible_drafts!(owner.as_str(), ids)
            .order((d::updated_at.desc(), d::draft_id.desc()))
            .limit(i64::from(page.limit))
            .offset(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .select(DraftRow::as_select())
            .load(self.conn())
            .map_err(repo_error)?;
        Ok(Page {
            rows: rows
                .into_iter()
                .map(DraftRow::into_draft)
                .collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}
