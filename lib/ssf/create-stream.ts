import type { z } from "zod";
import type { ApiCaller } from "@/lib/clients/scopes";
import { db } from "@/lib/db/client";
import type { SsfStream } from "@/lib/generated/prisma/client";
import { EVENTS_SUPPORTED } from "@/lib/ssf/events";
import { HORIZON } from "@/lib/ssf/horizon";
import { pushStreamsChanged, sealAuthorization } from "@/lib/ssf/push";
import { deliveryOf, streamOwner, type createStreamBody } from "@/lib/ssf/stream";

/**
 * SSF 1.0 §8.1.1.1: a new stream for the calling receiver. Its audience is the client's id; it
 * asks for every event type TIM transmits unless it names some. It receives the revocations
 * that commit from now on (its cursor starts at the delivery horizon).
 */
export async function createStream(caller: ApiCaller, input: z.infer<typeof createStreamBody>): Promise<SsfStream> {
  const delivery = await deliveryOf(input.delivery);
  const auth = await sealAuthorization(delivery.authorization);
  const owner = streamOwner(caller);
  const prisma = await db();
  const [row] = await prisma.$queryRaw<SsfStream[]>`
    INSERT INTO tim.ssf_streams (client_id, audience, events_requested, delivery_method, endpoint_url, push_authorization, push_authorization_encrypted,
                                 description, cursor_xid, cursor_seq)
    VALUES (${owner}, ${owner}, ${input.events_requested ?? EVENTS_SUPPORTED}::text[], ${delivery.deliveryMethod}, ${delivery.endpointUrl},
            ${auth.pushAuthorization}, ${auth.pushAuthorizationEncrypted}, ${input.description ?? null}, ${HORIZON} - 1, 9223372036854775807)
    RETURNING stream_id AS "streamId"`;
  pushStreamsChanged();
  return prisma.ssfStream.findUniqueOrThrow({ where: { streamId: row.streamId } });
}
