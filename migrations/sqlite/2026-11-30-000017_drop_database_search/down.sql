-- The table comes back empty: the version that reads it fills it at start-up when
-- auths exist.
CREATE VIRTUAL TABLE auth_fts USING fts5(
    name, description, slugs, protocols, departments,
    tokenize = 'unicode61 remove_diacritics 0'
);
