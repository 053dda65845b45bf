-- The audit log: one row for every write, appended in the write's own transaction.
-- before/after are JSON text with secret values masked. Rows are never updated.
CREATE TABLE audit_log (
    number      INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TIMESTAMP NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('api', 'mcp')),
    operation   TEXT NOT NULL,
    auth_id     TEXT,
    before      TEXT,
    after       TEXT
);
CREATE INDEX audit_log_auth ON audit_log (auth_id, number);

-- The departments of the audited auth (before and after), so that a department-scoped
-- editor reads exactly the records of their departments, deleted auths included.
CREATE TABLE audit_departments (
    audit_number  BIGINT NOT NULL REFERENCES audit_log (number) ON DELETE CASCADE,
    entry_id      TEXT   NOT NULL,
    PRIMARY KEY (audit_number, entry_id)
);
CREATE INDEX audit_departments_entry ON audit_departments (entry_id, audit_number);
