import type { z } from "zod";
import type { ApiCaller } from "@/lib/clients/scopes";
import { db } from "@/lib/db/client";
import type { SsfStream } from "@/lib/generated/prisma/client";
import { readStream } from "@/lib/ssf/read-streams";
import { pushStreamsChanged, sealAuthorization } from "@/lib/ssf/push";
import { deliveryOf, type updateStreamBody } from "@/lib/ssf/stream";

/**
 * SSF 1.0 §8.1.1.3 (PATCH): changes the receiver-supplied fields it names. Events already
 * waiting stay; an event type no longer requested is not delivered from now on.
 */
export async function updateStream(caller: ApiCaller, input: z.infer<typeof updateStreamBody>): Promise<SsfStream> {
  await readStream(caller, input.stream_id);
  const delivery = input.delivery && (await deliveryOf(input.delivery));
  const prisma = await db();
  const updated = await prisma.ssfStream.update({
    where: { streamId: input.stream_id },
    data: {
      // A new delivery starts afresh: no retry pending, no error left from the old endpoint.
      ...(delivery
        ? {
            deliveryMethod: delivery.deliveryMethod,
            endpointUrl: delivery.endpointUrl,
            ...(await sealAuthorization(delivery.authorization)),
            pushAttempts: 0,
            nextAttemptAt: null,
            lastError: null,
          }
        : {}),
      ...(input.events_requested ? { eventsRequested: input.events_requested } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      updatedAt: new Date(),
    },
  });
  pushStreamsChanged();
  return updated;
}
