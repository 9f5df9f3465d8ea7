-- Keyset pagination of the console's token search by expiry time: (expires_at, id)
-- serves ORDER BY expires_at, id and the row comparison after the cursor.
CREATE INDEX idx_custom_jwt_metadata_expires_id ON custom.jwt_metadata (expires_at, id);
CREATE INDEX idx_tara_jwt_metadata_expires_id ON tara.jwt_metadata (expires_at, id);
