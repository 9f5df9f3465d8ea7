import { db } from "@/lib/db/client";
import { KINDS, TOKEN_KINDS, byKind, type TokenKind } from "@/lib/tokens/kinds";

/**
 * Synthetic token metadata for benchmarks (`npm run seed:bulk`): rows are
 * generated inside the database (INSERT … SELECT over generate_series), a
 * batch per statement, with realistic spreads: issue times over the last 60
 * days, 20 JWT names, 8 claim combinations, 10 API clients, 50,000 subjects,
 * about 5% revoked, 20,000 client addresses (10.0.0.0/13 and 198.51.100.0/24), 4 user agents. Names start with `bulk-` so benchmarks can filter on them.
 */
export type BulkSeedOptions = { rows: number; taraShare?: number; batch?: number; onProgress?: (done: number) => void };

/** 20,000 addresses: 10.x.y.z (a private network) and 198.51.100.0/24 (TEST-NET-2: public). */
const ADDRESS = `(CASE WHEN g % 10 = 0 THEN '198.51.100.' || (g % 256) ELSE '10.' || (g % 8) || '.' || (g / 8 % 50) || '.' || (g / 400 % 50) END)::inet`;
const USER_AGENT = `(ARRAY['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
                          'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
                          'curl/8.5.0', 'bulk-service/1.0'])[1 + (g % 4)]`;

/** What differs between the kinds' synthetic rows: the columns written and their values over `gen` (u, iat, g). */
const GENERATED: Record<TokenKind, { columns: string; values: string }> = {
  custom: {
    columns:
      "jwt_uuid, claim_keys, issued_at, expires_at, subject, jwt_name, audience, issuer, original_jwt_uuid, claims_json, token_hash, client_id, client_address, user_agent",
    values: `u, (ARRAY['sub,role','sub,role,department','sub,role,department,permissions','service,scope,permissions',
                     'sub,scope','sub,admin','sub,role,admin','sub'])[1 + (g % 8)],
           date_trunc('second', iat), date_trunc('second', iat) + ((1 + g % 24) * interval '1 hour'),
           'bulk-subject-' || (g * 7919 % 50000), 'bulk-name-' || (g % 20), 'tim-audience', 'TIM',
           u, jsonb_build_object('sub', 'bulk-subject-' || (g * 7919 % 50000), 'role', 'reader', 'jti', u),
           encode(sha256(convert_to(u::text, 'UTF8')), 'hex'), 'bulk-client-' || (g % 10), ${ADDRESS}, ${USER_AGENT}`,
  },
  tara: {
    columns:
      "jwt_uuid, claim_keys, issued_at, expires_at, subject, jwt_name, audience, issuer, original_jwt_uuid, claims_json, token_hash, auth_method, level_of_assurance, session_id, client_address, user_agent",
    values: `u, 'sub,given_name,family_name,amr,acr,sid', date_trunc('second', iat), date_trunc('second', iat) + interval '1 hour',
           'EE' || (30000000000 + g * 7919 % 50000), 'bulk-tara', 'tim-audience', 'TIM', u,
           jsonb_build_object('sub', 'EE' || (30000000000 + g * 7919 % 50000), 'jti', u),
           encode(sha256(convert_to(u::text, 'UTF8')), 'hex'),
           (ARRAY['mID','smartid','idcard','eidas'])[1 + (g % 4)], (ARRAY['high','substantial','low'])[1 + (g % 3)], gen_random_uuid()::text, ${ADDRESS}, ${USER_AGENT}`,
  },
};

// One statement per batch and kind: the rows, and about 5% of them on the denylist.
const SEED = byKind(
  (k) => `
  WITH gen AS (
    SELECT gen_random_uuid() AS u, now() - random() * interval '60 days' AS iat, g FROM generate_series(1, $1::int) g
  ), ins AS (
    INSERT INTO ${k.table.metadata} (${GENERATED[k.kind].columns})
    SELECT ${GENERATED[k.kind].values}
      FROM gen
    RETURNING jwt_uuid, issued_at, expires_at
  )
  INSERT INTO ${k.table.denylist} (jwt_uuid, denylisted_at, expires_at, reason, revoked_by)
  SELECT jwt_uuid, issued_at + interval '10 minutes', expires_at, 'bulk seed', 'seed' FROM ins WHERE random() < 0.05`,
);

export async function seedBulkTokens(opts: BulkSeedOptions): Promise<{ custom: number; tara: number }> {
  const prisma = await db();
  const batch = opts.batch ?? 50_000;
  const taraRows = Math.round(opts.rows * (opts.taraShare ?? 0.2));
  const rows: Record<TokenKind, number> = { custom: opts.rows - taraRows, tara: taraRows };
  let done = 0;
  for (const kind of TOKEN_KINDS) {
    for (let left = rows[kind]; left > 0; left -= batch) {
      const n = Math.min(batch, left);
      await prisma.$executeRawUnsafe(SEED[kind], n);
      done += n;
      opts.onProgress?.(done);
    }
  }
  for (const kind of TOKEN_KINDS) {
    await prisma.$executeRawUnsafe(`ANALYZE ${KINDS[kind].table.metadata}`);
    await prisma.$executeRawUnsafe(`ANALYZE ${KINDS[kind].table.denylist}`);
  }
  return rows;
}
