import { db } from "@/lib/db/client";
import type { PrismaClient, Prisma } from "@/lib/generated/prisma/client";
import { GENESIS_HASH, chainHash } from "@/lib/audit/event";

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

/**
 * Walks the audit trail in seq order (keyset batches, flat memory) and
 * recomputes every link. Returns the first broken link, if any.
 */
export async function verifyAuditChain(
  client?: PrismaClient | Prisma.TransactionClient,
): Promise<ChainVerification> {
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
      const at = { seq: row.seq.toString(), id: row.id };
      if (row.prevHash !== expectedPrev) {
        return {
          ok: false,
          rows,
          checkedAt: new Date(),
          brokenAt: {
            ...at,
            kind: "link",
            message:
              rows === 0
                ? `Audit row ${at.seq} should be the first of the chain but follows another row: earlier rows were removed.`
                : `Audit row ${at.seq} does not follow the row before it: a row was removed, inserted or reordered before it.`,
          },
        };
      }
      if (chainHash(row.prevHash, row) !== row.hash) {
        return {
          ok: false,
          rows,
          checkedAt: new Date(),
          brokenAt: { ...at, kind: "altered", message: `Audit row ${at.seq} was altered after it was written.` },
        };
      }
      expectedPrev = row.hash;
      lastSeq = at.seq;
      rows++;
    }
    if (batch.length < BATCH) break;
    after = batch[batch.length - 1].seq;
  }
  return { ok: true, rows, lastSeq, lastHash: expectedPrev, checkedAt: new Date() };
}
