DROP TABLE auth_links;
DROP TABLE auths;
DROP TABLE catalog_entries;
