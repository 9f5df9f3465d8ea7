-- Issue 13 point 7: indexes no query of TIM uses cost every insert (a 50k-row insert took ~17 % less time
-- without them). docs/database.md lists each remaining index with the query that uses it.
-- claim_keys is searched by key (string_to_array(claim_keys, ',') @> ..., idx_*_claim_key_array); no query
-- compares the whole string or does full-text search on it.
DROP INDEX IF EXISTS custom.idx_custom_jwt_metadata_claims;
DROP INDEX IF EXISTS custom.idx_custom_jwt_metadata_claims_fts;
-- (expires_at) is the leading column of (expires_at, id), which serves every expiry range and order.
DROP INDEX IF EXISTS custom.idx_custom_jwt_metadata_expires;
DROP INDEX IF EXISTS tara.idx_tara_jwt_metadata_expires;
