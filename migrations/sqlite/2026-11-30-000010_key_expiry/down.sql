ALTER TABLE principals DROP COLUMN expires_at;
