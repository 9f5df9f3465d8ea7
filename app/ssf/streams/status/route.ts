import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { readStream } from "@/lib/ssf/read-streams";
import { streamStatusResponse } from "@/lib/ssf/responses";
import { requiredStreamQuery } from "@/lib/ssf/stream";
import { statusOf, updateStatusBody, updateStreamStatus } from "@/lib/ssf/stream-status";

export const dynamic = "force-dynamic";

/** SSF 1.0 §8.1.2: a stream's status, read and changed by its receiver. */
export const GET = route(
  { auth: "ssf:receive", query: requiredStreamQuery, errors: ["not_found"], responses: { 200: streamStatusResponse } },
  async ({ caller, query }) => json(await statusOf(await readStream(caller, query.stream_id))),
);

export const POST = route(
  { auth: "ssf:receive", body: updateStatusBody, errors: ["not_found"], responses: { 200: streamStatusResponse } },
  async ({ caller, body }) => json(await statusOf(await updateStreamStatus(caller, body))),
);
