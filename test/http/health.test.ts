import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestServer, type TestServer } from "@/test/support/http";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.close());

test("GET /api/health reports the database, migrations and job mode", async () => {
  const res = await fetch(`${server.url}/api/health`);
  expect(res.status).toBe(200);
  const body = await res.json();
  expect(body.status).toBe("ok");
  expect(body.database).toBe(process.env.DATABASE_URL ? "postgres" : "pglite");
  expect(body.migrations_applied).toBeGreaterThanOrEqual(1);
  expect(body.job_mode).toBe("in-process");
});
