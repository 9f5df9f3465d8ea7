import { afterAll, beforeAll } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { closeDb } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";

// Without DATABASE_URL every test file runs on a fresh in-memory PGlite.
if (!process.env.DATABASE_URL) process.env.TIM_PGLITE_DIR = "memory://";
// Every test file calls from 127.0.0.1, and on PostgreSQL they share one database and so the
// shared limiter rows: the brute-force and per-address limits are out of reach unless a test
// (test/ratelimit) sets its own.
process.env.TIM_AUTH_FAILURES_PER_ADDRESS ??= "1000000";
process.env.TIM_AUTH_FAILURES_PER_CLIENT ??= "1000000";
process.env.TIM_ADDRESS_RATE_LIMIT_PER_MINUTE ??= "100000000";
resetConfig();

beforeAll(async () => {
  if (!process.env.DATABASE_URL) await migrate();
});

afterAll(async () => {
  await closeDb();
});
