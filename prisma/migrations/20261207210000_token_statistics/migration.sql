-- Issue 17 / seed 002's token_statistics view: per token kind and subject, how many tokens are
-- active, revoked, superseded (revoked by an extension: denylist reason 'extended') and expired,
-- and when one was last used. Revocation wins over expiry (lib/tokens/status.ts). Read per subject
-- (WHERE subject = …): the condition reaches each kind's (subject, issued_at) index.
-- distinct_addresses: the number of client addresses the subject's tokens came from; NULL until
-- the metadata tables record addresses (issue 17 §1, "where a token came from").
CREATE VIEW tim.token_statistics AS
SELECT t.kind, t.subject,
       count(*) FILTER (WHERE NOT t.revoked AND t.expires_at > now()) AS active,
       count(*) FILTER (WHERE t.revoked AND t.reason IS DISTINCT FROM 'extended') AS revoked,
       count(*) FILTER (WHERE t.revoked AND t.reason = 'extended') AS superseded,
       count(*) FILTER (WHERE NOT t.revoked AND t.expires_at <= now()) AS expired,
       count(*) AS total,
       max(t.issued_at) AS last_issued_at,
       max(t.last_used_at) AS last_used_at,
       NULL::bigint AS distinct_addresses
  FROM (
    SELECT 'custom'::text AS kind, m.subject, m.issued_at, m.expires_at, d.jwt_uuid IS NOT NULL AS revoked, d.reason, u.last_used_at
      FROM custom.jwt_metadata m
      LEFT JOIN custom.denylist d ON d.jwt_uuid = m.jwt_uuid
      LEFT JOIN custom.token_usage u ON u.jwt_uuid = m.jwt_uuid
     WHERE m.subject IS NOT NULL
    UNION ALL
    SELECT 'tara'::text, m.subject, m.issued_at, m.expires_at, d.jwt_uuid IS NOT NULL, d.reason, u.last_used_at
      FROM tara.jwt_metadata m
      LEFT JOIN tara.denylist d ON d.jwt_uuid = m.jwt_uuid
      LEFT JOIN tara.token_usage u ON u.jwt_uuid = m.jwt_uuid
     WHERE m.subject IS NOT NULL
  ) t
 GROUP BY t.kind, t.subject;
