-- TARA's protocol log (TARA technical specification §5.3 "Logging"): every
-- authentication request, redirect request and token response in full (URL,
-- ID token), per login (state), so a login can be reconstructed and excerpts
-- handed to RIA's support. Personal data: kept in the database, not the
-- application log, for TIM_RETENTION_TARA_PROTOCOL_DAYS. Never the client secret.
CREATE TABLE tara.protocol_log (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  at timestamptz NOT NULL DEFAULT now(),
  state text NOT NULL,
  message text NOT NULL,
  url text,
  http_status integer,
  id_token text,
  verified boolean,
  error text
);
CREATE INDEX protocol_log_state_idx ON tara.protocol_log (state, at);
CREATE INDEX protocol_log_at_idx ON tara.protocol_log (at);
