import { route } from "@/lib/http/route";
import { requestVerification, verifyStreamBody } from "@/lib/ssf/verify-stream";

export const dynamic = "force-dynamic";

/** SSF 1.0 §8.1.4.2: ask for a verification event on one's own stream (delivered by the next poll). */
export const POST = route(
  { auth: "ssf:receive", body: verifyStreamBody, errors: ["not_found"], responses: { 204: { description: "The verification event is queued" } } },
  async ({ caller, body }) => {
    await requestVerification(caller, body);
    return new Response(null, { status: 204 });
  },
);
