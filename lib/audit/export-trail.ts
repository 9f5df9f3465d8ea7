import { z } from "zod";
import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { db } from "@/lib/db/client";
import type { Audit } from "@/lib/generated/prisma/client";
import { badRequest } from "@/lib/http/errors";
import { protocolMessageJson } from "@/lib/tara/protocol-log";

const BATCH = 1_000;
const empty = (v: unknown) => (v === "" ? undefined : v);
const instant = z.preprocess(
  empty,
  z.iso
    .date()
    .or(z.iso.datetime({ offset: true }))
    .optional(),
);

/** `?from&to&protocol_log=1|0` of an audit-trail export: dates (whole UTC days) or instants; both ends optional. */
export const auditExportQuerySchema = z
  .object({
    from: instant,
    to: instant,
    /** TARA's protocol log (TARA spec §5.3) in the same period; on unless `0`. */
    protocol_log: z.preprocess(empty, z.enum(["0", "1"]).default("1")).transform((v) => v === "1"),
  })
  .transform(({ from, to, protocol_log }) => ({
    from: from === undefined ? undefined : /^\d{4}-\d{2}-\d{2}$/.test(from) ? new Date(`${from}T00:00:00Z`) : new Date(from),
    to: to === undefined ? undefined : /^\d{4}-\d{2}-\d{2}$/.test(to) ? new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000 - 1) : new Date(to),
    protocolLog: protocol_log,
  }));
export type AuditExportQuery = z.infer<typeof auditExportQuerySchema>;

/** One exported audit row: the content its hash covers, as canonicalContent names it, with its place in the chain. */
export function exportedAuditLine(r: Audit) {
  return {
    record: "audit" as const,
    seq: r.seq.toString(),
    id: r.id,
    at: r.at.toISOString(),
    actor_type: r.actorType,
    actor_id: r.actorId,
    action: r.action,
    target: r.target,
    reason: r.reason,
    counts: r.counts,
    request_id: r.requestId,
    source_address: r.sourceAddress,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

/**
 * The audit trail of a period as JSON Lines, for auditors: a header line
 * (`record: "export"`), every audit row in seq order with its hashes (so
 * `npm run audit:verify -- --file` re-checks the chain away from TIM; a
 * period is the stretch of the chain from the first entry at or after `from`
 * to the last at or before `to`, whose first `prev_hash` is the previous
 * period's last `hash`), then,
 * unless left out, TARA's protocol log of the same period (each login's
 * authentication request, redirect request and token response, ID tokens
 * included: personal data). The export is itself audited (`audit.export`,
 * with what it holds) before the first byte, and reaches up to and including
 * that entry; rows written later are not in it. Batches are read only as fast
 * as the reader consumes them.
 */
export async function auditTrailExportResponse(query: AuditExportQuery, actor: AuditActor, requestId: string): Promise<Response> {
  if (query.from && query.to && query.from > query.to) throw badRequest("from must not be after to.");
  const prisma = await db();
  const at = new Date();
  const period = { gte: query.from, lte: query.to && query.to < at ? query.to : at };
  const recorded = await prisma.$transaction(async (tx) => {
    const protocolMessages = query.protocolLog ? await tx.taraProtocolLog.count({ where: { at: period } }) : 0;
    const [entry] = await recordAudit(tx, {
      actor,
      action: "audit.export",
      target: { from: query.from?.toISOString() ?? null, to: query.to?.toISOString() ?? null, protocol_log: query.protocolLog },
      counts: { protocol_messages: protocolMessages },
      requestId,
      at,
    });
    return entry;
  });
  const { seq: ownSeq } = await prisma.audit.findUniqueOrThrow({ where: { id: recorded.id }, select: { seq: true } });
  // A period is a stretch of the chain, not a filter on `at`: folded entries are dated when their change happened,
  // so filtering by time would cut holes into the chain that a verifier could not tell from removed rows.
  const first = query.from ? await prisma.audit.findFirst({ where: { at: { gte: query.from } }, orderBy: { seq: "asc" }, select: { seq: true } }) : undefined;
  const last =
    query.to && query.to < at
      ? await prisma.audit.findFirst({ where: { at: { lte: query.to }, seq: { lte: ownSeq } }, orderBy: { seq: "desc" }, select: { seq: true } })
      : { seq: ownSeq };
  const seqRange = { gte: first === undefined ? undefined : (first?.seq ?? ownSeq + 1n), lte: last?.seq ?? 0n };
  const header = {
    record: "export",
    format: "tim-audit-trail/1",
    exported_at: at.toISOString(),
    from: query.from?.toISOString() ?? null,
    to: period.lte.toISOString(),
    first_seq: seqRange.gte?.toString() ?? null,
    through_seq: seqRange.lte.toString(),
    protocol_log: query.protocolLog,
  };
  const auditWhere = { seq: seqRange };
  const protocolWhere = { at: period };
  const encoder = new TextEncoder();
  const lines = (rows: unknown[]) => encoder.encode(rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
  let stage: "header" | "audit" | "protocol" = "header";
  let afterSeq: bigint | undefined;
  let afterProtocol: { at: Date; id: string } | undefined;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (stage === "header") {
          controller.enqueue(lines([header]));
          stage = "audit";
          return;
        }
        if (stage === "audit") {
          const rows = await prisma.audit.findMany({
            where: afterSeq === undefined ? auditWhere : { seq: { gt: afterSeq, lte: seqRange.lte } },
            orderBy: { seq: "asc" },
            take: BATCH,
          });
          if (rows.length) controller.enqueue(lines(rows.map(exportedAuditLine)));
          afterSeq = rows.at(-1)?.seq;
          if (rows.length < BATCH) stage = "protocol";
          if (rows.length < BATCH && !query.protocolLog) controller.close();
          return;
        }
        const rows = await prisma.taraProtocolLog.findMany({
          where: afterProtocol
            ? { ...protocolWhere, OR: [{ at: { gt: afterProtocol.at } }, { at: afterProtocol.at, id: { gt: afterProtocol.id } }] }
            : protocolWhere,
          orderBy: [{ at: "asc" }, { id: "asc" }],
          take: BATCH,
        });
        if (rows.length) controller.enqueue(lines(rows.map((r) => ({ record: "tara_protocol", ...protocolMessageJson(r) }))));
        const last = rows.at(-1);
        afterProtocol = last && { at: last.at, id: last.id };
        if (rows.length < BATCH) controller.close();
      },
    },
    { highWaterMark: 0 },
  );
  const stamp = at.toISOString().replace(/[:.]/g, "-");
  return new Response(stream, {
    headers: {
      "content-type": "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="tim-audit-trail-${stamp}.jsonl"`,
      "cache-control": "no-store",
    },
  });
}
