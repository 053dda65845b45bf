//! Drafts: start, edit (optimistic concurrency), list, read, publish.

use auths_domain::prelude::*;
use auths_domain::{
    AuthId, Caller, Draft, DraftId, DraftPatch, DraftValues, FieldProblem, Operation, Store,
};

use super::get::visible_auth;
use crate::{AppError, AuthService, clock};

/// A draft edit: on `draft_id`, or a new draft (of `auth_id`, or of a new auth).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftEdit {
    /// The draft to edit; `None` starts one.
    pub draft_id: Option<DraftId>,
    /// For a new draft: the auth it edits (`None`: a new auth).
    pub auth_id: Option<AuthId>,
    /// The version the edit was made against: the draft's, or for a new draft 0 (new
    /// auth) or the auth's current version.
    pub expected_version: i64,
    /// The fields to change.
    pub patch: DraftPatch,
}

/// What the form shows of a draft: its values, what stops it from being published,
/// and whether the caller could publish it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormState {
    /// The values.
    pub values: DraftValues,
    /// Per-field problems.
    pub problems: Vec<FieldProblem>,
    /// No problem, and the caller may publish (create or update).
    pub can_publish: bool,
}

/// A draft and its form state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftView {
    /// The draft.
    pub draft: Draft,
    /// Its form state.
    pub form: FormState,
    /// The catalog entries its values name, by id (ids that name nothing are absent).
    pub entries: Vec<auths_domain::CatalogEntry>,
}

/// The entries a draft's values name, whatever their catalog.
fn named_entries<T: Repositories>(
    tx: &mut T,
    v: &DraftValues,
) -> Result<Vec<auths_domain::CatalogEntry>, AppError> {
    use auths_domain::{CatalogKind as K, EntryId};
    let parse = |ids: &[String]| {
        ids.iter()
            .filter_map(|i| EntryId::parse(i).ok())
            .collect::<Vec<_>>()
    };
    let one = |id: &Option<String>| parse(id.as_slice());
    let mut out = Vec::new();
    for (kind, ids) in [
        (K::Names, one(&v.name_id)),
        (K::Descriptions, one(&v.description_id)),
        (K::Flags, one(&v.flag_id)),
        (K::Protocols, parse(&v.protocol_ids)),
        (K::Slugs, parse(&v.slug_ids)),
        (K::Items, parse(&v.item_ids)),
        (K::Departments, parse(&v.department_ids)),
        (K::Locations, parse(&v.location_ids)),
    ] {
        out.extend(tx.entries_by_ids(kind, &ids)?);
    }
    Ok(out)
}

fn not_found(id: &DraftId) -> AppError {
    AppError::NotFound(format!("draft {id} not found"))
}

/// The caller's draft `id`: another principal's draft is not found, like a missing one.
/// Publishes the caller's draft of a new auth inside the caller's transaction,
/// consuming it.
pub(crate) fn publish_new_in<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    id: &DraftId,
) -> Result<crate::CreateOutcome, AppError> {
    let draft = owned_draft(tx, caller, id)?;
    if let Some(auth_id) = &draft.auth_id {
        return Err(AppError::conflict(format!(
            "draft {id} edits auth {auth_id}: publish it through update"
        )));
    }
    let fields = draft.values.to_raw().parse()?;
    let out = super::create::create_in(tx, caller, &fields)?;
    tx.delete_draft(id)?;
    Ok(out)
}

pub(crate) fn owned_draft<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    id: &DraftId,
) -> Result<Draft, AppError> {
    match tx.draft_by_id(id)? {
        Some(d) if d.owner == caller.principal.id => Ok(d),
        _ => Err(not_found(id)),
    }
}

fn form_state<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    draft: &Draft,
) -> Result<FormState, AppError> {
    let raw = draft.values.to_raw();
    let problems = match raw.parse() {
        Ok(fields) => super::resolve::problems(tx, caller, &fields, draft.auth_id.as_ref())?,
        Err(e) => {
            // Check the fields that did parse against the store too, so that every
            // problem shows at once: drop the ones that did not, and parse again.
            let mut rest = raw;
            for p in &e.problems {
                match p.field.as_str() {
                    "name" | "name_id" => (rest.name, rest.name_id) = (None, None),
                    "description" | "description_id" => {
                        (rest.description, rest.description_id) = (Some(String::new()), None)
                    }
                    "flag_id" => rest.flag_id = None,
                    "protocol_ids" => rest.protocol_ids = Some(Vec::new()),
                    "slug_ids" => rest.slug_ids = Some(Vec::new()),
                    "item_ids" => rest.item_ids = Some(Vec::new()),
                    "department_ids" => rest.department_ids = Some(Vec::new()),
                    "location_ids" => rest.location_ids = Some(Vec::new()),
                    _ => {}
                }
            }
            let mut problems = e.problems;
            if let Ok(fields) = rest.parse() {
                for p in super::resolve::problems(tx, caller, &fields, draft.auth_id.as_ref())? {
                    if !problems.iter().any(|q| {
                        q.field == p.field
                            || (p.field.starts_with("name") && q.field.starts_with("name"))
                    }) {
                        problems.push(p);
                    }
                }
            }
            problems
        }
    };
    let op = if draft.auth_id.is_some() {
        Operation::Update
    } else {
        Operation::Create
    };
    Ok(FormState {
        can_publish: problems.is_empty() && caller.may(op).is_ok(),
        values: draft.values.clone(),
        problems,
    })
}

/// A draft as the audit log keeps it: which draft and which version, not its values,
/// which only the owner may see.
fn draft_json(d: &Draft) -> Result<String, AppError> {
    serde_json::to_string(&serde_json::json!({
        "draft_id": d.draft_id.as_str(),
        "version": d.version,
        "auth_id": d.auth_id.as_ref().map(AuthId::as_str),
    }))
    .map_err(|e| AppError::Internal(e.to_string()))
}

fn record_draft<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    op: &str,
    before: Option<&Draft>,
    after: &Draft,
) -> Result<(), AppError> {
    tx.append_audit(&auths_domain::NewAuditRecord {
        at: clock::now(),
        actor_id: caller.principal.id.clone(),
        actor_name: caller.principal.name.clone(),
        channel: caller.channel,
        operation: op.to_owned(),
        auth_id: after.auth_id.clone(),
        department_ids: Vec::new(),
        before: before.map(draft_json).transpose()?,
        after: Some(draft_json(after)?),
    })?;
    Ok(())
}

impl<S: Store> AuthService<S> {
    /// Starts or edits a draft, in one transaction, and answers it with its form state.
    ///
    /// # Errors
    /// `Forbidden` (role; a draft of an auth the caller may not edit), `NotFound` (a
    /// draft or auth the caller may not see), `Conflict` (a stale version, with the
    /// current one).
    pub fn edit_draft(&self, caller: &Caller, edit: DraftEdit) -> Result<DraftView, AppError> {
        caller.may(Operation::EditDraft)?;
        self.store.write(|tx| {
            let now = clock::now();
            let draft = match &edit.draft_id {
                Some(id) => {
                    let before = owned_draft(tx, caller, id)?;
                    let mut draft = before.clone();
                    draft
                        .apply(edit.expected_version, edit.patch.clone(), now)
                        .map_err(|s| AppError::Conflict {
                            message: format!(
                                "draft {id} is at version {}, not {}",
                                s.current, s.expected
                            ),
                            current_version: Some(s.current),
                        })?;
                    if !tx.update_draft(&draft, before.version)? {
                        return Err(AppError::Conflict {
                            message: format!("draft {id} changed concurrently: read it again"),
                            current_version: None,
                        });
                    }
                    record_draft(tx, caller, "draft.update", Some(&before), &draft)?;
                    draft
                }
                None => {
                    let (values, base_version) = match &edit.auth_id {
                        Some(auth_id) => {
                            let auth = visible_auth(tx, caller, auth_id)?;
                            if let Some(reason) = caller.scope_denial(&auth.departments) {
                                return Err(AppError::Forbidden(reason));
                            }
                            if edit.expected_version != auth.version {
                                return Err(super::update::stale(
                                    auth_id,
                                    auth.version,
                                    edit.expected_version,
                                ));
                            }
                            (DraftValues::of_auth(&auth), Some(auth.version))
                        }
                        None if edit.expected_version != 0 => {
                            return Err(AppError::Conflict {
                                message: format!(
                                    "a new draft starts from version 0, not {}",
                                    edit.expected_version
                                ),
                                current_version: Some(0),
                            });
                        }
                        None => (DraftValues::default(), None),
                    };
                    let mut draft = Draft {
                        draft_id: DraftId::parse(&clock::new_id())?,
                        owner: caller.principal.id.clone(),
                        auth_id: edit.auth_id.clone(),
                        base_version,
                        version: 1,
                        values,
                        created_at: now,
                        updated_at: now,
                    };
                    draft.values.apply(edit.patch.clone());
                    tx.insert_draft(&draft)?;
                    record_draft(tx, caller, "draft.create", None, &draft)?;
                    draft
                }
            };
            let form = form_state(tx, caller, &draft)?;
            let entries = named_entries(tx, &draft.values)?;
            Ok(DraftView {
                draft,
                form,
                entries,
            })
        })
    }

    /// The caller's draft `id` with its form state.
    ///
    /// # Errors
    /// `NotFound` for a draft that is not the caller's.
    pub fn draft(&self, caller: &Caller, id: &DraftId) -> Result<DraftView, AppError> {
        caller.may(Operation::Get)?;
        self.store.read(|tx| {
            let draft = owned_draft(tx, caller, id)?;
            let form = form_state(tx, caller, &draft)?;
            let entries = named_entries(tx, &draft.values)?;
            Ok(DraftView {
                draft,
                form,
                entries,
            })
        })
    }

    /// The caller's drafts, newest first.
    ///
    /// # Errors
    /// `Forbidden` without the draft permission.
    pub fn drafts(&self, caller: &Caller) -> Result<Vec<Draft>, AppError> {
        caller.may(Operation::ListDrafts)?;
        self.store
            .read(|tx| tx.drafts_of(&caller.principal.id, None))
            .map_err(AppError::from)
    }

    /// The version of the caller's newest draft of `auth_id`, if any.
    ///
    /// # Errors
    /// Storage errors.
    pub fn draft_version_of(
        &self,
        caller: &Caller,
        auth_id: &AuthId,
    ) -> Result<Option<i64>, AppError> {
        let drafts = self
            .store
            .read(|tx| tx.drafts_of(&caller.principal.id, Some(auth_id)))?;
        Ok(drafts.first().map(|d| d.version))
    }

    /// Publishes the caller's draft of a new auth, consuming it, in one transaction.
    ///
    /// # Errors
    /// As [`AuthService::create_one`]; `NotFound` for a draft not the caller's;
    /// `Conflict` for a draft of an existing auth (publish it through update).
    pub fn publish_new(
        &self,
        caller: &Caller,
        id: &DraftId,
    ) -> Result<crate::CreateOutcome, AppError> {
        caller.may(Operation::Create)?;
        self.store.write(|tx| publish_new_in(tx, caller, id))
    }

    /// Publishes the caller's draft of `auth_id`, consuming it, in one transaction. It
    /// applies only if the auth is still at the version the draft started from (and at
    /// `expected_version`, when given): otherwise a conflict, never a lost update.
    ///
    /// # Errors
    /// As [`AuthService::update_one`]; `NotFound` for a draft not the caller's.
    pub fn publish_update(
        &self,
        caller: &Caller,
        auth_id: &AuthId,
        id: &DraftId,
        expected_version: Option<i64>,
    ) -> Result<crate::UpdateOutcome, AppError> {
        caller.may(Operation::Update)?;
        self.store.write(|tx| {
            let draft = owned_draft(tx, caller, id)?;
            if draft.auth_id.as_ref() != Some(auth_id) {
                return Err(AppError::invalid(
                    "draft_id",
                    format!("draft {id} is not a draft of auth {auth_id}"),
                ));
            }
            let base = draft.base_version.unwrap_or(0);
            if let Some(expected) = expected_version
                && expected != base
            {
                return Err(AppError::Conflict {
                    message: format!("draft {id} was started from version {base} of auth {auth_id}, not {expected}"),
                    current_version: Some(base),
                });
            }
            let fields = draft.values.to_raw().parse()?;
            let out = super::update::update_in(tx, caller, auth_id, Some(base), &fields)?;
            tx.delete_draft(id)?;
            Ok(out)
        })
    }
}
