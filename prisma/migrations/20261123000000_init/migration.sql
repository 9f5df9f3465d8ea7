-- TIM initial schema: custom and TARA token metadata, revocation lists,
-- OAuth state, archives, signing keys and API clients.
-- Timestamps are timestamptz (UTC instants) so comparisons with now() do not
-- depend on the session time zone.

CREATE SCHEMA IF NOT EXISTS custom;
CREATE SCHEMA IF NOT EXISTS tara;
CREATE SCHEMA IF NOT EXISTS tim;

-- ---------------------------------------------------------------- custom ---
CREATE TABLE custom.jwt_metadata (
  id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  jwt_uuid          uuid        NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  claim_keys        text        NOT NULL,
  issued_at         timestamptz NOT NULL,
  expires_at        timestamptz NOT NULL,
  subject           text,
  jwt_name          text,
  audience          text,
  issuer            text,
  supersedes        uuid,
  original_jwt_uuid uuid        NOT NULL,
  claims_json       jsonb       NOT NULL,
  token_hash        char(64)    NOT NULL,
  token_type        text        NOT NULL DEFAULT 'custom_jwt',
  client_id         text,
  last_used_at      timestamptz,
  use_count         integer     NOT NULL DEFAULT 0,
  CONSTRAINT jwt_metadata_jwt_uuid_key UNIQUE (jwt_uuid),
  CONSTRAINT jwt_metadata_token_hash_key UNIQUE (token_hash),
  -- one successor per version keeps every extension chain linear
  CONSTRAINT jwt_metadata_supersedes_key UNIQUE (supersedes),
  CONSTRAINT jwt_metadata_lifetime_check CHECK (expires_at > issued_at)
);
CREATE INDEX idx_custom_jwt_metadata_original ON custom.jwt_metadata (original_jwt_uuid);
CREATE INDEX idx_custom_jwt_metadata_subject ON custom.jwt_metadata (subject, issued_at DESC);
CREATE INDEX idx_custom_jwt_metadata_issued ON custom.jwt_metadata (issued_at, id);
CREATE INDEX idx_custom_jwt_metadata_expires ON custom.jwt_metadata (expires_at);
CREATE INDEX idx_custom_jwt_metadata_claims ON custom.jwt_metadata (claim_keys);
CREATE INDEX idx_custom_jwt_metadata_claims_fts ON custom.jwt_metadata USING gin (to_tsvector('english', claim_keys));
CREATE INDEX idx_custom_jwt_metadata_name ON custom.jwt_metadata (jwt_name);
CREATE INDEX idx_custom_jwt_metadata_client ON custom.jwt_metadata (client_id);

CREATE TABLE custom.denylist (
  jwt_uuid      uuid        PRIMARY KEY,
  denylisted_at timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  reason        text,
  revoked_by    text
);
CREATE INDEX idx_custom_denylist_exp ON custom.denylist (expires_at);
CREATE INDEX idx_custom_denylist_denylisted ON custom.denylist (denylisted_at);

CREATE TABLE custom.allowlist (
  jwt_hash   char(64)    PRIMARY KEY,
  jwt_uuid   uuid        NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_custom_allowlist_uuid ON custom.allowlist (jwt_uuid);
CREATE INDEX idx_custom_allowlist_exp ON custom.allowlist (expires_at);

CREATE TABLE custom.jwt_metadata_archive (
  id                uuid        PRIMARY KEY,
  jwt_uuid          uuid        NOT NULL,
  created_at        timestamptz NOT NULL,
  claim_keys        text        NOT NULL,
  issued_at         timestamptz NOT NULL,
  expires_at        timestamptz NOT NULL,
  subject           text,
  jwt_name          text,
  audience          text,
  issuer            text,
  supersedes        uuid,
  original_jwt_uuid uuid        NOT NULL,
  claims_json       jsonb       NOT NULL,
  token_hash        char(64)    NOT NULL,
  token_type        text        NOT NULL,
  client_id         text,
  last_used_at      timestamptz,
  use_count         integer     NOT NULL,
  archived_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_custom_archive_archived ON custom.jwt_metadata_archive (archived_at);
CREATE INDEX idx_custom_archive_jwt_uuid ON custom.jwt_metadata_archive (jwt_uuid);

-- ------------------------------------------------------------------ tara ---
CREATE TABLE tara.oauth_state (
  state             text        PRIMARY KEY,
  nonce             text        NOT NULL,
  redirect_uri      text        NOT NULL,
  requested_acr     text,
  requested_methods text,
  ui_locales        text,
  response_mode     text        NOT NULL DEFAULT 'redirect',
  created_at        timestamptz NOT NULL DEFAULT now(),
  expires_at        timestamptz NOT NULL,
  consumed_at       timestamptz,
  CONSTRAINT oauth_state_length_check CHECK (char_length(state) >= 32)
);
CREATE INDEX idx_tara_oauth_state_exp ON tara.oauth_state (expires_at);

CREATE TABLE tara.jwt_metadata (
  id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  jwt_uuid           uuid        NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  claim_keys         text        NOT NULL,
  issued_at          timestamptz NOT NULL,
  expires_at         timestamptz NOT NULL,
  subject            text,
  jwt_name           text,
  audience           text,
  issuer             text,
  supersedes         uuid,
  original_jwt_uuid  uuid        NOT NULL,
  claims_json        jsonb       NOT NULL,
  token_hash         char(64)    NOT NULL,
  token_type         text        NOT NULL DEFAULT 'tara_jwt',
  client_id          text,
  last_used_at       timestamptz,
  use_count          integer     NOT NULL DEFAULT 0,
  auth_method        text,
  level_of_assurance text,
  session_id         text,
  oauth_state_id     text,
  given_name         text,
  family_name        text,
  CONSTRAINT tara_jwt_metadata_jwt_uuid_key UNIQUE (jwt_uuid),
  CONSTRAINT tara_jwt_metadata_token_hash_key UNIQUE (token_hash),
  CONSTRAINT tara_jwt_metadata_supersedes_key UNIQUE (supersedes),
  CONSTRAINT tara_jwt_metadata_lifetime_check CHECK (expires_at > issued_at)
);
CREATE INDEX idx_tara_jwt_metadata_original ON tara.jwt_metadata (original_jwt_uuid);
CREATE INDEX idx_tara_jwt_metadata_subject ON tara.jwt_metadata (subject, issued_at DESC);
CREATE INDEX idx_tara_jwt_metadata_issued ON tara.jwt_metadata (issued_at, id);
CREATE INDEX idx_tara_jwt_metadata_expires ON tara.jwt_metadata (expires_at);
CREATE INDEX idx_tara_jwt_metadata_session ON tara.jwt_metadata (session_id);
CREATE INDEX idx_tara_jwt_metadata_state ON tara.jwt_metadata (oauth_state_id);

CREATE TABLE tara.denylist (
  jwt_uuid      uuid        PRIMARY KEY,
  denylisted_at timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  reason        text,
  revoked_by    text
);
CREATE INDEX idx_tara_denylist_exp ON tara.denylist (expires_at);
CREATE INDEX idx_tara_denylist_denylisted ON tara.denylist (denylisted_at);

CREATE TABLE tara.allowlist (
  jwt_hash   char(64)    PRIMARY KEY,
  jwt_uuid   uuid        NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_tara_allowlist_uuid ON tara.allowlist (jwt_uuid);
CREATE INDEX idx_tara_allowlist_exp ON tara.allowlist (expires_at);

CREATE TABLE tara.jwt_metadata_archive (
  id                 uuid        PRIMARY KEY,
  jwt_uuid           uuid        NOT NULL,
  created_at         timestamptz NOT NULL,
  claim_keys         text        NOT NULL,
  issued_at          timestamptz NOT NULL,
  expires_at         timestamptz NOT NULL,
  subject            text,
  jwt_name           text,
  audience           text,
  issuer             text,
  supersedes         uuid,
  original_jwt_uuid  uuid        NOT NULL,
  claims_json        jsonb       NOT NULL,
  token_hash         char(64)    NOT NULL,
  token_type         text        NOT NULL,
  client_id          text,
  last_used_at       timestamptz,
  use_count          integer     NOT NULL,
  auth_method        text,
  level_of_assurance text,
  session_id         text,
  oauth_state_id     text,
  given_name         text,
  family_name        text,
  archived_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_tara_archive_archived ON tara.jwt_metadata_archive (archived_at);
CREATE INDEX idx_tara_archive_jwt_uuid ON tara.jwt_metadata_archive (jwt_uuid);

-- ------------------------------------------------------------------- tim ---
CREATE TABLE tim.signing_keys (
  kid            text        PRIMARY KEY,
  alg            text        NOT NULL,
  public_jwk     jsonb       NOT NULL,
  -- private JWK JSON, a compact JWE (dir, A256GCM) when private_key_encrypted;
  -- NULL when the private key is supplied through TIM_SIGNING_KEY
  private_key    text,
  private_key_encrypted boolean NOT NULL,
  -- next: published, not yet signing; active: signs; retired: verifies only
  status         text        NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  activated_at   timestamptz,
  retired_at     timestamptz,
  -- latest expiry of any token this key signed; published until then
  last_token_expires_at timestamptz,
  CONSTRAINT signing_keys_status_check CHECK (status IN ('next', 'active', 'retired'))
);
-- at most one signing key at a time
CREATE UNIQUE INDEX signing_keys_one_active ON tim.signing_keys ((status)) WHERE status = 'active';

CREATE TABLE tim.api_clients (
  client_id            text        PRIMARY KEY,
  name                 text        NOT NULL,
  secret_hash          text        NOT NULL,
  scopes               text[]      NOT NULL,
  allowed_audiences    text[]      NOT NULL DEFAULT '{}',
  max_lifetime_minutes integer     NOT NULL DEFAULT 1440,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  disabled_at          timestamptz,
  last_used_at         timestamptz,
  CONSTRAINT api_clients_lifetime_check CHECK (max_lifetime_minutes > 0)
);
