-- The revoked token's expiry on each revocation event (the denylist row's expires_at), sent in the SET
-- (`token_exp`): a receiver keeps the revocation only until the token would have expired anyway, so its
-- revocation set stays bounded (packages/verify). NULL for verification events and for older rows.
ALTER TABLE tim.ssf_events ADD COLUMN token_expires_at timestamptz;

CREATE OR REPLACE FUNCTION tim.ssf_record_revocations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM tim.ssf_streams WHERE status <> 'disabled') THEN
    RETURN NULL;
  END IF;
  IF TG_ARGV[0] = 'tara' THEN
    INSERT INTO tim.ssf_events (event, kind, jwt_uuid, session_id, reason, revoked_at, token_expires_at)
      SELECT CASE WHEN m.session_id IS NOT NULL AND n.reason IS DISTINCT FROM 'extended' THEN 'session-revoked' ELSE 'token-revoked' END,
             'tara', n.jwt_uuid, m.session_id, n.reason, n.denylisted_at, n.expires_at
        FROM revoked n LEFT JOIN tara.jwt_metadata m ON m.jwt_uuid = n.jwt_uuid
       ORDER BY n.jwt_uuid;
  ELSE
    INSERT INTO tim.ssf_events (event, kind, jwt_uuid, reason, revoked_at, token_expires_at)
      SELECT 'token-revoked', 'custom', n.jwt_uuid, n.reason, n.denylisted_at, n.expires_at FROM revoked n ORDER BY n.jwt_uuid;
  END IF;
  RETURN NULL;
END
$$;
