-- Where a token came from (issue 17 §1): the address of the client that asked for it and its
-- User-Agent header. Custom tokens: the API caller of the issuance (or of the extension, for the
-- new version); TARA tokens: the person's browser at TARA's callback. TIM_TRUSTED_PROXIES decides
-- when X-Forwarded-For is believed (lib/http/address.ts). Both are personal data: they go with the
-- row, so retention archives them and the archive purge removes them with it (README, "Retention").
-- NULL on rows written before this migration, imported from TIM 2.0, or issued outside TIM's server.
-- The user agent is cut to 512 characters before it is stored (lib/tokens/origin.ts).

ALTER TABLE custom.jwt_metadata
  ADD COLUMN client_address inet,
  ADD COLUMN user_agent text CONSTRAINT jwt_metadata_user_agent_length CHECK (char_length(user_agent) <= 512);
ALTER TABLE tara.jwt_metadata
  ADD COLUMN client_address inet,
  ADD COLUMN user_agent text CONSTRAINT tara_jwt_metadata_user_agent_length CHECK (char_length(user_agent) <= 512);
ALTER TABLE custom.jwt_metadata_archive ADD COLUMN client_address inet, ADD COLUMN user_agent text;
ALTER TABLE tara.jwt_metadata_archive ADD COLUMN client_address inet, ADD COLUMN user_agent text;

-- The console's and the reports' address filter (an address or a CIDR range: client_address <<= $1)
-- uses a btree on inet (PostgreSQL turns <<= into a range condition on it).
CREATE INDEX idx_custom_jwt_metadata_client_address ON custom.jwt_metadata (client_address) WHERE client_address IS NOT NULL;
CREATE INDEX idx_tara_jwt_metadata_client_address ON tara.jwt_metadata (client_address) WHERE client_address IS NOT NULL;
