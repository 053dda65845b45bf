DROP TABLE entry_homes;
ALTER TABLE catalog_entries DROP COLUMN homed;
