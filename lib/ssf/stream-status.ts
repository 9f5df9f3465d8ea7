import { z } from "zod";
import type { ApiCaller } from "@/lib/clients/scopes";
import { db } from "@/lib/db/client";
import { storableString } from "@/lib/db/storable";
import type { SsfStream } from "@/lib/generated/prisma/client";
import { HORIZON } from "@/lib/ssf/horizon";
import { readStream } from "@/lib/ssf/read-streams";
import { streamIdSchema } from "@/lib/ssf/stream";

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

export const statusOf = (s: SsfStream) => ({ stream_id: s.streamId, status: s.status, ...(s.statusReason ? { reason: s.statusReason } : {}) });

export async function updateStreamStatus(caller: ApiCaller, input: z.infer<typeof updateStatusBody>): Promise<SsfStream> {
  const before = await readStream(caller, input.stream_id);
  const prisma = await db();
  return prisma.$transaction(async (tx) => {
    if (before.status === "disabled" && input.status !== "disabled") {
      await tx.$executeRaw`UPDATE tim.ssf_streams SET cursor_xid = ${HORIZON} - 1, cursor_seq = 9223372036854775807 WHERE stream_id = ${input.stream_id}::uuid`;
      await tx.ssfAck.deleteMany({ where: { streamId: input.stream_id } });
    }
    return tx.ssfStream.update({
      where: { streamId: input.stream_id },
      data: { status: input.status, statusReason: input.reason ?? null, updatedAt: new Date() },
    });
  });
}
