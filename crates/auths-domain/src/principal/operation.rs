//! The operations of the product, each with the role it needs.

use serde::{Deserialize, Serialize};

use super::Role;

/// The operations of the product, each with the role it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Read one auth's form view.
    Get,
    /// Search and list auths.
    Search,
    /// Read the composed documentation.
    Docs,
    /// Publish new auths.
    Create,
    /// Publish changes to auths.
    Update,
    /// Copy an auth.
    Duplicate,
    /// Delete auths.
    Delete,
    /// Create and edit one's own drafts.
    EditDraft,
    /// List one's own drafts.
    ListDrafts,
    /// Export auths as CSV.
    Export,
    /// Rebuild derived views and drop caches.
    Refresh,
    /// Read catalogs.
    CatalogRead,
    /// Create and rename catalog entries.
    CatalogWrite,
    /// Delete catalog entries.
    CatalogDelete,
    /// Read the audit log.
    AuditRead,
    /// Create, list and revoke API keys.
    ManageKeys,
}

impl Operation {
    /// The least role that may call it.
    pub const fn required_role(self) -> Role {
        match self {
            Self::Get | Self::Search | Self::Docs | Self::CatalogRead => Role::Viewer,
            Self::Create
            | Self::Update
            | Self::Duplicate
            | Self::Delete
            | Self::EditDraft
            | Self::ListDrafts
            | Self::Export
            | Self::CatalogWrite
            | Self::AuditRead => Role::Editor,
            Self::Refresh | Self::CatalogDelete | Self::ManageKeys => Role::Admin,
        }
    }

    /// The permission's name, as the docs endpoint shows it.
    pub const fn permission(self) -> &'static str {
        match self {
            Self::Get | Self::Search | Self::Docs => "auths.view",
            Self::Create => "auths.create",
            Self::Update => "auths.edit",
            Self::Duplicate => "auths.duplicate",
            Self::Delete => "auths.delete",
            Self::EditDraft | Self::ListDrafts => "auths.draft",
            Self::Export => "auths.export",
            Self::Refresh => "auths.refresh",
            Self::CatalogRead => "catalog.view",
            Self::CatalogWrite => "catalog.edit",
            Self::CatalogDelete => "catalog.delete",
            Self::AuditRead => "audit.view",
            Self::ManageKeys => "keys.manage",
        }
    }

    /// Whether an MCP caller needs a key that allows MCP writes for this operation
    /// (publishing, deleting, exporting, refreshing; drafts stay open to agents).
    pub const fn needs_mcp_writes(self) -> bool {
        matches!(
            self,
            Self::Create
                | Self::Update
                | Self::Delete
                | Self::Duplicate
                | Self::Export
                | Self::Refresh
                | Self::CatalogWrite
                | Self::CatalogDelete
                | Self::ManageKeys
        )
    }
}
