//! The one scope rule for catalog entries and departments (server spec, "One scope rule
//! for every object"): what a department-scoped key sees, links, renames and creates.
//! A global key (an admin, or a key without departments) is never limited here.
//!
//! | catalog | a scoped key sees | links into an auth | renames | creates |
//! |---|---|---|---|---|
//! | flags, protocols (the product's vocabulary) | every entry | every entry | no: global keys only | no: global keys only |
//! | departments | its own | its own | its own | no: global keys only |
//! | names, descriptions, slugs, items, locations | an entry used by an auth it sees, or unused and everyone's or homed in one of its departments | a visible entry while every auth using it is in its scope | likewise | yes |
//!
//! An unused entry is everyone's when a global key made it and no auth has used it
//! since; a scoped key's new entry is homed in that key's departments, and an entry an
//! auth stops using (a rotated secret, an old name) is homed in that auth's departments,
//! so that neither is borrowed across departments ([`EntryUsage::home`]).
//!
//! An entry the caller does not see answers like one that does not exist; a refusal
//! names no other department and counts no other department's auths.

use super::{Caller, Denial, Operation};
use crate::catalog::{CatalogKind, EntryUsage};
use crate::ids::EntryId;

/// Why a scoped caller may not link or rename an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryRefusal {
    /// The caller does not see it: it answers like an entry that does not exist.
    Unseen,
    /// The caller sees it, and may not: a refusal.
    Denied(Denial),
}

/// Whether an entry of `kind`, used as `usage` says, is visible to a caller limited to
/// the departments `scope` (`None`: a global caller). The rule every adapter's
/// scope-limited listing implements.
pub fn entry_visible(
    kind: CatalogKind,
    id: &EntryId,
    usage: &EntryUsage,
    scope: Option<&[EntryId]>,
) -> bool {
    let Some(scope) = scope else {
        return true;
    };
    match kind {
        _ if kind.is_vocabulary() => true,
        CatalogKind::Departments => scope.contains(id),
        _ if usage.users > 0 => usage.users > usage.outside_scope,
        _ => usage
            .home
            .as_ref()
            .is_none_or(|home| home.iter().any(|d| scope.contains(d))),
    }
}

impl Caller {
    /// Whether the caller sees the entry `id` of `kind`, used as `usage` says (measured
    /// against the caller's scope).
    pub fn sees_entry(&self, kind: CatalogKind, id: &EntryId, usage: &EntryUsage) -> bool {
        entry_visible(kind, id, usage, self.scope().as_deref())
    }

    /// Whether the caller may link the entry `id` of `kind` into an auth that does not
    /// list it yet. (The permission to change the auth is a question of its own.)
    ///
    /// # Errors
    /// [`EntryRefusal::Unseen`] for an entry the caller does not see;
    /// [`EntryRefusal::Denied`] ([`Denial::EntryUsedOutside`]) for one that auths
    /// outside the caller's scope use.
    pub fn may_link_entry(
        &self,
        kind: CatalogKind,
        id: &EntryId,
        usage: &EntryUsage,
    ) -> Result<(), EntryRefusal> {
        if kind.is_vocabulary() {
            return Ok(());
        }
        self.may_touch(kind, id, usage)
    }

    /// Whether the caller may rename (or, for an item, change) the entry `id` of
    /// `kind`, which every auth using it shows.
    ///
    /// # Errors
    /// As [`Caller::may_link_entry`]; the vocabulary (flags, protocols) is everyone's,
    /// so only global keys change it ([`Denial::GlobalOnly`]).
    pub fn may_rename_entry(
        &self,
        kind: CatalogKind,
        id: &EntryId,
        usage: &EntryUsage,
    ) -> Result<(), EntryRefusal> {
        if kind.is_vocabulary() && !self.is_global() {
            return Err(EntryRefusal::Denied(Denial::GlobalOnly {
                operation: Operation::CatalogWrite,
            }));
        }
        self.may_touch(kind, id, usage)
    }

    fn may_touch(
        &self,
        kind: CatalogKind,
        id: &EntryId,
        usage: &EntryUsage,
    ) -> Result<(), EntryRefusal> {
        if self.is_global() {
            return Ok(());
        }
        if !self.sees_entry(kind, id, usage) {
            return Err(EntryRefusal::Unseen);
        }
        if kind != CatalogKind::Departments && usage.outside_scope > 0 {
            return Err(EntryRefusal::Denied(Denial::EntryUsedOutside {
                entry: id.clone(),
            }));
        }
        Ok(())
    }

    /// Whether the caller may add an entry to `kind`: departments and the vocabulary
    /// (flags, protocols, which every key sees at once) are for global keys.
    ///
    /// # Errors
    /// [`Denial::GlobalOnly`] for a scoped caller adding a department, a flag or a
    /// protocol.
    pub fn may_create_entry(&self, kind: CatalogKind) -> Result<(), Denial> {
        if (kind == CatalogKind::Departments || kind.is_vocabulary()) && !self.is_global() {
            return Err(Denial::GlobalOnly {
                operation: Operation::CatalogWrite,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::EntryRef;
    use crate::ids::PrincipalId;
    use crate::principal::{Channel, Principal, Role};

    fn id(s: &str) -> EntryId {
        EntryId::parse(s).unwrap_or_else(|_| unreachable!())
    }

    fn finance_editor(role: Role) -> Caller {
        Caller {
            principal: Principal {
                id: PrincipalId::parse("p").unwrap_or_else(|_| unreachable!()),
                name: "fin".into(),
                role,
                departments: Some(vec![EntryRef {
                    id: id("d-fin"),
                    label: "Finance".into(),
                }]),
                allow_mcp_writes: false,
            },
            channel: Channel::Api,
            client: None,
        }
    }

    fn usage(users: u64, outside_scope: u64) -> EntryUsage {
        EntryUsage {
            departments: Vec::new(),
            users,
            outside_scope,
            home: None,
        }
    }

    #[test]
    fn shared_entries_follow_their_users() {
        let fin = finance_editor(Role::Editor);
        let item = id("i1");
        let kind = CatalogKind::Items;
        assert!(fin.sees_entry(kind, &item, &usage(0, 0)), "unused");
        assert!(
            fin.sees_entry(kind, &item, &usage(2, 1)),
            "used by one of its own"
        );
        assert!(!fin.sees_entry(kind, &item, &usage(1, 1)), "only HR's");
        assert_eq!(fin.may_link_entry(kind, &item, &usage(0, 0)), Ok(()));
        assert_eq!(
            fin.may_link_entry(kind, &item, &usage(1, 1)),
            Err(EntryRefusal::Unseen)
        );
        assert_eq!(
            fin.may_link_entry(kind, &item, &usage(2, 1)),
            Err(EntryRefusal::Denied(Denial::EntryUsedOutside {
                entry: item.clone()
            }))
        );
        let refusal = Denial::EntryUsedOutside {
            entry: item.clone(),
        }
        .to_string();
        assert!(
            !refusal.contains('1') || refusal.contains("i1"),
            "no count: {refusal}"
        );
        let admin = finance_editor(Role::Admin);
        assert_eq!(admin.may_link_entry(kind, &item, &usage(1, 1)), Ok(()));
    }

    #[test]
    fn an_unused_entry_belongs_to_its_home() {
        let fin = finance_editor(Role::Editor);
        let secret = id("i-hr-secret");
        let kind = CatalogKind::Items;
        let homed = |home: &[&str]| EntryUsage {
            home: Some(home.iter().map(|d| id(d)).collect()),
            ..usage(0, 0)
        };
        // HR's new or rotated-out secret is HR's, not everyone's.
        assert!(!fin.sees_entry(kind, &secret, &homed(&["d-hr"])));
        assert_eq!(
            fin.may_link_entry(kind, &secret, &homed(&["d-hr"])),
            Err(EntryRefusal::Unseen)
        );
        assert_eq!(
            fin.may_rename_entry(kind, &secret, &homed(&["d-hr"])),
            Err(EntryRefusal::Unseen)
        );
        assert!(fin.sees_entry(kind, &secret, &homed(&["d-hr", "d-fin"])));
        assert!(
            !fin.sees_entry(kind, &secret, &homed(&[])),
            "last used by an auth of no department: global keys only"
        );
        assert!(finance_editor(Role::Admin).sees_entry(kind, &secret, &homed(&[])));
        // Once used, its users decide, whatever its home.
        let used = EntryUsage {
            home: Some(vec![id("d-hr")]),
            ..usage(1, 0)
        };
        assert!(fin.sees_entry(kind, &secret, &used));
        // Departments and the vocabulary have no home.
        assert!(fin.sees_entry(CatalogKind::Departments, &id("d-fin"), &homed(&["d-hr"])));
    }

    #[test]
    fn departments_are_their_own_and_created_globally() {
        let fin = finance_editor(Role::Editor);
        let k = CatalogKind::Departments;
        assert!(fin.sees_entry(k, &id("d-fin"), &usage(0, 0)));
        assert!(!fin.sees_entry(k, &id("d-hr"), &usage(0, 0)), "even unused");
        assert_eq!(
            fin.may_rename_entry(k, &id("d-hr"), &usage(0, 0)),
            Err(EntryRefusal::Unseen)
        );
        assert_eq!(fin.may_rename_entry(k, &id("d-fin"), &usage(3, 0)), Ok(()));
        assert!(fin.may_create_entry(k).is_err());
        assert!(fin.may_create_entry(CatalogKind::Locations).is_ok());
        assert!(finance_editor(Role::Admin).may_create_entry(k).is_ok());
    }

    #[test]
    fn the_vocabulary_is_everyones_to_use() {
        let fin = finance_editor(Role::Editor);
        let p = id("protocol-ldap");
        assert!(fin.sees_entry(CatalogKind::Protocols, &p, &usage(5, 5)));
        assert_eq!(
            fin.may_link_entry(CatalogKind::Protocols, &p, &usage(5, 5)),
            Ok(())
        );
        assert!(
            fin.may_rename_entry(CatalogKind::Protocols, &p, &usage(5, 5))
                .is_err(),
            "but not renamed under others"
        );
        // Nor made or renamed by a scoped key at all: every key would see it at once.
        assert!(
            fin.may_rename_entry(CatalogKind::Protocols, &p, &usage(0, 0))
                .is_err()
        );
        assert!(fin.may_create_entry(CatalogKind::Flags).is_err());
        assert!(fin.may_create_entry(CatalogKind::Protocols).is_err());
        let admin = finance_editor(Role::Admin);
        assert!(admin.may_create_entry(CatalogKind::Protocols).is_ok());
    }
}
