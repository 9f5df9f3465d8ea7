import { MAX_USES_PER_EVENT, type TokenUse } from "@/inngest/events";
import { db } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { emit } from "@/lib/jobs/send";
import { KINDS, TOKEN_KINDS, type TokenKind } from "@/lib/tokens/kinds";

/**
 * Uses are collected in process this long before they go out: a token in use
 * is typically validated many times a second, and each window costs one row
 * update per token used in it, however often it was used.
 */
const FLUSH_MS = 5_000;
/** Distinct tokens collected before the window is handed over early (bounds memory). */
const MAX_PENDING_TOKENS = 20_000;

type Pending = { kind: TokenKind; jwtUuid: string; count: number; last: number };
type UsageState = { pending: Map<string, Pending>; timer?: NodeJS.Timeout };

// One collection per process, shared by the custom server's modules and Next's bundle.
const SLOT = Symbol.for("tim.jobs.token-usage");
const state: UsageState = ((globalThis as Record<symbol, unknown>)[SLOT] ??= { pending: new Map() }) as UsageState;

/**
 * Called by validation and introspection after a token was accepted; returns
 * at once. Uses of the same token are counted in process and handed to the
 * token-usage function together (every 5 s, as events of up to 1,000 tokens),
 * so a busy validation endpoint adds no database write per request.
 */
export function recordTokenUse(kind: TokenKind, jwtUuid: string, usedAt?: Date): void {
  const key = `${kind}:${jwtUuid}`;
  const at = usedAt ? usedAt.getTime() : Date.now();
  const known = state.pending.get(key);
  if (known) {
    known.count += 1;
    if (at > known.last) known.last = at;
    return;
  }
  state.pending.set(key, { kind, jwtUuid, count: 1, last: at });
  if (state.pending.size >= MAX_PENDING_TOKENS) flushTokenUse();
  else state.timer ??= setTimeout(flushTokenUse, FLUSH_MS).unref();
}

/** Hands the uses collected so far to the background function (at shutdown, and in tests). */
export function flushTokenUse(): void {
  clearTimeout(state.timer);
  state.timer = undefined;
  if (state.pending.size === 0) return;
  const uses: TokenUse[] = [...state.pending.values()].map((u) => ({
    token_type: u.kind,
    jwt_uuid: u.jwtUuid,
    count: u.count,
    last_used_at: new Date(u.last).toISOString(),
  }));
  state.pending = new Map();
  for (let i = 0; i < uses.length; i += MAX_USES_PER_EVENT) {
    emit({ name: "tim/token.used", data: { uses: uses.slice(i, i + MAX_USES_PER_EVENT) } });
  }
}

// Per kind: the uses of its known tokens added to its usage rows (u: the batch; the CTE <kind>_used counts them).
const UPSERTS = Prisma.raw(
  TOKEN_KINDS.map(
    (kind) => `, ${kind}_used AS (
      INSERT INTO ${KINDS[kind].table.usage} AS t (jwt_uuid, use_count, last_used_at)
      SELECT u.jwt_uuid, u.n, u.last FROM u JOIN ${KINDS[kind].table.metadata} m ON m.jwt_uuid = u.jwt_uuid WHERE u.t = '${kind}'
      ON CONFLICT (jwt_uuid) DO UPDATE
         SET use_count = t.use_count + excluded.use_count, last_used_at = GREATEST(t.last_used_at, excluded.last_used_at)
      RETURNING 1
    )`,
  ).join(""),
);
const COUNTS = Prisma.raw(TOKEN_KINDS.map((kind) => `(SELECT count(*) FROM ${kind}_used)::int AS ${kind}`).join(", "));

/**
 * Applies a batch of uses in ONE statement to the kinds' token_usage tables
 * (metadata rows are insert-only): a known token's `use_count` grows by the
 * number of uses, `last_used_at` moves to the latest use. `effectKey` (run id +
 * step) is claimed in the same statement, so a retried batch counts once.
 */
export async function applyTokenUsage(
  uses: TokenUse[],
  effectKey: string,
): Promise<{ applied: boolean; custom: number; tara: number }> {
  const merged = new Map<string, { t: string; jwt_uuid: string; n: number; last: string }>();
  for (const u of uses) {
    const key = `${u.token_type}:${u.jwt_uuid}`;
    const m = merged.get(key);
    if (!m) merged.set(key, { t: u.token_type, jwt_uuid: u.jwt_uuid, n: u.count, last: u.last_used_at });
    else {
      m.n += u.count;
      if (Date.parse(u.last_used_at) > Date.parse(m.last)) m.last = u.last_used_at;
    }
  }
  const payload = JSON.stringify([...merged.values()]);
  const rows = await (await db()).$queryRaw<Array<{ claimed: number } & Record<TokenKind, number>>>`
    WITH claim AS (
      INSERT INTO tim.job_effects (key) VALUES (${effectKey}) ON CONFLICT (key) DO NOTHING RETURNING key
    ), u AS (
      SELECT x.* FROM jsonb_to_recordset(${payload}::jsonb) AS x(t text, jwt_uuid uuid, n int, last timestamptz)
       WHERE EXISTS (SELECT 1 FROM claim)
    )${UPSERTS}
    SELECT (SELECT count(*) FROM claim)::int AS claimed, ${COUNTS}`;
  const row = rows[0];
  return { applied: row.claimed === 1, custom: row.custom, tara: row.tara };
}
