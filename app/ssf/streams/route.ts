import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { oauthIssuer } from "@/lib/oauth/issuer";
import { createStream } from "@/lib/ssf/create-stream";
import { deleteStream } from "@/lib/ssf/delete-stream";
import { listStreams, readStream } from "@/lib/ssf/read-streams";
import { streamConfigurationResponse } from "@/lib/ssf/responses";
import { createStreamBody, requiredStreamQuery, streamConfiguration, streamQuery, updateStreamBody } from "@/lib/ssf/stream";
import { updateStream } from "@/lib/ssf/update-stream";

export const dynamic = "force-dynamic";

/** SSF 1.0 §8.1.1 stream management, for API clients with ssf:receive; each sees only its own streams. */
export const POST = route(
  {
    auth: "ssf:receive",
    body: createStreamBody,
    errors: ["unsupported_delivery_method", "invalid_push_endpoint"],
    responses: { 201: streamConfigurationResponse },
    example: { delivery: { method: "urn:ietf:rfc:8936" }, description: "gateway" },
  },
  async ({ req, caller, body }) => json(streamConfiguration(await createStream(caller, body), oauthIssuer(req)), 201),
);

export const GET = route(
  { auth: "ssf:receive", query: streamQuery, errors: ["not_found"], responses: { 200: streamConfigurationResponse.or(streamConfigurationResponse.array()) } },
  async ({ req, caller, query }) => {
    const origin = oauthIssuer(req);
    if (query.stream_id) return json(streamConfiguration(await readStream(caller, query.stream_id), origin));
    return json((await listStreams(caller)).map((s) => streamConfiguration(s, origin)));
  },
);

export const PATCH = route(
  {
    auth: "ssf:receive",
    body: updateStreamBody,
    errors: ["not_found", "unsupported_delivery_method", "invalid_push_endpoint"],
    responses: { 200: streamConfigurationResponse },
  },
  async ({ req, caller, body }) => json(streamConfiguration(await updateStream(caller, body), oauthIssuer(req))),
);

export const DELETE = route(
  { auth: "ssf:receive", query: requiredStreamQuery, errors: ["not_found"], responses: { 204: { description: "The stream is deleted" } } },
  async ({ caller, query }) => {
    await deleteStream(caller, query.stream_id);
    return new Response(null, { status: 204 });
  },
);
