import { z } from "zod";

/** The answers of the health endpoints, for the OpenAPI document (see lib/tokens/responses.ts). */

const health = {
  database: z.enum(["postgres", "pglite"]),
  database_reachable: z.boolean(),
  migrations_applied: z.int().nullable(),
  job_mode: z.string(),
  checked_at: z.string(),
};

/** GET /api/health: 200 ok, 503 unavailable. */
export const healthResponse = z.object({ status: z.enum(["ok", "unavailable"]), ...health }).meta({
  examples: [{ status: "ok", database: "pglite", database_reachable: true, migrations_applied: 19, job_mode: "in-process", checked_at: "2026-12-03T14:35:09.529Z" }],
});

/** GET /health: TIM 2.0's (Spring's) UP/DOWN, with TIM's own health beside it. */
export const springHealthResponse = z.object({ status: z.enum(["UP", "DOWN"]), tim_status: z.enum(["ok", "unavailable"]), ...health });
