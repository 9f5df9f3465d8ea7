import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { defineJob } from "@/lib/jobs/define";
import { JobRunner } from "@/lib/jobs/runner/runner";
import { waitFor } from "@/test/jobs/support";

// A cron function of the test's own, run by the in-process runner on a
// one-second schedule; each run writes a row through a step.
const table = `tim_test_cron_${randomUUID().replace(/-/g, "")}`;
const ticker = defineJob({
  id: `test-ticker-${randomUUID()}`,
  name: "test ticker",
  trigger: { cron: "* * * * * *" },
  retries: 0,
  handler: async ({ event, step }) =>
    step.run("record-tick", async () =>
      (await db()).$executeRawUnsafe(
        `INSERT INTO public.${table} (event, cron, ts) VALUES ($1, $2, $3)`,
        event.name,
        event.data.cron,
        new Date(event.ts ?? Date.now()),
      ),
    ),
});

beforeAll(async () => {
  await (await db()).$executeRawUnsafe(`CREATE TABLE public.${table} (event text, cron text, ts timestamptz)`);
});
afterAll(async () => {
  await (await db()).$executeRawUnsafe(`DROP TABLE public.${table}`);
});

test("cron triggers fire on their schedule and run the function's steps", async () => {
  const runner = new JobRunner([ticker], { pollMs: 200 });
  await runner.start();
  let rows: Array<{ event: string; cron: string; ts: Date }>;
  try {
    rows = await waitFor(async () => {
      const r = await (await db()).$queryRawUnsafe<Array<{ event: string; cron: string; ts: Date }>>(`SELECT event, cron, ts FROM public.${table} ORDER BY ts`);
      return r.length >= 2 && r;
    }, 10_000);
  } finally {
    await runner.stop();
  }
  expect(rows[0]).toMatchObject({ event: "inngest/scheduled.timer", cron: "* * * * * *" });
  // scheduled on whole seconds, one second apart
  expect(rows[0].ts.getMilliseconds()).toBe(0);
  expect(rows[1].ts.getTime() - rows[0].ts.getTime()).toBe(1_000);
});
