import { z } from "zod";
import type { ApiCaller } from "@/lib/clients/scopes";
import { db } from "@/lib/db/client";
import { storableString } from "@/lib/db/storable";
import { readStream } from "@/lib/ssf/read-streams";
import { streamIdSchema } from "@/lib/ssf/stream";

export const verifyStreamBody = z.object({ stream_id: streamIdSchema, state: storableString.max(500).optional() });

/**
 * SSF 1.0 §8.1.4.2: queues a verification event on the caller's stream; the receiver finds it in
 * its next poll, with the `state` it sent, and so knows the stream works end to end.
 */
export async function requestVerification(caller: ApiCaller, input: z.infer<typeof verifyStreamBody>): Promise<void> {
  await readStream(caller, input.stream_id);
  const prisma = await db();
  await prisma.$executeRaw`
    INSERT INTO tim.ssf_events (event, stream_id, state, revoked_at) VALUES ('verification', ${input.stream_id}::uuid, ${input.state ?? null}, now())`;
}
