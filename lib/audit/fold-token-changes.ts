import { defineJob } from "@/lib/jobs/define";
import { revokedByActor } from "@/lib/audit/actors";
import type { AuditEvent } from "@/lib/audit/event";
import { recordAudit } from "@/lib/audit/record";
import { db } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { KINDS } from "@/lib/tokens/kinds";
import type { TokenKind } from "@/lib/tokens/kinds";

/**
 * Folds the token changes that the one-statement hot paths make without an
 * audit event — single revocations through the token API (`/jwt/custom/revoke`,
 * RFC 7009 `/revoke`), extensions (`/jwt/custom/extend`, `/jwt/tara/extend`)
 * and TARA logouts / sessions ended by their owner — into the audit trail:
 * one event per change, with the actor its `revoked_by` recorded, the request
 * id and caller's address its denylist row kept, the change's own time, appended in the transaction that advances the watermark (so
 * retries and concurrent runs audit each change exactly once).
 *
 * Changes audited when they were made are skipped: administrators'
 * revocations (`revoked_by` `admin:…`, audited by the console or the
 * mass-revocation job) and bulk API revocations (their `tokens.revoke` event,
 * written in the same transaction, names the token). The denylist row an
 * extension writes for the old token is part of the extension's event. Rows
 * imported from TIM 2.0 (revoked_by `import:tim2`, imported_from set) are
 * counted by the import run's `tokens.import_tim2` event.
 */
export type FoldResult = { folded: number; batches: number; foldedTo: string };

const WATERMARK = "token_changes";
/** Serialises fold runs across connections and instances (the chain lock in record.ts is a different one). */
const FOLD_LOCK = 72_541_331_941;
const BATCH = 500;
/**
 * Some denylist rows carry the application's clock (Prisma fills `now()`
 * defaults), not the database's: this much skew between them is allowed for.
 */
export const FOLD_CLOCK_MARGIN_MS = 1_000;

/** How long before a change its own audit event may be dated (transaction time, clock skew). */
const AUDITED_WITHIN_MINUTES = 10;

/** Sessions ended by their owner (lib/tara/logout.ts, app/me/actions.ts). */
const LOGOUT_REASONS = ["logout", "ended_by_user"];

type Change = {
  kind: TokenKind;
  change: "revoke" | "extend";
  jwt_uuid: string | null;
  new_jwt_uuid: string | null;
  /** Microsecond-exact UTC text: the watermark must not lose precision through a JS Date. */
  ts: string;
  reason: string | null;
  revoked_by: string | null;
  /** The request and the caller's address, where the denylist row kept them (migration 20261208100000). */
  request_id: string | null;
  source_address: string | null;
};

const utcText = (expr: Prisma.Sql) => Prisma.sql`to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

function revocations(kind: TokenKind, from: string, to: string): Prisma.Sql {
  const m = KINDS[kind].sql.metadata;
  return Prisma.sql`
    SELECT ${kind}::text AS kind, 'revoke'::text AS change, d.jwt_uuid::text AS jwt_uuid, NULL::text AS new_jwt_uuid,
           d.denylisted_at AS ts, d.reason, d.revoked_by, d.request_id, host(d.source_address) AS source_address
      FROM ${KINDS[kind].sql.denylist} d
     WHERE d.denylisted_at >= ${from}::timestamptz AND d.denylisted_at < ${to}::timestamptz
       AND coalesce(d.revoked_by, '') NOT LIKE 'admin:%'
       -- imported from TIM 2.0 (revoked there, at TIM 2.0's time): the import run's own event counts them
       AND coalesce(d.revoked_by, '') NOT LIKE 'import:%'
       AND NOT EXISTS (SELECT 1 FROM ${m} o JOIN ${m} n ON n.supersedes = o.id WHERE o.jwt_uuid = d.jwt_uuid)
       AND d.jwt_uuid::text NOT IN (
         -- Named by a revocation event already: bulk API revocations write theirs in the same transaction (a few
         -- moments after the rows' time); one hashed scan of the recent events, not a lookup per row.
         -- target.revoked names the ones a bulk request revoked itself; the fold's own tokens.revoke events have no
         -- such key, so a long fold does not re-read what it wrote in every batch.
         SELECT jsonb_array_elements_text(a.target -> 'revoked') FROM tim.audit a
          WHERE a.action = 'tokens.revoke' AND a.target ? 'revoked'
            AND a.at >= ${from}::timestamptz - ${AUDITED_WITHIN_MINUTES} * interval '1 minute')`;
}

function extensions(kind: TokenKind, from: string, to: string): Prisma.Sql {
  const m = KINDS[kind].sql.metadata;
  // LEFT JOINs: an old version archived meanwhile still leaves the extension audited.
  return Prisma.sql`
    SELECT ${kind}::text, 'extend'::text, o.jwt_uuid::text, n.jwt_uuid::text, n.created_at, dl.reason, dl.revoked_by,
           dl.request_id, host(dl.source_address)
      FROM ${m} n
      LEFT JOIN ${m} o ON o.id = n.supersedes
      LEFT JOIN ${KINDS[kind].sql.denylist} dl ON dl.jwt_uuid = o.jwt_uuid
     WHERE n.supersedes IS NOT NULL AND n.created_at >= ${from}::timestamptz AND n.created_at < ${to}::timestamptz
       -- an extension TIM 2.0 made, imported: the import run's own event counts it
       AND n.imported_from IS NULL`;
}

/** Changes with from <= time < to, oldest first. */
async function changesBetween(tx: Prisma.TransactionClient, from: string, to: string): Promise<Change[]> {
  return tx.$queryRaw<Change[]>`
    SELECT c.kind, c.change, c.jwt_uuid, c.new_jwt_uuid, ${utcText(Prisma.sql`c.ts`)} AS ts, c.reason, c.revoked_by,
           c.request_id, c.source_address
      FROM (${revocations("custom", from, to)} UNION ALL ${revocations("tara", from, to)}
            UNION ALL ${extensions("custom", from, to)} UNION ALL ${extensions("tara", from, to)}) c
     ORDER BY c.ts, c.kind, c.change, c.jwt_uuid`;
}

/**
 * Where a batch starting at `from` ends (exclusive): before the BATCH+1st
 * candidate row in time order, counted on the time indexes alone (cheap, so a
 * backlog is not filtered whole for every batch); null when all rows up to
 * `to` fit. Rows sharing one instant stay in one batch.
 */
async function batchEnd(tx: Prisma.TransactionClient, from: string, to: string): Promise<string | null> {
  const times = (table: Prisma.Sql, column: Prisma.Sql, extra: Prisma.Sql) => Prisma.sql`
    (SELECT ${column} AS ts FROM ${table} WHERE ${column} >= ${from}::timestamptz AND ${column} < ${to}::timestamptz ${extra}
      ORDER BY ${column} LIMIT ${BATCH + 1})`;
  const extension = Prisma.sql`AND supersedes IS NOT NULL`;
  const [row] = await tx.$queryRaw<{ end: string }[]>`
    SELECT ${utcText(Prisma.sql`CASE WHEN t.ts > ${from}::timestamptz THEN t.ts ELSE t.ts + interval '1 microsecond' END`)} AS end
      FROM (${times(KINDS.custom.sql.denylist, Prisma.sql`denylisted_at`, Prisma.empty)}
            UNION ALL ${times(KINDS.tara.sql.denylist, Prisma.sql`denylisted_at`, Prisma.empty)}
            UNION ALL ${times(KINDS.custom.sql.metadata, Prisma.sql`created_at`, extension)}
            UNION ALL ${times(KINDS.tara.sql.metadata, Prisma.sql`created_at`, extension)}) t
     ORDER BY t.ts OFFSET ${BATCH} LIMIT 1`;
  return row?.end ?? null;
}

/**
 * The time before which every change has committed: rows are stamped with
 * their transaction's start, so none older than the oldest transaction still
 * open can appear later. Read in its own statement, before the changes are.
 */
async function horizon(tx: Prisma.TransactionClient): Promise<string> {
  const [row] = await tx.$queryRaw<[{ h: string }]>`
    SELECT ${utcText(Prisma.sql`(least(clock_timestamp(), min(a.xact_start)) - ${FOLD_CLOCK_MARGIN_MS} * interval '1 millisecond')`)} AS h
      FROM pg_stat_activity a
     WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
       AND a.backend_type = 'client backend' AND a.xact_start IS NOT NULL`;
  return row.h;
}

function toEvent(c: Change): AuditEvent {
  const at = new Date(c.ts);
  const actor = { ...revokedByActor(c.revoked_by), ...(c.source_address ? { address: c.source_address } : {}) };
  const requestId = c.request_id;
  if (c.change === "extend") {
    return {
      actor,
      action: "tokens.extend",
      target: { kind: c.kind, jwt_uuids: [c.jwt_uuid, c.new_jwt_uuid].filter((u): u is string => u !== null), extended: c.jwt_uuid, successor: c.new_jwt_uuid },
      counts: { extended: 1 },
      requestId,
      at,
    };
  }
  const logout = c.kind === "tara" && c.reason !== null && LOGOUT_REASONS.includes(c.reason);
  return {
    actor,
    action: logout ? "tara.logout" : "tokens.revoke",
    target: { kind: c.kind, jwt_uuids: [c.jwt_uuid!] },
    reason: c.reason,
    counts: { revoked: 1 },
    requestId,
    at,
  };
}

/** One batch in one transaction: its events and the advanced watermark commit together. */
async function foldBatch(tx: Prisma.TransactionClient): Promise<{ folded: number; foldedTo: string; more: boolean }> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${FOLD_LOCK}::bigint)`;
  const [mark] = await tx.$queryRaw<[{ folded_to: string }]>`
    SELECT ${utcText(Prisma.sql`folded_to`)} AS folded_to FROM tim.audit_fold_watermark WHERE name = ${WATERMARK} FOR UPDATE`;
  const from = mark.folded_to;
  let to = await horizon(tx);
  if (to <= from) return { folded: 0, foldedTo: from, more: false };

  const end = await batchEnd(tx, from, to);
  if (end !== null) to = end;
  const changes = await changesBetween(tx, from, to);
  if (changes.length) await recordAudit(tx, changes.map(toEvent));
  await tx.$executeRaw`
    UPDATE tim.audit_fold_watermark SET folded_to = ${to}::timestamptz, updated_at = now() WHERE name = ${WATERMARK}`;
  return { folded: changes.length, foldedTo: to, more: end !== null };
}

/** Folds every change up to now (minus the clock margin), a batch per transaction. */
export async function foldTokenChanges(): Promise<FoldResult> {
  const prisma = await db();
  let folded = 0;
  let batches = 0;
  for (;;) {
    const batch = await prisma.$transaction((tx) => foldBatch(tx), { timeout: 60_000 });
    folded += batch.folded;
    batches++;
    if (!batch.more) return { folded, batches, foldedTo: batch.foldedTo };
  }
}

/**
 * Every minute: single revocations and extensions through the token API and
 * TARA logouts (hot paths that write no audit row) become audit events.
 * A retry starts again from the durable watermark.
 */
export const auditFoldJob = defineJob({
  id: "audit-fold",
  name: "Audit: fold token-API changes into the trail",
  trigger: { cron: "* * * * *" },
  concurrency: 1,
  retries: 3,
  handler: async ({ step }) => step.run("fold", () => foldTokenChanges()),
});
