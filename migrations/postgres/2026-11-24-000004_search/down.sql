DROP TABLE auth_search;
DROP INDEX auths_name_key;
ALTER TABLE auths DROP COLUMN name_key;
