-- The token search filters on claim keys with string_to_array(claim_keys, ',') @> ARRAY[...].
-- These expression indexes serve that filter and, as important, give the planner
-- statistics on the keys, so it keeps walking the issued_at index for a page
-- instead of sorting every token that has a common key.
CREATE INDEX idx_custom_jwt_metadata_claim_key_array ON custom.jwt_metadata USING gin (string_to_array(claim_keys, ','));
CREATE INDEX idx_tara_jwt_metadata_claim_key_array ON tara.jwt_metadata USING gin (string_to_array(claim_keys, ','));
