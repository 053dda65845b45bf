-- Which auths each write re-indexed, under the data generation it committed (written
-- after the generation is raised, so generations are in commit order): every instance
-- keeps its in-memory search index in step by reading the rows past the generation it
-- reflects. An auth_number of -1 means every auth (/refresh). Rows older than the
-- floor's generation are pruned; an index older than the floor is built again whole.
CREATE TABLE search_log (
    generation  BIGINT NOT NULL,
    auth_number BIGINT NOT NULL
);
CREATE INDEX search_log_generation ON search_log (generation);
CREATE TABLE search_log_floor (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT  NOT NULL
);
INSERT INTO search_log_floor (id, generation) VALUES (1, 0);
