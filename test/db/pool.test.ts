import { describe, expect, test } from "vitest";
import { db } from "@/lib/db/client";

describe.runIf(process.env.DATABASE_URL)("PostgreSQL pool connections", () => {
  test("come with JIT off, on every connection the pool opens, before their first caller's query", async () => {
    const prisma = await db();
    // Concurrent queries make the pool open several connections; each answers from its own session.
    const settings = await Promise.all(
      Array.from({ length: 6 }, () =>
        prisma.$queryRawUnsafe<Array<{ jit: string; pid: number }>>("SELECT current_setting('jit') AS jit, pg_backend_pid() AS pid FROM pg_sleep(0.05)"),
      ),
    );
    expect(new Set(settings.map((r) => r[0].pid)).size).toBeGreaterThan(1);
    expect(settings.map((r) => r[0].jit)).toEqual(settings.map(() => "off"));
  });
});
