-- API keys and the principals they authenticate. The key itself is never stored:
-- key_hash is its SHA-256, key_lookup a prefix of that hash used to find candidates
-- before the full hash is compared in constant time.
CREATE TABLE principals (
    number            INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT    NOT NULL UNIQUE,
    name              TEXT    NOT NULL,
    role              TEXT    NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    allow_mcp_writes  BOOLEAN NOT NULL DEFAULT 0,
    key_lookup        TEXT    NOT NULL,
    key_hash          TEXT    NOT NULL UNIQUE,
    created_at        TIMESTAMP NOT NULL,
    last_used_at      TIMESTAMP,
    revoked_at        TIMESTAMP
);
-- Names identify keys (keys revoke NAME, Basic NAME:KEY) among those not revoked.
CREATE UNIQUE INDEX principals_active_name ON principals (name) WHERE revoked_at IS NULL;
CREATE INDEX principals_key_lookup ON principals (key_lookup);

-- Department scope; a principal without rows here is global.
CREATE TABLE principal_departments (
    principal_id  TEXT NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    entry_id      TEXT NOT NULL REFERENCES catalog_entries (id),
    PRIMARY KEY (principal_id, entry_id)
);
CREATE INDEX principal_departments_entry ON principal_departments (entry_id);
