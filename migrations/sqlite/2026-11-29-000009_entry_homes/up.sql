-- Where an entry belongs while no auth uses it (server spec, "One scope rule for every
-- object"; docs/decisions.md, 25). An entry that is not `homed` is everyone's while
-- unused; a homed one is seen, linked and changed by the keys scoped to one of its
-- `entry_homes` departments (and by global keys); homed without a row, by global keys
-- only. A scoped key's new entry is homed in its departments; an entry an auth stops
-- using is homed in that auth's departments.
ALTER TABLE catalog_entries ADD COLUMN homed BOOLEAN NOT NULL DEFAULT false;
CREATE TABLE entry_homes (
    entry_id      TEXT NOT NULL REFERENCES catalog_entries (id) ON DELETE CASCADE,
    department_id TEXT NOT NULL REFERENCES catalog_entries (id) ON DELETE CASCADE,
    PRIMARY KEY (entry_id, department_id)
);
