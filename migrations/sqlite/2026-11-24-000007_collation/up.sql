-- SQLite already compares TEXT byte by byte (BINARY); this step exists so that both
-- backends have the same migration history (see the PostgreSQL twin).
SELECT 1;
