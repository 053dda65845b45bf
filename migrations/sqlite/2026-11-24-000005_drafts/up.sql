-- Drafts: private work in progress. `draft_values` is JSON of the values as the client
-- gave them (unchecked); the draft's own version guards concurrent edits.
CREATE TABLE drafts (
    draft_id      TEXT PRIMARY KEY,
    owner_id      TEXT NOT NULL,
    auth_id       TEXT,
    base_version  BIGINT,
    version       BIGINT NOT NULL,
    draft_values  TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX drafts_owner ON drafts (owner_id, updated_at);
CREATE INDEX drafts_auth ON drafts (auth_id);
