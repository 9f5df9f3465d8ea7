-- token_statistics.distinct_addresses: the client addresses the subject's tokens came from (client_address,
-- recorded since 20261207100000), in place of the NULL the view had before the column existed.
CREATE OR REPLACE VIEW tim.token_statistics AS
SELECT t.kind, t.subject,
       count(*) FILTER (WHERE NOT t.revoked AND t.expires_at > now()) AS active,
       count(*) FILTER (WHERE t.revoked AND t.reason IS DISTINCT FROM 'extended') AS revoked,
       count(*) FILTER (WHERE t.revoked AND t.reason = 'extended') AS superseded,
       count(*) FILTER (WHERE NOT t.revoked AND t.expires_at <= now()) AS expired,
       count(*) AS total,
       max(t.issued_at) AS last_issued_at,
       max(t.last_used_at) AS last_used_at,
       count(DISTINCT t.client_address) AS distinct_addresses
  FROM (
    SELECT 'custom'::text AS kind, m.subject, m.issued_at, m.expires_at, d.jwt_uuid IS NOT NULL AS revoked, d.reason, u.last_used_at, m.client_address
      FROM custom.jwt_metadata m
      LEFT JOIN custom.denylist d ON d.jwt_uuid = m.jwt_uuid
      LEFT JOIN custom.token_usage u ON u.jwt_uuid = m.jwt_uuid
     WHERE m.subject IS NOT NULL
    UNION ALL
    SELECT 'tara'::text, m.subject, m.issued_at, m.expires_at, d.jwt_uuid IS NOT NULL, d.reason, u.last_used_at, m.client_address
      FROM tara.jwt_metadata m
      LEFT JOIN tara.denylist d ON d.jwt_uuid = m.jwt_uuid
      LEFT JOIN tara.token_usage u ON u.jwt_uuid = m.jwt_uuid
     WHERE m.subject IS NOT NULL
  ) t
 GROUP BY t.kind, t.subject;
