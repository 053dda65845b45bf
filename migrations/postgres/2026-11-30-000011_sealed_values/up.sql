-- Secret item values sealed at rest (server spec, "Secrets at rest"; docs/decisions.md,
-- 29): `sealed_value` holds KEY_ID:BASE64(nonce || AES-256-GCM ciphertext) and a
-- secret item's `item_value` becomes NULL. SQL cannot encrypt, so values stored before
-- this migration are sealed by `authsd` at start-up, under the key of its key file.
ALTER TABLE catalog_entries ADD COLUMN sealed_value TEXT;
