-- One counter that every write transaction raises before it commits. Cached answers
-- are kept per value of it: a reader compares the counter (one primary-key read) with
-- the value its cached answer was computed at, so every committed write, by this
-- process or another, is reflected at once.
CREATE TABLE data_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO data_generation (id, value) VALUES (1, 0);
