-- Search: the name's case-folded key on auths (ordering by name uses an index), and a
-- full-text index over name, description, slugs, protocols and departments, kept
-- current by the writing transactions (rowid = auths.number). The application fills
-- the index (Db::migrate rebuilds it when it is empty and auths exist).
ALTER TABLE auths ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE auths SET name_key = (SELECT label_key FROM catalog_entries WHERE catalog_entries.id = auths.name_id);
CREATE INDEX auths_name_key ON auths (name_key, number);

CREATE VIRTUAL TABLE auth_fts USING fts5(
    name, description, slugs, protocols, departments,
    tokenize = 'unicode61 remove_diacritics 0'
);
