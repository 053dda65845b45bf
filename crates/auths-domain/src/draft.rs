//! Drafts: private, versioned work in progress on a new or an existing auth.

use chrono::{DateTime, Utc};

use crate::auth::AuthFields;
use crate::ids::{AuthId, DraftId, PrincipalId};

/// A draft as stored. Its `version` starts at 1 and goes up by one on every edit; an
/// edit must name the version it was made against (optimistic concurrency).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// Its id.
    pub draft_id: DraftId,
    /// Who owns it: only the owner sees or edits it.
    pub owner: PrincipalId,
    /// The auth it edits, or `None` for a new auth.
    pub auth_id: Option<AuthId>,
    /// The auth's version when the draft was started (publishing fails with a conflict
    /// when the auth has moved on since).
    pub base_version: Option<i64>,
    /// The draft's own version counter.
    pub version: i64,
    /// The values set so far (a patch over the base auth, or over nothing).
    pub values: AuthFields,
    /// When it was started.
    pub created_at: DateTime<Utc>,
    /// When it was last edited.
    pub updated_at: DateTime<Utc>,
}

/// A draft edit was made against a version that is no longer current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the draft is at version {current}, not {expected}")]
pub struct StaleVersion {
    /// The version the client said it edited.
    pub expected: i64,
    /// The version the draft is at.
    pub current: i64,
}

impl Draft {
    /// Applies `patch` made against `expected_version`: only the present fields change,
    /// and the version goes up by one.
    ///
    /// # Errors
    /// [`StaleVersion`] when `expected_version` is not the current version; the draft
    /// is then unchanged.
    pub fn apply(
        &mut self,
        expected_version: i64,
        patch: AuthFields,
        now: DateTime<Utc>,
    ) -> Result<(), StaleVersion> {
        if expected_version != self.version {
            return Err(StaleVersion {
                expected: expected_version,
                current: self.version,
            });
        }
        self.values = std::mem::take(&mut self.values).merged(patch);
        self.version += 1;
        self.updated_at = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::EntryId;

    fn draft() -> Draft {
        let t = DateTime::<Utc>::from_timestamp(0, 0).unwrap();
        Draft {
            draft_id: DraftId::parse("d1").unwrap(),
            owner: PrincipalId::parse("p1").unwrap(),
            auth_id: None,
            base_version: None,
            version: 1,
            values: AuthFields::default(),
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn edits_bump_the_version_and_stale_ones_change_nothing() {
        let mut d = draft();
        let now = DateTime::<Utc>::from_timestamp(10, 0).unwrap();
        let patch = AuthFields {
            flag_id: Some(EntryId::parse("flag-disabled").unwrap()),
            ..AuthFields::default()
        };
        d.apply(1, patch.clone(), now).unwrap();
        assert_eq!(d.version, 2);
        assert_eq!(d.updated_at, now);
        assert_eq!(d.values.flag_id, patch.flag_id);

        let before = d.clone();
        let err = d.apply(1, AuthFields::default(), now).unwrap_err();
        assert_eq!(
            err,
            StaleVersion {
                expected: 1,
                current: 2
            }
        );
        assert_eq!(d, before);
    }
}
