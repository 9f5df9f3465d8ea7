import { afterAll, beforeAll } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { closeDb } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";

// Without DATABASE_URL every test file runs on a fresh in-memory PGlite.
if (!process.env.DATABASE_URL) process.env.TIM_PGLITE_DIR = "memory://";
resetConfig();

beforeAll(async () => {
  if (!process.env.DATABASE_URL) await migrate();
});

afterAll(async () => {
  await closeDb();
});
