-- Sort keys compare byte by byte, as SQLite's BINARY does, so that lists are in the
-- same order on both backends whatever the server's locale (en_US would skip spaces
-- and punctuation). The keys are case-folded already.
ALTER TABLE catalog_entries ALTER COLUMN label_key TYPE TEXT COLLATE "C";
ALTER TABLE auths ALTER COLUMN name_key TYPE TEXT COLLATE "C";
