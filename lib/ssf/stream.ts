import { z } from "zod";
import type { ApiCaller } from "@/lib/clients/scopes";
import { config } from "@/lib/config/env";
import type { SsfStream } from "@/lib/generated/prisma/client";
import { TimError, notFound } from "@/lib/http/errors";
import { storableString } from "@/lib/db/storable";
import { EVENTS_SUPPORTED, SSF_EVENTS, eventNamesOf } from "@/lib/ssf/events";
import { resolvePushEndpoint } from "@/lib/ssf/push-endpoint";

/** RFC 8936 poll (the receiver fetches from TIM) and RFC 8935 push (TIM POSTs to the receiver, lib/ssf/push.ts). */
export const POLL_METHOD = "urn:ietf:rfc:8936";
export const PUSH_METHOD = "urn:ietf:rfc:8935";
export const DELIVERY_METHODS_SUPPORTED = [POLL_METHOD, PUSH_METHOD];

/** Which streams a caller owns: its client id (TIM_API_AUTH=off: the one anonymous caller). */
export const streamOwner = (caller: ApiCaller): string => caller.clientId ?? "anonymous";

export const streamIdSchema = z.uuid("stream_id must be a stream's id (a UUID)");

/** What a receiver may set on its stream (SSF 1.0 §8.1.1's receiver-supplied fields; the rest are ignored). */
const receiverFields = {
  delivery: z
    .object({
      method: z.string().min(1).max(200),
      endpoint_url: z.string().max(2000).optional(),
      // Push: the Authorization header value the receiver wants on TIM's POSTs; stored sealed, never answered.
      authorization_header: z.string().min(1).max(4000).optional(),
    })
    .optional(),
  events_requested: z.array(z.string().min(1).max(500)).max(50).optional(),
  description: storableString.max(500).nullable().optional(),
};
export const createStreamBody = z.object(receiverFields);
export const updateStreamBody = z.object({ stream_id: streamIdSchema, ...receiverFields });
export const streamQuery = z.object({ stream_id: streamIdSchema.optional() });
export const requiredStreamQuery = z.object({ stream_id: streamIdSchema });

export type Delivery = { method: string; endpoint_url?: string; authorization_header?: string };
export type StoredDelivery = { deliveryMethod: string; endpointUrl: string | null; authorization: string | null };

/** The delivery a receiver asks for, checked: poll (TIM's endpoint), or push to an endpoint that passes resolvePushEndpoint. */
export async function deliveryOf(delivery: Delivery | undefined): Promise<StoredDelivery> {
  const method = delivery?.method ?? POLL_METHOD;
  if (method === POLL_METHOD) return { deliveryMethod: method, endpointUrl: null, authorization: null };
  if (method !== PUSH_METHOD)
    throw new TimError("unsupported_delivery_method", `Unknown delivery method; TIM supports ${DELIVERY_METHODS_SUPPORTED.join(" and ")}.`);
  if (!delivery?.endpoint_url) throw new TimError("invalid_push_endpoint", "Push delivery needs the receiver's endpoint_url.");
  const { url } = await resolvePushEndpoint(delivery.endpoint_url);
  return { deliveryMethod: method, endpointUrl: url.href, authorization: delivery.authorization_header ?? null };
}

/** A stream's configuration as SSF 1.0 §8.1.1 describes it; `origin`: where this TIM answers (the poll endpoint). The push authorization header is never part of it. */
export function streamConfiguration(s: SsfStream, origin: string) {
  return {
    stream_id: s.streamId,
    iss: config().TIM_ISSUER,
    aud: s.audience,
    events_supported: EVENTS_SUPPORTED,
    events_requested: s.eventsRequested,
    events_delivered: eventNamesOf(s.eventsRequested).map((name) => SSF_EVENTS[name]),
    delivery: { method: s.deliveryMethod, endpoint_url: s.endpointUrl ?? pollEndpoint(origin, s.streamId) },
    description: s.description,
  };
}
export type StreamConfiguration = ReturnType<typeof streamConfiguration>;

export const pollEndpoint = (origin: string, streamId: string) => `${origin}/ssf/poll/${streamId}`;

/** The caller's stream, or 404: another client's stream is answered as one that does not exist. */
export function ownStream(stream: SsfStream | null, caller: ApiCaller): SsfStream {
  if (!stream || stream.clientId !== streamOwner(caller)) throw notFound("No stream of this client has this stream_id.");
  return stream;
}
