ALTER TABLE auths ALTER COLUMN name_key TYPE TEXT COLLATE "default";
ALTER TABLE catalog_entries ALTER COLUMN label_key TYPE TEXT COLLATE "default";
