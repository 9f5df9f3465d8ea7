import { z } from "zod";
import type { ApiCaller } from "@/lib/clients/scopes";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { Prisma, type SsfStream } from "@/lib/generated/prisma/client";
import { eventNamesOf, type OutboxEvent } from "@/lib/ssf/events";
import { HORIZON } from "@/lib/ssf/horizon";
import { seqOfJti, setJti, signSet } from "@/lib/ssf/set";
import { ownStream } from "@/lib/ssf/stream";

/** At most this many SETs per poll answer, whatever maxEvents asks (bounds the answer and the signing). */
export const MAX_EVENTS_PER_POLL = 1000;
const DEFAULT_EVENTS_PER_POLL = 100;

/** RFC 8936 §2.2–2.4: a poll request. `setErrs` reports SETs the receiver could not use: they count as delivered. */
export const pollBody = z.object({
  maxEvents: z.number().int().min(0).optional(),
  returnImmediately: z.boolean().optional(),
  ack: z.array(z.string().max(200)).max(MAX_EVENTS_PER_POLL * 10).optional(),
  setErrs: z.record(z.string().max(200), z.object({ err: z.string().max(200), description: z.string().max(2000).optional() })).optional(),
});
export type PollRequest = z.infer<typeof pollBody>;
export type PollAnswer = { sets: Record<string, string>; moreAvailable: boolean };

type Tx = Prisma.TransactionClient;

/**
 * The events still owed to a stream: past its cursor, of a transaction older than the delivery
 * horizon, a revocation of a type it asked for or a verification event of its own, younger than
 * the retention limit, not acknowledged.
 */
function pendingWhere(s: SsfStream) {
  const cutoff = new Date(Date.now() - config().TIM_SSF_EVENT_RETENTION_HOURS * 3_600_000);
  return Prisma.sql`(e.xid, e.seq) > (${s.cursorXid}, ${s.cursorSeq}) AND e.xid < ${HORIZON}
    AND (e.stream_id = ${s.streamId}::uuid OR (e.stream_id IS NULL AND e.event = ANY(${eventNamesOf(s.eventsRequested)}::text[])))
    AND e.revoked_at > ${cutoff}
    AND NOT EXISTS (SELECT 1 FROM tim.ssf_acks a WHERE a.stream_id = ${s.streamId}::uuid AND a.seq = e.seq)`;
}

/** Records acknowledgements past the cursor, then moves the cursor up to the first event still owed. */
async function acknowledge(tx: Tx, s: SsfStream, seqs: bigint[]): Promise<void> {
  if (seqs.length > 0) {
    await tx.$executeRaw`
      INSERT INTO tim.ssf_acks (stream_id, seq)
      SELECT ${s.streamId}::uuid, e.seq FROM tim.ssf_events e
       WHERE e.seq = ANY(${seqs}::bigint[]) AND (e.xid, e.seq) > (${s.cursorXid}, ${s.cursorSeq})
      ON CONFLICT DO NOTHING`;
  }
  const [to] = await tx.$queryRaw<{ xid: bigint; seq: bigint }[]>`
    WITH owed AS (SELECT e.xid, e.seq FROM tim.ssf_events e WHERE ${pendingWhere(s)} ORDER BY e.xid, e.seq LIMIT 1)
    SELECT e.xid, e.seq FROM tim.ssf_events e
     WHERE (e.xid, e.seq) > (${s.cursorXid}, ${s.cursorSeq}) AND e.xid < ${HORIZON}
       AND (NOT EXISTS (SELECT 1 FROM owed) OR (e.xid, e.seq) < (SELECT o.xid, o.seq FROM owed o))
     ORDER BY e.xid DESC, e.seq DESC LIMIT 1`;
  if (!to) return;
  await tx.$executeRaw`UPDATE tim.ssf_streams SET cursor_xid = ${to.xid}, cursor_seq = ${to.seq} WHERE stream_id = ${s.streamId}::uuid`;
  // Acknowledgements are kept only for events still past the cursor (not passed, not purged).
  await tx.$executeRaw`DELETE FROM tim.ssf_acks a WHERE a.stream_id = ${s.streamId}::uuid AND NOT EXISTS (
    SELECT 1 FROM tim.ssf_events e WHERE e.seq = a.seq AND (e.xid, e.seq) > (${to.xid}, ${to.seq}))`;
  s.cursorXid = to.xid;
  s.cursorSeq = to.seq;
}

async function lockStream(tx: Tx, streamId: string, caller: ApiCaller): Promise<SsfStream> {
  await tx.$executeRaw`SELECT 1 FROM tim.ssf_streams WHERE stream_id = ${streamId}::uuid FOR UPDATE`;
  return ownStream(await tx.ssfStream.findUnique({ where: { streamId } }), caller);
}

/**
 * RFC 8936 poll: acknowledges what the receiver names (`ack`, `setErrs`), then answers up to
 * `maxEvents` events still owed, oldest first, each a SET signed for this stream. Unacknowledged
 * events come again on the next poll, from any TIM instance (all state is in the database; the
 * stream's row lock orders concurrent polls of one stream). A paused or disabled stream answers none.
 * Long polling is not offered yet: every poll returns immediately.
 */
export async function pollStream(caller: ApiCaller, streamId: string, req: PollRequest): Promise<PollAnswer> {
  const prisma = await db();
  const acked = [...(req.ack ?? []), ...Object.keys(req.setErrs ?? {})]
    .map((jti) => seqOfJti(streamId, jti))
    .filter((seq): seq is bigint => seq !== undefined);
  const max = Math.min(req.maxEvents ?? DEFAULT_EVENTS_PER_POLL, MAX_EVENTS_PER_POLL);
  const { stream, owed } = await prisma.$transaction(async (tx) => {
    const s = await lockStream(tx, streamId, caller);
    await acknowledge(tx, s, acked);
    if (s.status !== "enabled" || max === 0) return { stream: s, owed: [] as OutboxEvent[] };
    const rows = await tx.$queryRaw<OutboxEvent[]>`
      SELECT e.seq, e.xid, e.event, e.jwt_uuid::text AS jwt_uuid, e.session_id, e.reason, e.revoked_at, e.stream_id::text AS stream_id, e.state
        FROM tim.ssf_events e WHERE ${pendingWhere(s)} ORDER BY e.xid, e.seq LIMIT ${max + 1}`;
    return { stream: s, owed: rows };
  });
  const sets: Record<string, string> = {};
  for (const e of owed.slice(0, max)) sets[setJti(stream.streamId, e.seq)] = await signSet(stream.streamId, stream.audience, e);
  return { sets, moreAvailable: owed.length > max };
}
