-- The table comes back empty: the version that reads it fills it at start-up when
-- auths exist.
CREATE TABLE auth_search (
    auth_number  BIGINT PRIMARY KEY REFERENCES auths (number) ON DELETE CASCADE,
    document     TSVECTOR NOT NULL
);
CREATE INDEX auth_search_document ON auth_search USING GIN (document);
