import { serve } from "inngest/next";
import { config } from "@/lib/config/env";
import { TimError } from "@/lib/http/errors";
import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { inngest } from "@/lib/jobs/inngest/client";
import { inngestFunctions } from "@/lib/jobs/inngest/functions";
import { jobs } from "@/lib/jobs/registry";
import { describeFunction, functionListing } from "@/lib/jobs/runner/functions";

type RouteFn = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

/** The functions and their triggers (cron or event, batch settings), as GET /api/inngest shows them. */
export function listJobFunctions() {
  return jobs.map((job) => functionListing(describeFunction(job)));
}

/**
 * /api/inngest. With Inngest configured, the SDK's serve handler (Inngest
 * syncs with PUT, runs steps with POST, both signed). In the embedded mode
 * nothing external may run functions here: GET lists them, POST/PUT refuse.
 */
export function inngestEndpoint(): { GET: RouteFn; POST: RouteFn; PUT: RouteFn } {
  const mode = config().jobMode;
  if (mode !== "in-process") {
    // A fixed origin and signed syncs only: an unsigned PUT with a foreign Host registers nothing.
    const { INNGEST_SERVE_ORIGIN, INNGEST_ENABLE_UNAUTHED_SYNC } = config();
    const sdk = serve({
      client: inngest,
      functions: inngestFunctions,
      serveOrigin: INNGEST_SERVE_ORIGIN,
      enableUnauthedSync: INNGEST_ENABLE_UNAUTHED_SYNC,
    }) as unknown as Record<"GET" | "POST" | "PUT", RouteFn>;
    return { GET: sdk.GET, POST: sdk.POST, PUT: sdk.PUT };
  }
  const refuse = route({ auth: "public" }, async () => {
    throw new TimError("jobs_in_process", "Background jobs run inside TIM (no Inngest configured); this endpoint only lists them.");
  });
  const list = route({ auth: "public" }, async () => json({ mode, app_id: inngest.id, function_count: jobs.length, functions: listJobFunctions() }));
  return { GET: list, POST: refuse, PUT: refuse };
}
