import { route } from "@/lib/http/route";
import { metricsRegistry } from "@/lib/metrics/registry";

export const dynamic = "force-dynamic";

/** GET /api/metrics: Prometheus text format (query durations, process metrics). */
export const GET = route(
  { auth: "metrics", responses: { 200: { description: "Prometheus metrics (text exposition format)", content: { "text/plain": null } } } },
  async () => {
    const registry = metricsRegistry();
    return new Response(await registry.metrics(), {
      headers: { "content-type": registry.contentType, "cache-control": "no-store" },
    });
  },
);
