import { z } from "zod";
import type { ApiCaller } from "@/lib/clients/scopes";
import { db } from "@/lib/db/client";
import { storableString } from "@/lib/db/storable";
import type { SsfStream } from "@/lib/generated/prisma/client";
import { HORIZON } from "@/lib/ssf/horizon";
import { pushStreamsChanged } from "@/lib/ssf/push";
import { readStream } from "@/lib/ssf/read-streams";
import { setJti } from "@/lib/ssf/set";
import { PUSH_METHOD, streamIdSchema } from "@/lib/ssf/stream";

/**
 * SSF 1.0 §8.1.2 stream status: `enabled` delivers; `paused` holds events (a poll answers none
 * until enabled again, nothing is lost); `disabled` keeps none: enabling it again starts at the
 * delivery horizon, as a new stream would.
 */
export const STREAM_STATUSES = ["enabled", "paused", "disabled"] as const;
export const updateStatusBody = z.object({
  stream_id: streamIdSchema,
  status: z.enum(STREAM_STATUSES),
  reason: storableString.max(500).optional(),
});

/** The status, and for a push stream its delivery: retries pending, the last error, the events the receiver refused (newest 20). */
export async function statusOf(s: SsfStream) {
  const base = { stream_id: s.streamId, status: s.status, ...(s.statusReason ? { reason: s.statusReason } : {}) };
  if (s.deliveryMethod !== PUSH_METHOD) return base;
  const prisma = await db();
  const failed = await prisma.ssfPushFailure.findMany({ where: { streamId: s.streamId }, orderBy: { failedAt: "desc" }, take: 20 });
  return {
    ...base,
    push: {
      attempts: s.pushAttempts,
      next_attempt_at: s.nextAttemptAt?.toISOString() ?? null,
      last_error: s.lastError,
      failed_events: failed.map((f) => ({ jti: setJti(s.streamId, f.seq), err: f.err, description: f.description, failed_at: f.failedAt.toISOString() })),
    },
  };
}

export async function updateStreamStatus(caller: ApiCaller, input: z.infer<typeof updateStatusBody>): Promise<SsfStream> {
  const before = await readStream(caller, input.stream_id);
  const prisma = await db();
  const updated = await prisma.$transaction(async (tx) => {
    if (before.status === "disabled" && input.status !== "disabled") {
      await tx.$executeRaw`UPDATE tim.ssf_streams SET cursor_xid = ${HORIZON} - 1, cursor_seq = 9223372036854775807 WHERE stream_id = ${input.stream_id}::uuid`;
      await tx.ssfAck.deleteMany({ where: { streamId: input.stream_id } });
    }
    return tx.ssfStream.update({
      where: { streamId: input.stream_id },
      data: { status: input.status, statusReason: input.reason ?? null, updatedAt: new Date() },
    });
  });
  pushStreamsChanged();
  return updated;
}
