import { config } from "@/lib/config/env";
import { Prisma, type SsfStream } from "@/lib/generated/prisma/client";
import { eventNamesOf, type OutboxEvent } from "@/lib/ssf/events";
import { HORIZON } from "@/lib/ssf/horizon";

/** A stream's cursor and acknowledgements, shared by poll (lib/ssf/poll.ts) and push (lib/ssf/push.ts) delivery. */

export type Tx = Prisma.TransactionClient;

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
export async function acknowledge(tx: Tx, s: SsfStream, seqs: bigint[]): Promise<void> {
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

/** Up to `max` events still owed to a stream, oldest first. */
export const owedEvents = (tx: Tx, s: SsfStream, max: number) => tx.$queryRaw<OutboxEvent[]>`
  SELECT e.seq, e.xid, e.event, e.jwt_uuid::text AS jwt_uuid, e.session_id, e.reason, e.revoked_at, e.token_expires_at, e.stream_id::text AS stream_id, e.state
    FROM tim.ssf_events e WHERE ${pendingWhere(s)} ORDER BY e.xid, e.seq LIMIT ${max}`;

/**
 * Whether events past a stream's cursor wait behind the delivery horizon: written by a transaction younger than
 * one still open (or still open itself). A delivery run that found nothing may find them a moment later.
 */
export async function heldBack(tx: Tx, s: SsfStream): Promise<boolean> {
  const [row] = await tx.$queryRaw<{ held: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM tim.ssf_events e WHERE (e.xid, e.seq) > (${s.cursorXid}, ${s.cursorSeq}) AND e.xid >= ${HORIZON}) AS held`;
  return row.held;
}
