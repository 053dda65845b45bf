ALTER TABLE catalog_entries DROP COLUMN description;
