import { expect, test } from "vitest";
import { useApi } from "@/test/support/use-api";

const api = useApi();

test("GET /api/inngest lists every function with its trigger and batch settings", async () => {
  const res = await fetch(`${api.server.url}/api/inngest`);
  expect(res.status).toBe(200);
  const body = await res.json();
  expect(body.mode).toBe("in-process");
  const byId = Object.fromEntries(body.functions.map((f: { id: string }) => [f.id, f]));
  expect(Object.keys(byId).sort()).toEqual([
    "archive-purge",
    "audit-fold",
    "large-export",
    "mass-revocation",
    "persist-metadata",
    "read-audit",
    "retention",
    "ssf-push",
    "stats-rollup",
    "token-usage",
  ]);
  expect(body.function_count).toBe(10);
  expect(byId["token-usage"]).toMatchObject({
    triggers: [{ event: "tim/token.used" }],
    batch_events: { max_size: 20, timeout_ms: 2_000 },
  });
  expect(byId["read-audit"]).toMatchObject({
    triggers: [{ event: "tim/token.read" }],
    batch_events: { max_size: 500, timeout_ms: 2_000 },
  });
  expect(byId["persist-metadata"]).toMatchObject({
    triggers: [{ event: "tim/metadata.persist" }],
    batch_events: { max_size: 500, timeout_ms: 1_000 },
  });
  expect(byId.retention).toMatchObject({
    triggers: [{ event: "tim/retention.requested" }, { cron: "0 3 * * *" }],
    batch_events: null,
  });
  expect(byId["archive-purge"]).toMatchObject({ triggers: [{ cron: "30 4 * * *" }], batch_events: null });
  expect(byId["audit-fold"]).toMatchObject({ triggers: [{ cron: "* * * * *" }], batch_events: null });
  expect(byId["stats-rollup"]).toMatchObject({ triggers: [{ cron: "15 1 * * *" }], batch_events: null });
  expect(byId["ssf-push"]).toMatchObject({ triggers: [{ cron: "* * * * *" }], batch_events: null });
  expect(byId["large-export"].triggers).toEqual([{ event: "tim/export.requested" }]);
  expect(byId["mass-revocation"].triggers).toEqual([{ event: "tim/revocation.requested" }]);
});

test("POST and PUT /api/inngest are refused in the embedded mode: nothing outside may run functions", async () => {
  for (const method of ["POST", "PUT"]) {
    const res = await fetch(`${api.server.url}/api/inngest?fnId=retention&stepId=step`, { method, body: "{}" });
    expect(res.status).toBe(409);
    const body = await res.json();
    expect(body.error).toBe("jobs_in_process");
    expect(JSON.stringify(body)).not.toMatch(/stack|at .*\.ts/);
  }
});
