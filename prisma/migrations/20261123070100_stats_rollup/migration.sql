-- Dashboard figures (lib/reporting/stats.ts): closed UTC days come from a
-- rollup made once (lib/reporting/stats-rollup.ts), so the dashboard does not
-- scan every token of the last 30 days on each view. Days are 'YYYY-MM-DD' (UTC).
CREATE TABLE tim.stats_daily (
  day        text             NOT NULL,
  kind       text             NOT NULL,
  claim_keys text             NOT NULL,
  issued     bigint           NOT NULL,
  -- sum of (expires_at - issued_at) in seconds, for average lifetimes
  lifetime_s double precision NOT NULL,
  PRIMARY KEY (day, kind, claim_keys),
  CONSTRAINT stats_daily_kind_check CHECK (kind IN ('custom', 'tara'))
);

-- Which days are rolled up (a day without tokens has no stats_daily row).
CREATE TABLE tim.stats_rollup_days (
  day       text        PRIMARY KEY,
  rolled_at timestamptz NOT NULL DEFAULT now()
);

-- Extension rows by issue time (extension-chain figures); only extension rows are indexed.
CREATE INDEX idx_custom_jwt_metadata_extension_issued ON custom.jwt_metadata (issued_at) WHERE supersedes IS NOT NULL;
CREATE INDEX idx_tara_jwt_metadata_extension_issued ON tara.jwt_metadata (issued_at) WHERE supersedes IS NOT NULL;
