DROP TABLE auth_fts;
DROP INDEX auths_name_key;
ALTER TABLE auths DROP COLUMN name_key;
