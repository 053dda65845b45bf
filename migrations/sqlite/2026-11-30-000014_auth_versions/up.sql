-- Every published version of an auth, immutable (auths-v5 spec, "History, diff,
-- restore, dry runs"): written in the transaction of the change, kept after the auth
-- is deleted. `content` is JSON: the sections with their labels as they were, secret
-- items as key and fingerprint, never a value.
CREATE TABLE auth_versions (
    auth_id     TEXT   NOT NULL,
    version     BIGINT NOT NULL,
    at          TIMESTAMP NOT NULL,
    actor_name  TEXT   NOT NULL,
    channel     TEXT   NOT NULL CHECK (channel IN ('api', 'mcp')),
    operation   TEXT   NOT NULL,
    content     TEXT   NOT NULL,
    PRIMARY KEY (auth_id, version)
);

-- A secret item's fingerprint (HMAC-SHA256 of its value under a server key, 16 hex
-- characters), written with the value so that automation detects drift unread.
ALTER TABLE catalog_entries ADD COLUMN fingerprint TEXT;
