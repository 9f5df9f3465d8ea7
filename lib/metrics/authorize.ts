import type { ApiRequest } from "@/lib/http/handler";
import { createHash, timingSafeEqual } from "node:crypto";
import { config } from "@/lib/config/env";
import { bearerCredential } from "@/lib/http/cookies";
import { TimError } from "@/lib/http/errors";

const digest = (s: string) => createHash("sha256").update(s).digest();

/** GET /api/metrics needs `Authorization: Bearer <TIM_METRICS_TOKEN>`; without the variable the endpoint does not exist. */
export function authorizeMetrics(req: ApiRequest): void {
  const expected = config().TIM_METRICS_TOKEN;
  if (!expected) throw new TimError("not_found", "Metrics are disabled; set TIM_METRICS_TOKEN to enable them.");
  const presented = bearerCredential(req) ?? "";
  if (!timingSafeEqual(digest(presented), digest(expected))) {
    throw new TimError("unauthorized", "A valid metrics bearer token is required.", {}, { "www-authenticate": 'Bearer realm="TIM metrics"' });
  }
}
