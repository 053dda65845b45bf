-- /search answers from an index in memory kept in step through search_log (decisions
-- §34): the database's own full-text index is no longer read, and no longer written.
DROP TABLE IF EXISTS auth_search;
