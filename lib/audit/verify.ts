import { db } from "@/lib/db/client";
import type { PrismaClient, Prisma } from "@/lib/generated/prisma/client";
import { GENESIS_HASH, chainHash, type AuditContent } from "@/lib/audit/event";

export type ChainBreak = {
  /** seq and id of the first row whose link does not hold. */
  seq: string;
  id: string;
  /** altered: its content no longer gives its hash; link: its prev_hash is not the previous row's hash (a row before it was removed, inserted or reordered). */
  kind: "altered" | "link";
  message: string;
};

export type ChainVerification =
  | { ok: true; rows: number; lastSeq: string | null; lastHash: string; checkedAt: Date }
  | { ok: false; rows: number; brokenAt: ChainBreak; checkedAt: Date };

const BATCH = 2_000;

type ChainRow = AuditContent & { seq: string; prevHash: string; hash: string };

/** Whether `row` follows a row whose hash is `expectedPrev` and still has its own hash; the break if not. */
function brokenLink(expectedPrev: string, row: ChainRow, first: boolean): ChainBreak | undefined {
  const at = { seq: row.seq, id: row.id };
  if (row.prevHash !== expectedPrev) {
    return {
      ...at,
      kind: "link",
      message: first
        ? `Audit row ${at.seq} should be the first of the chain but follows another row: earlier rows were removed.`
        : `Audit row ${at.seq} does not follow the row before it: a row was removed, inserted or reordered before it.`,
    };
  }
  if (chainHash(row.prevHash, row) !== row.hash) {
    return { ...at, kind: "altered", message: `Audit row ${at.seq} was altered after it was written.` };
  }
  return undefined;
}

export type ExportVerification = ChainVerification & { firstPrevHash: string | null; protocolMessages: number };

/**
 * Re-checks an audit-trail export (lib/audit/export-trail.ts, JSON Lines)
 * without TIM's database: every row's hash and every link. An export of the
 * whole trail starts at the genesis hash; a period's export starts from the
 * `prev_hash` of its first row, reported so it can be compared with the
 * previous period's last hash.
 */
export async function verifyExportedTrail(lines: AsyncIterable<string>): Promise<ExportVerification> {
  let whole: boolean | undefined;
  let expectedPrev: string | undefined;
  let firstPrevHash: string | null = null;
  let rows = 0;
  let protocolMessages = 0;
  let lastSeq: string | null = null;
  for await (const line of lines) {
    if (!line.trim()) continue;
    const record = JSON.parse(line) as Record<string, unknown>;
    if (record.record === "export") whole = record.first_seq === null;
    if (record.record === "tara_protocol") protocolMessages++;
    if (record.record !== "audit") continue;
    if (whole === undefined) throw new Error("not a TIM audit-trail export: the first line is not its header");
    const row: ChainRow = {
      seq: String(record.seq),
      id: String(record.id),
      at: new Date(String(record.at)),
      actorType: String(record.actor_type),
      actorId: String(record.actor_id),
      action: String(record.action),
      target: record.target,
      reason: (record.reason as string | null) ?? null,
      counts: record.counts,
      requestId: (record.request_id as string | null) ?? null,
      sourceAddress: (record.source_address as string | null) ?? null,
      prevHash: String(record.prev_hash),
      hash: String(record.hash),
    };
    if (expectedPrev === undefined) {
      firstPrevHash = row.prevHash;
      expectedPrev = whole ? GENESIS_HASH : row.prevHash;
    }
    const broken = brokenLink(expectedPrev, row, rows === 0);
    if (broken) return { ok: false, rows, brokenAt: broken, checkedAt: new Date(), firstPrevHash, protocolMessages };
    expectedPrev = row.hash;
    lastSeq = row.seq;
    rows++;
  }
  if (whole === undefined) throw new Error("not a TIM audit-trail export: it has no header line");
  return { ok: true, rows, lastSeq, lastHash: expectedPrev ?? GENESIS_HASH, checkedAt: new Date(), firstPrevHash, protocolMessages };
}

/**
 * Walks the audit trail in seq order (keyset batches, flat memory) and
 * recomputes every link. Returns the first broken link, if any.
 */
export async function verifyAuditChain(client?: PrismaClient | Prisma.TransactionClient): Promise<ChainVerification> {
  const prisma = client ?? (await db());
  let expectedPrev = GENESIS_HASH;
  let after: bigint | undefined;
  let rows = 0;
  let lastSeq: string | null = null;
  for (;;) {
    const batch = await prisma.audit.findMany({
      where: after === undefined ? undefined : { seq: { gt: after } },
      orderBy: { seq: "asc" },
      take: BATCH,
    });
    for (const row of batch) {
      const broken = brokenLink(expectedPrev, { ...row, seq: row.seq.toString() }, rows === 0);
      if (broken) return { ok: false, rows, checkedAt: new Date(), brokenAt: broken };
      expectedPrev = row.hash;
      lastSeq = row.seq.toString();
      rows++;
    }
    if (batch.length < BATCH) break;
    after = batch[batch.length - 1].seq;
  }
  return { ok: true, rows, lastSeq, lastHash: expectedPrev, checkedAt: new Date() };
}
