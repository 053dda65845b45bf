//! Rows as diesel reads and writes them. They are not domain types: the repositories
//! map them at their edge (`XRow` read, `XInsert` written).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::{auth_links, auths, catalog_entries};
use auths_domain::catalog::ItemView;
use auths_domain::{CatalogEntry, CatalogKind, EntryId, RepoError};

use crate::db::utc;

/// What an auth shows of a catalog entry: read when auths are resolved, without the
/// timestamps (parsing them was a tenth of an export's time) or the kind.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = catalog_entries)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct RefRow {
    pub id: String,
    pub label: String,
    pub item_key: Option<String>,
    pub item_value: Option<String>,
    pub secret: bool,
    pub fingerprint: Option<String>,
}

/// A catalog entry as read. `item_value` never leaves the repository for a secret item.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = catalog_entries)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct EntryRow {
    pub number: i64,
    pub id: String,
    pub kind: String,
    pub label: String,
    pub item_key: Option<String>,
    pub item_value: Option<String>,
    pub secret: bool,
    pub seeded: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub description: Option<String>,
    pub fingerprint: Option<String>,
}

/// A catalog entry to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = catalog_entries)]
pub struct EntryInsert<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub label: &'a str,
    pub label_key: &'a str,
    pub item_key: Option<&'a str>,
    pub item_value: Option<&'a str>,
    pub secret: bool,
    /// A secret item's value, sealed (`item_value` is then NULL).
    pub sealed_value: Option<&'a str>,
    /// A secret item's fingerprint.
    pub fingerprint: Option<&'a str>,
    pub seeded: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An auth row as read.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = auths)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct AuthRow {
    pub number: i64,
    pub auth_id: String,
    pub group_id: String,
    pub name_id: String,
    pub description_id: Option<String>,
    pub flag_id: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub created_by: String,
    pub updated_by: String,
}

/// An auth to insert (its number is given by the database).
#[derive(Debug, Insertable)]
#[diesel(table_name = auths)]
pub struct AuthInsert<'a> {
    pub auth_id: &'a str,
    pub group_id: &'a str,
    pub name_id: &'a str,
    pub description_id: Option<&'a str>,
    pub flag_id: &'a str,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub created_by: &'a str,
    pub updated_by: &'a str,
    pub name_key: &'a str,
}

/// A link from an auth to an entry of a multi-valued section.
#[derive(Debug, Insertable)]
#[diesel(table_name = auth_links)]
pub struct LinkInsert<'a> {
    pub auth_number: i64,
    pub kind: &'a str,
    pub entry_id: &'a str,
}

/// A principal as read (the key hash included: it is compared, never shown).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::principals)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct PrincipalRow {
    pub id: String,
    pub name: String,
    pub role: String,
    pub allow_mcp_writes: bool,
    pub key_hash: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
}

/// A principal to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = crate::schema::principals)]
pub struct PrincipalInsert<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub allow_mcp_writes: bool,
    pub key_lookup: &'a str,
    pub key_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
}

/// An audit record as read.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::audit_log)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct AuditRow {
    pub number: i64,
    pub at: NaiveDateTime,
    pub actor_id: String,
    pub actor_name: String,
    pub channel: String,
    pub operation: String,
    pub auth_id: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub client: Option<String>,
}

/// An audit record to append.
#[derive(Debug, Insertable)]
#[diesel(table_name = crate::schema::audit_log)]
pub struct AuditInsert<'a> {
    pub at: NaiveDateTime,
    pub actor_id: &'a str,
    pub actor_name: &'a str,
    pub channel: &'a str,
    pub operation: &'a str,
    pub auth_id: Option<&'a str>,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub client: Option<&'a str>,
}

/// A draft as stored (read and written).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::drafts)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct DraftRow {
    pub draft_id: String,
    pub owner_id: String,
    pub auth_id: Option<String>,
    pub base_version: Option<i64>,
    pub version: i64,
    pub draft_values: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An upload as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::uploads)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct UploadRow {
    pub upload_id: String,
    pub owner_id: String,
    pub file_name: String,
    pub row_count: i64,
    pub created_at: NaiveDateTime,
}

impl EntryRow {
    /// Maps a row to the domain, dropping a secret item's value here, at the edge.
    pub(crate) fn into_entry(self) -> Result<CatalogEntry, RepoError> {
        let kind: CatalogKind = self
            .kind
            .parse()
            .map_err(|_| RepoError::Internal(format!("unknown catalog kind {:?}", self.kind)))?;
        let id = EntryId::parse(&self.id)
            .map_err(|_| RepoError::Internal(format!("malformed entry id {:?}", self.id)))?;
        let item = self.item_key.map(|key| {
            ItemView::new(key, self.item_value, self.secret).with_fingerprint(self.fingerprint)
        });
        Ok(CatalogEntry {
            id,
            number: self.number,
            kind,
            label: self.label,
            item,
            seeded: self.seeded,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
            description: self.description,
        })
    }
}
