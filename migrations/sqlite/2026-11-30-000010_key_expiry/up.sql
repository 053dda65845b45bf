-- A key may expire (server spec, "Keys over HTTP, and revocation": a key past
-- `expires_at` is refused like a revoked one). NULL: it never expires.
ALTER TABLE principals ADD COLUMN expires_at TIMESTAMP;
