import { z } from "zod";

/** The answers of the health endpoints, for the OpenAPI document (see lib/tokens/responses.ts). */

/** TIM's health vocabulary, answered by every health endpoint (lib/health/check.ts HealthStatus). */
export const healthStatus = z.enum(["ok", "unavailable"]);

const health = {
  version: z.string(),
  database: z.enum(["postgres", "pglite"]),
  database_reachable: z.boolean(),
  migrations_applied: z.int().nullable(),
  keys: z
    .object({
      active_kid: z.string().nullable(),
      alg: z.string().nullable(),
      active_since: z.string().nullable(),
      active_age_seconds: z.int().nullable(),
      next_kid: z.string().nullable(),
      next_rotation_at: z.string().nullable().meta({ description: "When the scheduled next key starts signing; null when no rotation is scheduled." }),
    })
    .nullable()
    .meta({ description: "The signing keys (null when the database cannot be read)." }),
  job_mode: z.string(),
  job_backlog: z
    .object({ waiting: z.int(), oldest_age_seconds: z.int() })
    .nullable()
    .meta({ description: "Events waiting in the in-process job queue; null under Inngest or when the database cannot be read." }),
  checked_at: z.string(),
};

/** GET /api/health: 200 ok, 503 unavailable. */
export const healthResponse = z.object({ status: healthStatus, ...health }).meta({
  examples: [
    {
      status: "ok",
      version: "3.0.0",
      database: "pglite",
      database_reachable: true,
      migrations_applied: 21,
      keys: {
        active_kid: "D4Y8KqR5IFvXSdXVLAj2DsJM1HFy7rhrI15YDU8nU6I",
        alg: "RS256",
        active_since: "2026-11-03T09:12:44.120Z",
        active_age_seconds: 2632945,
        next_kid: null,
        next_rotation_at: null,
      },
      job_mode: "in-process",
      job_backlog: { waiting: 0, oldest_age_seconds: 0 },
      checked_at: "2026-12-03T14:35:09.529Z",
    },
  ],
});

/** GET /health: TIM 2.0's (Spring's) UP/DOWN, with TIM's own health beside it. */
export const springHealthResponse = z.object({ status: z.enum(["UP", "DOWN"]), tim_status: healthStatus, ...health });
