ALTER TABLE catalog_entries DROP COLUMN sealed_value;
