-- Catalog entries of every kind, auths, and the links from auths to entries.
-- Seed rows (flags, protocols) are written by the application from the domain's
-- SEEDS list, so that one list defines them.

CREATE TABLE catalog_entries (
    number      INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    label_key   TEXT    NOT NULL,           -- case-folded label, for unique and lookup
    item_key    TEXT,
    item_value  TEXT,                       -- write-only when secret
    secret      BOOLEAN NOT NULL DEFAULT 0,
    seeded      BOOLEAN NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
-- Labels are unique per catalog, case-insensitively, except items.
CREATE UNIQUE INDEX catalog_entries_label_unique ON catalog_entries (kind, label_key) WHERE kind <> 'items';
CREATE INDEX catalog_entries_kind_label ON catalog_entries (kind, label_key);

CREATE TABLE auths (
    number          INTEGER PRIMARY KEY AUTOINCREMENT,   -- the Foreman-visible id; never reused
    auth_id         TEXT    NOT NULL UNIQUE,
    group_id        TEXT    NOT NULL,
    name_id         TEXT    NOT NULL UNIQUE REFERENCES catalog_entries (id),
    description_id  TEXT    REFERENCES catalog_entries (id),
    flag_id         TEXT    NOT NULL REFERENCES catalog_entries (id),
    version         BIGINT  NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    created_by      TEXT    NOT NULL,
    updated_by      TEXT    NOT NULL
);
CREATE INDEX auths_group_id ON auths (group_id);
CREATE INDEX auths_updated_at ON auths (updated_at);
CREATE INDEX auths_flag_id ON auths (flag_id);
CREATE INDEX auths_description_id ON auths (description_id);

-- Multi-valued sections: protocols, slugs, items, departments, locations.
CREATE TABLE auth_links (
    auth_number  BIGINT NOT NULL REFERENCES auths (number) ON DELETE CASCADE,
    kind         TEXT   NOT NULL,
    entry_id     TEXT   NOT NULL REFERENCES catalog_entries (id),
    PRIMARY KEY (auth_number, kind, entry_id)
);
-- Lookups by department, protocol, location, slug (and "is this entry in use").
CREATE INDEX auth_links_entry ON auth_links (kind, entry_id);
-- A slug belongs to at most one auth.
CREATE UNIQUE INDEX auth_links_slug_unique ON auth_links (entry_id) WHERE kind = 'slugs';
