//! Create auths.

use auths_domain::{
    AuthFields, AuthId, BatchPlan, Caller, CatalogKind, DescriptionChoice, DraftId, GroupId,
    NameChoice, NewAuth, Operation, RawFields, Repositories, Rule, Store, Transaction,
};

use super::bulk::check_size;
use crate::{AppError, AuthService, clock};

/// What a successful create answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOutcome {
    /// The new auth's id.
    pub auth_id: AuthId,
    /// Its numeric id.
    pub number: i64,
    /// Its version (1).
    pub version: i64,
}

/// Creates one auth inside the caller's transaction (also used to publish a draft).
pub(crate) fn create_in<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    fields: &AuthFields,
) -> Result<CreateOutcome, AppError> {
    let resolved = super::resolve::content(tx, caller, fields, None)?;
    caller.may_assign(&resolved.departments())?;
    let new = NewAuth {
        auth_id: AuthId::parse(&clock::new_id())?,
        group_id: GroupId::parse(&clock::new_id())?,
        content: resolved.content().clone(),
        at: clock::now(),
        by: caller.principal.name.clone(),
    };
    let number = tx.insert_auth(&new)?;
    let after = resolved.auth(&auths_domain::Stamp {
        number,
        auth_id: &new.auth_id,
        group_id: &new.group_id,
        version: 1,
        created: (new.at, &new.by),
        updated: (new.at, &new.by),
    });
    crate::audit::record(tx, caller, "auth.create", None, Some(&after))?;
    Ok(CreateOutcome {
        auth_id: new.auth_id,
        number,
        version: 1,
    })
}

impl<S: Store> AuthService<S> {
    /// Publishes one new auth from `fields`, in one transaction: the name and
    /// description given as text are found in or added to their catalogs, every id is
    /// checked against its catalog, the name and slugs must be free, and a scoped
    /// caller may only give the auth departments of their own.
    ///
    /// # Errors
    /// `Forbidden` (role, MCP policy, departments out of scope), `Invalid` (missing or
    /// unknown values, by field), `Conflict` (name or slug taken), storage errors.
    pub fn create_one(
        &self,
        caller: &Caller,
        fields: &AuthFields,
    ) -> Result<CreateOutcome, AppError> {
        caller.may(Operation::Create)?;
        self.store.write(|tx| create_in(tx, caller, fields))
    }
}

/// One item of a bulk create, as the client sent it: a draft to publish, alone, or
/// the fields of a new auth.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateItem {
    /// The caller's draft of a new auth.
    pub draft_id: Option<String>,
    /// Or the fields.
    pub fields: RawFields,
}

/// What one item of a bulk write publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewAuthSource {
    /// An auth from these fields (or these changes).
    Fields(AuthFields),
    /// The caller's draft (consumed).
    Draft(DraftId),
}

impl NewAuthSource {
    /// A draft (`draft_id`, which must come alone) or the fields given. An id that
    /// cannot be a draft's names no draft.
    ///
    /// # Errors
    /// `Invalid` for `draft_id` with fields, or for fields the domain rejects;
    /// `NotFound` for a malformed draft id.
    pub fn of(draft_id: Option<&str>, fields: &RawFields) -> Result<Self, AppError> {
        match draft_id {
            Some(_) if !fields.is_empty() => Err(AppError::invalid("draft_id", Rule::DraftIdAlone)),
            Some(d) => DraftId::parse(d)
                .map(Self::Draft)
                .map_err(|_| AppError::draft_not_found(d)),
            None => Ok(Self::Fields(fields.parse()?)),
        }
    }
}

/// What the items of one transaction will name ([`Transaction::begin_batch`]), when
/// they can be batched: new auths from fields, by a global caller. A draft's publish
/// and a scoped caller's scope rule read more than a plan can say; their items run
/// statement by statement (which the store also falls back to by itself).
fn batch_plan(caller: &Caller, items: &[Result<NewAuthSource, AppError>]) -> Option<BatchPlan> {
    if !caller.is_global() {
        return None;
    }
    let mut plan = BatchPlan::default();
    for item in items {
        let fields = match item {
            Ok(NewAuthSource::Fields(fields)) => fields,
            Ok(NewAuthSource::Draft(_)) => return None,
            Err(_) => continue,
        };
        plan.items += 1;
        plan.entry_ids.extend(super::resolve::named_ids(fields));
        plan.slug_ids
            .extend(fields.slug_ids.iter().flatten().cloned());
        if let Some(NameChoice::Text(n)) = &fields.name {
            plan.texts
                .push(super::resolve::text_entry(CatalogKind::Names, n.as_str()).ok()?);
        }
        if let Some(Some(DescriptionChoice::Text(d))) = &fields.description {
            let entry = super::resolve::text_entry(CatalogKind::Descriptions, d.as_str()).ok()?;
            plan.texts.push(entry);
        }
    }
    plan.at = clock::now();
    (!plan.is_empty()).then_some(plan)
}

fn create_from<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    source: &NewAuthSource,
) -> Result<CreateOutcome, AppError> {
    match source {
        NewAuthSource::Fields(fields) => create_in(tx, caller, fields),
        NewAuthSource::Draft(id) => super::drafts::publish_new_in(tx, caller, id),
    }
}

impl<S: Store> AuthService<S> {
    /// Creates many auths, one result per item in their order. Each item succeeds or
    /// fails alone and whole: it runs in its own savepoint of one transaction, which
    /// commits once for all of them, or for as many as the store allows in one
    /// ([`Store::bulk_chunk`]; a commit per item would cost more than the items).
    /// Should the shared transaction itself fail to commit (a PostgreSQL deadlock or
    /// serialization failure, say), every item is tried again in a transaction of its
    /// own. The role and MCP policy refuse the whole request.
    ///
    /// # Errors
    /// `TooMany` above [`super::bulk::MAX_BULK_ITEMS`] items; `Forbidden` when the
    /// caller may not create at all; `Unavailable` when the database is out of reach.
    /// Everything else is an item's result.
    pub fn create_many(
        &self,
        caller: &Caller,
        items: &[CreateItem],
    ) -> Result<Vec<Result<CreateOutcome, AppError>>, AppError> {
        check_size(items.len())?;
        caller.may(Operation::Create)?;
        let items: Vec<Result<NewAuthSource, AppError>> = items
            .iter()
            .map(|i| NewAuthSource::of(i.draft_id.as_deref(), &i.fields))
            .collect();
        let mut results = Vec::with_capacity(items.len());
        // Batched items share a transaction without subtransactions (see batch_plan).
        let batched = caller.is_global()
            && !items
                .iter()
                .any(|i| matches!(i, Ok(NewAuthSource::Draft(_))));
        let chunk = if batched {
            self.store.batch_chunk()
        } else {
            self.store.bulk_chunk()
        };
        for chunk in items.chunks(chunk.max(1)) {
            results.extend(self.create_chunk(caller, chunk)?);
        }
        Ok(results)
    }

    /// One transaction of a bulk create (see [`AuthService::create_many`]).
    fn create_chunk(
        &self,
        caller: &Caller,
        items: &[Result<NewAuthSource, AppError>],
    ) -> Result<Vec<Result<CreateOutcome, AppError>>, AppError> {
        let plan = batch_plan(caller, items);
        let attempt = || {
            self.store.write(|tx| {
                if let Some(plan) = &plan {
                    tx.begin_batch(plan)?;
                }
                let results = items
                    .iter()
                    .map(|item| match item {
                        Err(e) => Err(e.clone()),
                        Ok(source) => tx.savepoint(|tx| create_from(tx, caller, source)),
                    })
                    .collect::<Vec<_>>();
                tx.end_batch()?;
                Ok::<_, AppError>(results)
            })
        };
        let mut batch = attempt();
        if plan.is_some() && matches!(batch, Err(AppError::Conflict(_))) {
            // A batch's writes failed on a name or slug a concurrent writer took since
            // it read them (or a deadlock): once more, a new batch reads the holders
            // again and tells the items that lost `conflict` (a thousand transactions
            // of one item each would cost seconds).
            batch = attempt();
        }
        match batch {
            Ok(results) => Ok(results),
            Err(e @ AppError::Unavailable(_)) => Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "a bulk create's transaction failed: one transaction an item now");
                Ok(items
                    .iter()
                    .map(|item| match item {
                        Err(e) => Err(e.clone()),
                        Ok(source) => self.store.write(|tx| create_from(tx, caller, source)),
                    })
                    .collect())
            }
        }
    }
}
