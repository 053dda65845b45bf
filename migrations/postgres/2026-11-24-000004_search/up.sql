-- Search: the name's case-folded key on auths (ordering by name uses an index), and a
-- weighted tsvector over name (A), description and slugs (B), protocols and
-- departments (C), kept current by the writing transactions. The application fills
-- the index (Db::migrate rebuilds it when it is empty and auths exist).
ALTER TABLE auths ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE auths SET name_key = (SELECT label_key FROM catalog_entries WHERE catalog_entries.id = auths.name_id);
CREATE INDEX auths_name_key ON auths (name_key, number);

CREATE TABLE auth_search (
    auth_number  BIGINT PRIMARY KEY REFERENCES auths (number) ON DELETE CASCADE,
    document     TSVECTOR NOT NULL
);
CREATE INDEX auth_search_document ON auth_search USING GIN (document);
