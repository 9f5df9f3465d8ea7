import { handler } from "@/lib/http/handler";
import { authorizeMetrics } from "@/lib/metrics/authorize";
import { metricsRegistry } from "@/lib/metrics/registry";

export const dynamic = "force-dynamic";

/** GET /api/metrics: Prometheus text format (query durations, process metrics). */
export const GET = handler(async (req) => {
  authorizeMetrics(req);
  const registry = metricsRegistry();
  return new Response(await registry.metrics(), {
    headers: { "content-type": registry.contentType, "cache-control": "no-store" },
  });
});
