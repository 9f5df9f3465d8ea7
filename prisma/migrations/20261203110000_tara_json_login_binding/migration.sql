-- A JSON-mode login reaches only the party that started it: the start answers
-- a one-time login secret (only its SHA-256 is kept), the callback stores the
-- verified identity (or the error) instead of issuing a token, and the starter
-- redeems it once with the secret. No token is stored.
ALTER TABLE tara.oauth_state
  ADD COLUMN login_secret_hash text,
  ADD COLUMN login_result jsonb,
  ADD COLUMN redeemed_at timestamptz;
