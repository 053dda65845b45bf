-- Which key seals this database's secret values (docs/decisions.md, 29): the first
-- instance to start registers the key it made; another instance on the same database
-- whose key file lacks it refuses to seal with a key of its own (it would seal values
-- no other instance can open).
CREATE TABLE sealing_key (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    key_id TEXT NOT NULL
);
