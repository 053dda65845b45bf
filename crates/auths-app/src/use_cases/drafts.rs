//! Drafts: start, edit (optimistic concurrency), list, read, publish, discard.

use auths_domain::draft::MAX_DRAFTS_PER_PRINCIPAL;
use auths_domain::prelude::*;
use auths_domain::{
    Auth, AuthId, Caller, CatalogEntry, Draft, DraftId, DraftPatch, DraftValues, EditRefusal,
    EntryId, FieldProblem, Operation, Page, PageRequest, PublishRefusal, Rule, Section, Store,
};

use super::get::visible_auth;
use crate::error::Conflict;
use crate::{AppError, AuthService, clock};

/// A draft edit, as the client sent it: on `draft_id`, or a new draft (of `auth_id`, or
/// of a new auth); the two ids exclude each other. An id that cannot be one names
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftEdit {
    /// The draft to edit; `None` starts one.
    pub draft_id: Option<String>,
    /// For a new draft: the auth it edits (`None`: a new auth).
    pub auth_id: Option<String>,
    /// The version the edit was made against: the draft's, or for a new draft 0 (new
    /// auth) or the auth's current version.
    pub expected_version: i64,
    /// To start a draft of `auth_id`: the values of this kept version rather than the
    /// current ones (restore; the draft's base is still the current version).
    pub from_version: Option<i64>,
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
    pub entries: Vec<CatalogEntry>,
}

/// The entries a draft's values name, whatever their section, that the caller sees (an
/// id of an entry it does not see shows as the id it gave, as an unknown one does).
fn named_entries<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    v: &DraftValues,
) -> Result<Vec<CatalogEntry>, AppError> {
    let mut out = Vec::new();
    for section in Section::ALL {
        let ids: Vec<EntryId> = v
            .ids(section)
            .into_iter()
            .filter_map(|i| EntryId::parse(i).ok())
            .collect();
        let found = tx.entries_by_ids(section.kind(), &ids)?;
        out.extend(super::scope::seen(tx, caller, found)?);
    }
    Ok(out)
}

/// A refusal to publish the draft `draft_id` (of the auth `auth_id`, for an update),
/// as the app answers it.
fn refused<T: Repositories>(
    tx: &mut T,
    draft_id: &DraftId,
    auth_id: Option<&AuthId>,
    r: PublishRefusal,
) -> AppError {
    match (r, auth_id) {
        (PublishRefusal::OfExistingAuth { auth_id }, _) => Conflict::DraftOfExisting {
            draft_id: draft_id.clone(),
            auth_id,
        }
        .into(),
        (PublishRefusal::NotADraftOf { auth_id }, _) => AppError::invalid(
            "draft_id",
            Rule::NotADraftOf {
                draft_id: draft_id.to_string(),
                auth_id: auth_id.to_string(),
            },
        ),
        (PublishRefusal::BaseMismatch { base, expected }, Some(auth_id)) => Conflict::DraftBase {
            draft_id: draft_id.clone(),
            auth_id: auth_id.clone(),
            base,
            expected,
        }
        .into(),
        (PublishRefusal::Stale { base, current }, Some(auth_id)) => {
            super::update::stale(tx, auth_id, current, base)
        }
        (PublishRefusal::Invalid(invalid), _) => invalid.into(),
        (other, _) => AppError::Internal(format!("publishing {draft_id}: {other}")),
    }
}

/// Publishes the caller's draft of a new auth inside the caller's transaction,
/// consuming it.
pub(crate) fn publish_new_in<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    id: &DraftId,
) -> Result<crate::CreateOutcome, AppError> {
    let draft = owned_draft(tx, caller, id)?;
    let fields = draft.publish_new().map_err(|r| refused(tx, id, None, r))?;
    let out = super::create::create_in(tx, caller, &fields)?;
    tx.delete_draft(id)?;
    Ok(out)
}

/// Publishes the caller's draft of `auth_id` inside the caller's transaction,
/// consuming it, for a caller already allowed to update: by the domain's rules, it
/// applies only if the auth is still at the version the draft started from (and at
/// `expected_version`, when given), never losing an update.
pub(crate) fn publish_update_in<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    auth_id: &AuthId,
    id: &DraftId,
    expected_version: Option<i64>,
) -> Result<crate::UpdateOutcome, AppError> {
    let draft = owned_draft(tx, caller, id)?;
    let before = visible_auth(tx, caller, auth_id)?;
    let fields = draft
        .publish_update(auth_id, before.version, expected_version)
        .map_err(|r| refused(tx, id, Some(auth_id), r))?;
    let version = before.version;
    let (out, _) = super::update::update_loaded(tx, caller, before, Some(version), &fields)?;
    tx.delete_draft(id)?;
    Ok(out)
}

/// The caller's draft `id`: another principal's draft is not found, like a missing one;
/// so is, for a department-scoped caller, a draft of an auth that has left its scope
/// (or is gone), which tells nothing of where the auth went.
pub(crate) fn owned_draft<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    id: &DraftId,
) -> Result<Draft, AppError> {
    match tx.draft_by_id(id)? {
        Some(d) if d.owner == caller.principal.id && in_scope(tx, caller, &d)? => Ok(d),
        _ => Err(AppError::draft_not_found(id.as_str())),
    }
}

/// Whether the auth a draft edits (if any) is one the caller sees.
fn in_scope<T: Repositories>(tx: &mut T, caller: &Caller, d: &Draft) -> Result<bool, AppError> {
    match &d.auth_id {
        Some(auth_id) if !caller.is_global() => Ok(tx
            .auth_by_id(auth_id)?
            .is_some_and(|a| caller.can_see(&a.department_ids()))),
        _ => Ok(true),
    }
}

/// Whether two problems are about the same section (or the same field).
fn same_subject(a: &FieldProblem, b: &FieldProblem) -> bool {
    a.field == b.field
        || Section::of_field(&a.field).is_some_and(|s| Section::of_field(&b.field) == Some(s))
}

/// What the form shows of `draft`; `auth` is the auth it edits when the caller has
/// read it already.
fn form_state<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    draft: &Draft,
    auth: Option<Auth>,
) -> Result<FormState, AppError> {
    let auth = match (auth, &draft.auth_id) {
        (Some(a), _) => Some(a),
        (None, Some(id)) => tx.auth_by_id(id)?,
        (None, None) => None,
    };
    let raw = draft.values.to_raw();
    let problems = match raw.parse() {
        Ok(fields) => super::resolve::problems(tx, caller, &fields, auth.as_ref())?,
        Err(e) => {
            // Check the fields that did parse against the store too, so that every
            // problem shows at once: drop the ones that did not, and parse again.
            let rest = raw.without(&e.problems);
            let mut problems = e.problems;
            if let Ok(fields) = rest.parse() {
                for p in super::resolve::problems(tx, caller, &fields, auth.as_ref())? {
                    if !problems.iter().any(|q| same_subject(q, &p)) {
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

/// The audit record of a draft's start, edit (`after` set) or discard (`after` empty).
fn record_draft<T: Repositories>(
    tx: &mut T,
    caller: &Caller,
    op: &str,
    before: Option<&Draft>,
    after: Option<&Draft>,
) -> Result<(), AppError> {
    tx.append_audit(&auths_domain::NewAuditRecord {
        at: clock::now(),
        actor_id: caller.principal.id.clone(),
        actor_name: caller.principal.name.clone(),
        channel: caller.channel,
        client: caller.client.clone(),
        operation: op.to_owned(),
        auth_id: after.or(before).and_then(|d| d.auth_id.clone()),
        department_ids: Vec::new(),
        before: before.map(draft_json).transpose()?,
        after: after.map(draft_json).transpose()?,
    })?;
    Ok(())
}

/// The ids of an edit, read in this order: the draft's (a malformed one names no
/// draft), `auth_id` only to start a draft, the auth's; and no patch list longer than
/// a section may be (a draft holds work in progress, but not without bound).
fn read_edit(edit: &DraftEdit) -> Result<(Option<DraftId>, Option<AuthId>), AppError> {
    let draft_id = edit
        .draft_id
        .as_deref()
        .map(|d| DraftId::parse(d).map_err(|_| AppError::draft_not_found(d)))
        .transpose()?;
    if draft_id.is_some() && edit.auth_id.is_some() {
        return Err(AppError::invalid("auth_id", Rule::AuthIdStartsDraft));
    }
    if edit.from_version.is_some() && (draft_id.is_some() || edit.auth_id.is_none()) {
        return Err(AppError::invalid("from_version", Rule::RestoreStartsDraft));
    }
    let auth_id = edit
        .auth_id
        .as_deref()
        .map(|a| AuthId::parse(a).map_err(|_| AppError::auth_not_found(a)))
        .transpose()?;
    edit.patch.check_bounds()?;
    Ok((draft_id, auth_id))
}

impl<S: Store> AuthService<S> {
    /// Discards the caller's draft `id`: nothing is published, the draft is gone, and
    /// the audit log says so (`draft.delete`, with the draft's id and version, never its
    /// values).
    ///
    /// # Errors
    /// `NotFound` (a draft that is not the caller's, or is unknown, or malformed),
    /// `Forbidden` (role, as for editing a draft).
    pub fn discard_draft(&self, caller: &Caller, id: &str) -> Result<(), AppError> {
        let id = DraftId::parse(id).map_err(|_| AppError::draft_not_found(id))?;
        caller.may(Operation::EditDraft)?;
        self.store.write(|tx| {
            let draft = owned_draft(tx, caller, &id)?;
            if !tx.delete_draft(&id)? {
                return Err(AppError::draft_not_found(id.as_str()));
            }
            record_draft(tx, caller, "draft.delete", Some(&draft), None)
        })
    }

    /// Starts or edits a draft, in one transaction, and answers it with its form state.
    ///
    /// # Errors
    /// `NotFound` (a draft or auth that cannot be the caller's or that the caller may
    /// not see), `Invalid` (`auth_id` with `draft_id`, a list longer than a section may
    /// be), `Forbidden` (role; a draft of an auth the caller may not edit), `Conflict`
    /// (a stale version, with the current one).
    pub fn edit_draft(&self, caller: &Caller, edit: DraftEdit) -> Result<DraftView, AppError> {
        let (draft_id, auth_id) = read_edit(&edit)?;
        caller.may(Operation::EditDraft)?;
        self.store.write(|tx| {
            let now = clock::now();
            let (draft, auth) = match &draft_id {
                Some(id) => {
                    let before = owned_draft(tx, caller, id)?;
                    let mut draft = before.clone();
                    draft
                        .apply(edit.expected_version, edit.patch.clone(), now)
                        .map_err(|refusal| match refusal {
                            EditRefusal::Stale(s) => Conflict::DraftVersion {
                                draft_id: id.clone(),
                                current: s.current,
                                expected: s.expected,
                            }
                            .into(),
                            // Unreachable by counting up from 1; a client's draft
                            // cannot be set to it.
                            other => AppError::Internal(other.to_string()),
                        })?;
                    if draft.values == before.values {
                        // An edit that changes nothing writes nothing: the draft keeps
                        // its version, and no audit record is written.
                        (before, None)
                    } else {
                        auths_domain::draft::check_draft_size(&draft.values)?;
                        if !tx.update_draft(&draft, before.version)? {
                            return Err(Conflict::DraftChanged {
                                draft_id: id.clone(),
                            }
                            .into());
                        }
                        record_draft(tx, caller, "draft.update", Some(&before), Some(&draft))?;
                        (draft, None)
                    }
                }
                None => {
                    if tx.count_drafts(&caller.principal.id)? >= MAX_DRAFTS_PER_PRINCIPAL {
                        return Err(Conflict::DraftLimit {
                            limit: MAX_DRAFTS_PER_PRINCIPAL,
                        }
                        .into());
                    }
                    let (values, auth) = match &auth_id {
                        Some(auth_id) => {
                            let auth = visible_auth(tx, caller, auth_id)?;
                            if let Some(denial) = caller.scope_denial(&auth.departments) {
                                return Err(denial.into());
                            }
                            if edit.expected_version != auth.version {
                                return Err(super::update::stale(
                                    tx,
                                    auth_id,
                                    auth.version,
                                    edit.expected_version,
                                ));
                            }
                            let values = match edit.from_version {
                                None => DraftValues::of_auth(&auth),
                                Some(v) => {
                                    let kept = tx.versions_numbered(auth_id, &[v])?;
                                    let kept = kept
                                        .iter()
                                        .find(|k| super::history::sees(caller, k))
                                        .ok_or_else(|| {
                                            AppError::NotFound(crate::Missing::Version {
                                                auth_id: auth_id.to_string(),
                                                version: v,
                                            })
                                        })?;
                                    let content = kept.content.clone();
                                    super::history::restoring(tx, caller, &content)?
                                }
                            };
                            (values, Some(auth))
                        }
                        None if edit.expected_version != 0 => {
                            return Err(Conflict::NewDraftVersion {
                                expected: edit.expected_version,
                            }
                            .into());
                        }
                        None => (DraftValues::default(), None),
                    };
                    let mut draft = Draft {
                        draft_id: DraftId::parse(&clock::new_id())?,
                        owner: caller.principal.id.clone(),
                        auth_id: auth_id.clone(),
                        base_version: auth.as_ref().map(|a| a.version),
                        version: 1,
                        values,
                        created_at: now,
                        updated_at: now,
                    };
                    draft.values.apply(edit.patch.clone());
                    auths_domain::draft::check_draft_size(&draft.values)?;
                    tx.insert_draft(&draft)?;
                    record_draft(tx, caller, "draft.create", None, Some(&draft))?;
                    (draft, auth)
                }
            };
            let form = form_state(tx, caller, &draft, auth)?;
            let entries = named_entries(tx, caller, &draft.values)?;
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
            let form = form_state(tx, caller, &draft, None)?;
            let entries = named_entries(tx, caller, &draft.values)?;
            Ok(DraftView {
                draft,
                form,
                entries,
            })
        })
    }

    /// A page of the caller's drafts, newest first, and how many it has (for a
    /// department-scoped caller, without the drafts of auths that have left its scope):
    /// paged by the store, so memory does not grow with the drafts kept.
    ///
    /// # Errors
    /// `Forbidden` without the draft permission.
    pub fn drafts(&self, caller: &Caller, page: PageRequest) -> Result<Page<Draft>, AppError> {
        caller.may(Operation::ListDrafts)?;
        let scope = caller.scope();
        self.store
            .read(|tx| tx.list_drafts(&caller.principal.id, scope.as_deref(), page))
            .map_err(AppError::from)
    }
}
