import { db } from "@/lib/db/client";
import { KINDS, TOKEN_KINDS, byKind, type TokenKind } from "@/lib/tokens/kinds";

/**
 * Synthetic token metadata for benchmarks (`npm run seed:bulk`): rows are
 * generated inside the database (INSERT … SELECT over generate_series), a
 * batch per statement, with realistic spreads: issue times over the last 60
 * days, 20 JWT names, 8 claim combinations, 10 API clients, 50,000 subjects,
 * about 5% revoked. Names start with `bulk-` so benchmarks can filter on them.
 */
export type BulkSeedOptions = { rows: number; taraShare?: number; batch?: number; onProgress?: (done: number) => void };

/** What differs between the kinds' synthetic rows: the columns written and their values over `gen` (u, iat, g). */
const GENERATED: Record<TokenKind, { columns: string; values: string }> = {
  custom: {
    columns: "jwt_uuid, claim_keys, issued_at, expires_at, subject, jwt_name, audience, issuer, original_jwt_uuid, claims_json, token_hash, client_id",
    values: `u, (ARRAY['sub,role','sub,role,department','sub,role,department,permissions','service,scope,permissions',
                     'sub,scope','sub,admin','sub,role,admin','sub'])[1 + (g % 8)],
           date_trunc('second', iat), date_trunc('second', iat) + ((1 + g % 24) * interval '1 hour'),
           'bulk-subject-' || (g * 7919 % 50000), 'bulk-name-' || (g % 20), 'tim-audience', 'TIM',
           u, jsonb_build_object('sub', 'bulk-subject-' || (g * 7919 % 50000), 'role', 'reader', 'jti', u),
           encode(sha256(convert_to(u::text, 'UTF8')), 'hex'), 'bulk-client-' || (g % 10)`,
  },
  tara: {
    columns: "jwt_uuid, claim_keys, issued_at, expires_at, subject, jwt_name, audience, issuer, original_jwt_uuid, claims_json, token_hash, auth_method, level_of_assurance, session_id",
    values: `u, 'sub,given_name,family_name,amr,acr,sid', date_trunc('second', iat), date_trunc('second', iat) + interval '1 hour',
           'EE' || (30000000000 + g * 7919 % 50000), 'bulk-tara', 'tim-audience', 'TIM', u,
           jsonb_build_object('sub', 'EE' || (30000000000 + g * 7919 % 50000), 'jti', u),
           encode(sha256(convert_to(u::text, 'UTF8')), 'hex'),
           (ARRAY['mID','smartid','idcard','eidas'])[1 + (g % 4)], (ARRAY['high','substantial','low'])[1 + (g % 3)], gen_random_uuid()::text`,
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
