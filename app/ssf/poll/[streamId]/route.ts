import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { pollBody, pollStream } from "@/lib/ssf/poll";
import { pollResponse } from "@/lib/ssf/responses";
import { streamIdSchema } from "@/lib/ssf/stream";
import { badRequest } from "@/lib/http/errors";

export const dynamic = "force-dynamic";

/** RFC 8936 poll delivery of a stream's Security Event Tokens: acknowledge, then fetch what is still owed. */
export const POST = route(
  {
    auth: "ssf:receive",
    body: { schema: pollBody, emptyAs: {} },
    errors: ["not_found"],
    responses: { 200: pollResponse },
    example: { maxEvents: 100, returnImmediately: true, ack: [] },
  },
  async ({ caller, params, body }) => {
    const streamId = streamIdSchema.safeParse(params.streamId);
    if (!streamId.success) throw badRequest("The poll path must name a stream's id (a UUID).");
    return json(await pollStream(caller, streamId.data, body));
  },
);
