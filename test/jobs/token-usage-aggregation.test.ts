import { randomUUID } from "node:crypto";
import { expect, test } from "vitest";
import { MAX_USES_PER_EVENT } from "@/lib/jobs/events";
import { db } from "@/lib/db/client";
import { drainEvents } from "@/lib/jobs/send";
import { flushTokenUse, recordTokenUse } from "@/lib/jobs/record-token-use";

// No runner in this file: what recordTokenUse hands over stays in the queue table to be read here.
// On a shared PostgreSQL database another file's runner may take the events first, so this runs on PGlite.
test.skipIf(!!process.env.DATABASE_URL)("uses are counted per token in process and delivered as events of at most 1,000 tokens", async () => {
  const often = randomUUID();
  const distinct = Array.from({ length: MAX_USES_PER_EVENT + 500 }, () => randomUUID());
  const first = new Date(Date.now() - 5_000);
  const last = new Date(Date.now() - 1_000);
  recordTokenUse("tara", often, last);
  recordTokenUse("tara", often, first);
  recordTokenUse("tara", often, first);
  for (const jti of distinct) recordTokenUse("custom", jti);
  flushTokenUse();
  await drainEvents();

  const rows = await (await db()).$queryRaw<Array<{ uses: Array<{ token_type: string; jwt_uuid: string; count: number; last_used_at: string }> }>>`
      SELECT event->'data'->'uses' AS uses FROM tim.job_queue WHERE function_id = 'token-usage' ORDER BY id`;
  const uses = rows.flatMap((r) => r.uses);
  expect(rows.map((r) => r.uses.length)).toEqual([MAX_USES_PER_EVENT, 501]);
  expect(new Set(uses.map((u) => u.jwt_uuid)).size).toBe(distinct.length + 1);
  expect(uses.find((u) => u.jwt_uuid === often)).toEqual({
    token_type: "tara",
    jwt_uuid: often,
    count: 3,
    last_used_at: last.toISOString(),
  });
  expect(uses.filter((u) => u.token_type === "custom").every((u) => u.count === 1)).toBe(true);
});
