import { z } from "zod";
import { db } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { TimError } from "@/lib/http/errors";
import { SUPERSEDED_REASON } from "@/lib/tokens/status";
import { HORIZON } from "@/lib/ssf/horizon";

/**
 * The revocation snapshot (a TIM extension of SSF, docs/shared-signals.md "The revocation snapshot"):
 * every revocation a receiver could still need — a denylisted token not yet expired — so a receiver
 * that starts without state is not blind to what was revoked before its stream existed or what it
 * acknowledged before it lost its state. Keyset pages in (kind, expires_at, jwt_uuid) order, over
 * the denylists' expires_at indexes (a range scan; equal expiries sorted by jwt_uuid as they come).
 */

export const MAX_SNAPSHOT_PAGE = 10_000;
const DEFAULT_SNAPSHOT_PAGE = 1_000;
/** Also revocations of tokens that expired this recently: a verifier accepts a token until exp plus its clock tolerance. */
const EXPIRED_GRACE = "5 minutes";
/** How long the first page waits for the transactions running when it was asked for (see awaitRunningTransactions). */
const SETTLE_TIMEOUT_MS = 10_000;

const KINDS = ["custom", "tara"] as const;
type Kind = (typeof KINDS)[number];
/** The newest expiry a cursor may name: year 9999 in microseconds since the epoch (PostgreSQL's timestamptz reaches 294276). */
const MAX_CURSOR_US = 253_402_300_800_000_000n;

/** A cursor is opaque to receivers; it is `<kind>.<expires_at in µs since the epoch>.<jwt_uuid>` of the last entry answered. */
const cursorSchema = z
  .string()
  .max(100)
  .transform((s, ctx) => {
    const m = /^(custom|tara)\.(\d{1,18})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(s);
    if (!m || BigInt(m[2]) > MAX_CURSOR_US) {
      ctx.addIssue({ code: "custom", message: "cursor must be a next_cursor of an earlier answer" });
      return z.NEVER;
    }
    return { kind: m[1] as Kind, expiresUs: BigInt(m[2]), jwtUuid: m[3] };
  });
type Cursor = z.infer<typeof cursorSchema>;

export const snapshotQuery = z.object({
  cursor: cursorSchema.optional(),
  limit: z.coerce.number("limit must be a number").int().min(1).max(MAX_SNAPSHOT_PAGE).optional(),
});
export type SnapshotQuery = z.infer<typeof snapshotQuery>;

export const snapshotResponse = z.object({
  revocations: z.array(
    z.object({
      kind: z.enum(KINDS),
      jti: z.string(),
      /** The revoked token's expiry (seconds since the epoch): the receiver keeps the revocation until then. */
      exp: z.number(),
      /** TARA only, when the revocation ended the token's session (what a session-revoked event says): the session's id. */
      sid: z.string().optional(),
    }),
  ),
  /** Where the next page starts; null on the last page. */
  next_cursor: z.string().nullable(),
});
export type SnapshotAnswer = z.infer<typeof snapshotResponse>;

type Row = { kind: Kind; jti: string; expires_us: bigint; sid: string | null };

const FIRST: Cursor = { kind: "custom", expiresUs: -1n, jwtUuid: "00000000-0000-0000-0000-000000000000" };
const after = (c: Cursor) => Prisma.sql`(d.expires_at, d.jwt_uuid) > ('epoch'::timestamptz + ${c.expiresUs} * interval '1 microsecond', ${c.jwtUuid}::uuid)`;

/**
 * A new stream owes the revocations of transactions that see it; one that revoked before the stream
 * committed (and saw no stream, so wrote no event) may still be running when the receiver asks for
 * the snapshot. The first page therefore waits until every transaction that had written anything
 * when it was asked for has ended: its revocations are then in the snapshot. A fresh transaction id
 * marks that moment (a snapshot's xmax does not: it is one past the newest *ended* transaction, so a
 * running one may lie beyond it); the wait ends when the delivery horizon has passed it.
 */
async function awaitRunningTransactions(prisma: Awaited<ReturnType<typeof db>>): Promise<void> {
  const [{ mark }] = await prisma.$queryRaw<{ mark: bigint }[]>`SELECT pg_current_xact_id()::text::bigint AS mark`;
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const [{ horizon }] = await prisma.$queryRaw<{ horizon: bigint }[]>`SELECT ${HORIZON} AS horizon`;
    if (horizon > mark) return;
    if (Date.now() > deadline) {
      throw new TimError("snapshot_pending", "A database transaction that was running when the snapshot was asked for has not ended; try again.");
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * One page of the revocation snapshot. One query: each denylist's unexpired rows past the cursor in
 * index order (a cursor in the TARA part skips the custom one), then the first `limit` of both.
 * Revocations that commit while a receiver pages may or may not appear: its stream delivers them.
 */
export async function readSnapshot(q: SnapshotQuery): Promise<SnapshotAnswer> {
  const prisma = await db();
  if (!q.cursor) await awaitRunningTransactions(prisma);
  const limit = q.limit ?? DEFAULT_SNAPSHOT_PAGE;
  const cursor = q.cursor ?? FIRST;
  const inCustom = cursor.kind === "custom";
  const taraFrom = inCustom ? FIRST : cursor;
  const rows = await prisma.$queryRaw<Row[]>`
    SELECT * FROM (
      (SELECT 'custom' AS kind, d.jwt_uuid::text AS jti, (extract(epoch FROM d.expires_at) * 1000000)::bigint AS expires_us, NULL::text AS sid
         FROM custom.denylist d
        WHERE ${inCustom} AND d.expires_at > now() - ${EXPIRED_GRACE}::interval AND ${after(cursor)}
        ORDER BY d.expires_at, d.jwt_uuid LIMIT ${limit + 1})
      UNION ALL
      (SELECT 'tara', d.jwt_uuid::text, (extract(epoch FROM d.expires_at) * 1000000)::bigint,
              CASE WHEN d.reason IS DISTINCT FROM ${SUPERSEDED_REASON} THEN m.session_id END
         FROM tara.denylist d LEFT JOIN tara.jwt_metadata m ON m.jwt_uuid = d.jwt_uuid
        WHERE d.expires_at > now() - ${EXPIRED_GRACE}::interval AND ${after(taraFrom)}
        ORDER BY d.expires_at, d.jwt_uuid LIMIT ${limit + 1})
    ) page ORDER BY kind, expires_us, jti LIMIT ${limit + 1}`;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    revocations: page.map((r) => ({ kind: r.kind, jti: r.jti, exp: Number(r.expires_us / 1_000_000n), ...(r.sid ? { sid: r.sid } : {}) })),
    next_cursor: rows.length > limit && last ? `${last.kind}.${last.expires_us}.${last.jti}` : null,
  };
}
