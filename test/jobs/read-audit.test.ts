import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { recordTokenRead } from "@/lib/jobs/record-token-read";
import type { JobRunnerHandle } from "@/lib/jobs/start";
import { startTestRunner, waitFor } from "@/test/jobs/support";

// Read outcomes land in the hash-chained trail (tim.audit); each test's rows carry its own request id.
let runner: JobRunnerHandle;
beforeAll(async () => {
  process.env.TIM_AUDIT_READS = "true";
  resetConfig();
  runner = await startTestRunner();
});
afterAll(async () => {
  await runner.stop();
  delete process.env.TIM_AUDIT_READS;
  resetConfig();
});

const rowsFor = async (requestId: string) =>
  (await db()).$queryRawUnsafe<Array<{ actor: string; action: string; jwt_uuid: string | null; result: string }>>(
    `SELECT actor_id AS actor, action, target->>'jwt_uuid' AS jwt_uuid, target->>'result' AS result
       FROM tim.audit WHERE request_id = $1 ORDER BY at, seq`,
    requestId,
  );

test("one read outcome is written to the audit trail", async () => {
  const requestId = `req-${randomUUID()}`;
  const jwtUuid = randomUUID();
  recordTokenRead({
    endpoint: "validate",
    actor: "client-a",
    actorKind: "api_client",
    tokenType: "custom",
    jwtUuid,
    result: "valid",
    requestId,
  });
  const rows = await waitFor(async () => {
    const r = await rowsFor(requestId);
    return r.length > 0 && r;
  });
  expect(rows).toEqual([{ actor: "client-a", action: "token.validate", jwt_uuid: jwtUuid, result: "valid" }]);
});

test("many read outcomes are written in one batch, each once", async () => {
  const requestId = `req-${randomUUID()}`;
  for (let i = 0; i < 40; i++) {
    recordTokenRead({
      endpoint: i % 2 ? "introspect" : "validate",
      actor: null,
      actorKind: "anonymous",
      tokenType: null,
      jwtUuid: null,
      result: i % 3 ? "invalid" : "revoked",
      requestId,
      at: new Date(Date.now() + i),
    });
  }
  const rows = await waitFor(async () => {
    const r = await rowsFor(requestId);
    return r.length >= 40 && r;
  });
  expect(rows).toHaveLength(40);
  expect(rows.filter((r) => r.action === "token.introspect")).toHaveLength(20);
  expect(rows.every((r) => r.actor === "anonymous")).toBe(true);
});

test("nothing is emitted when TIM_AUDIT_READS is off", async () => {
  process.env.TIM_AUDIT_READS = "false";
  resetConfig();
  try {
    const requestId = `req-${randomUUID()}`;
    recordTokenRead({ endpoint: "validate", actor: "x", actorKind: "api_client", tokenType: null, jwtUuid: null, result: "valid", requestId });
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await rowsFor(requestId)).toHaveLength(0);
  } finally {
    process.env.TIM_AUDIT_READS = "true";
    resetConfig();
  }
});
