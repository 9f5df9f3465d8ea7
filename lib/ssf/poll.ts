import { z } from "zod";
import type { ApiCaller } from "@/lib/clients/scopes";
import { db } from "@/lib/db/client";
import type { SsfStream } from "@/lib/generated/prisma/client";
import type { OutboxEvent } from "@/lib/ssf/events";
import { acknowledge, owedEvents, type Tx } from "@/lib/ssf/owed";
import { seqOfJti, setJti, signSet } from "@/lib/ssf/set";
import { ownStream } from "@/lib/ssf/stream";

/** At most this many SETs per poll answer, whatever maxEvents asks (bounds the answer and the signing). */
export const MAX_EVENTS_PER_POLL = 1000;
const DEFAULT_EVENTS_PER_POLL = 100;

/** RFC 8936 §2.2–2.4: a poll request. `setErrs` reports SETs the receiver could not use: they count as delivered. */
export const pollBody = z.object({
  maxEvents: z.number().int().min(0).optional(),
  returnImmediately: z.boolean().optional(),
  ack: z
    .array(z.string().max(200))
    .max(MAX_EVENTS_PER_POLL * 10)
    .optional(),
  setErrs: z.record(z.string().max(200), z.object({ err: z.string().max(200), description: z.string().max(2000).optional() })).optional(),
});
export type PollRequest = z.infer<typeof pollBody>;
export type PollAnswer = { sets: Record<string, string>; moreAvailable: boolean };

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
  const acked = [...(req.ack ?? []), ...Object.keys(req.setErrs ?? {})].map((jti) => seqOfJti(streamId, jti)).filter((seq): seq is bigint => seq !== undefined);
  const max = Math.min(req.maxEvents ?? DEFAULT_EVENTS_PER_POLL, MAX_EVENTS_PER_POLL);
  const { stream, owed } = await prisma.$transaction(async (tx) => {
    const s = await lockStream(tx, streamId, caller);
    await acknowledge(tx, s, acked);
    if (s.status !== "enabled" || max === 0) return { stream: s, owed: [] as OutboxEvent[] };
    return { stream: s, owed: await owedEvents(tx, s, max + 1) };
  });
  const sets: Record<string, string> = {};
  for (const e of owed.slice(0, max)) sets[setJti(stream.streamId, e.seq)] = await signSet(stream.streamId, stream.audience, e);
  return { sets, moreAvailable: owed.length > max };
}
