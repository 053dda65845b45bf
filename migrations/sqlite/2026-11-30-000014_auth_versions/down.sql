ALTER TABLE catalog_entries DROP COLUMN fingerprint;
DROP TABLE auth_versions;
