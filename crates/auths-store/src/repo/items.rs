//! Items found by what they hold.

use auths_domain::{CatalogEntry, CatalogKind, ItemRepository, RepoError};
use diesel::prelude::*;

use crate::db::StoreTx;
use crate::error::repo_error;
use crate::models::EntryRow;
use crate::schema::catalog_entries as ce;

impl ItemRepository for StoreTx {
    fn item_with_value(
        &mut self,
        key: &str,
        value: &str,
    ) -> Result<Option<CatalogEntry>, RepoError> {
        ce::table
            .filter(ce::kind.eq(CatalogKind::Items.as_str()))
            .filter(ce::secret.eq(false))
            .filter(ce::item_key.eq(key))
            .filter(ce::item_value.eq(value))
            .order(ce::number.asc())
            .limit(1)
            .select(EntryRow::as_select())
            .load(self.conn())
            .map_err(repo_error)?
            .pop()
            .map(EntryRow::into_entry)
            .transpose()
    }
}
