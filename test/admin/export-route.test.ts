import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestServer, type TestServer } from "@/test/support/http";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.close());

test("the console's export download needs an administrator's web session", async () => {
  const anonymous = await fetch(`${server.url}/admin/tokens/export?format=csv`);
  expect(anonymous.status).toBe(401);
  expect((await anonymous.json()).error).toBe("unauthorized");
  const forged = await fetch(`${server.url}/admin/tokens/export?format=csv`, { headers: { cookie: "next-auth.session-token=not-a-session" } });
  expect(forged.status).toBe(401);
  // API client credentials are no web session either.
  const basic = await fetch(`${server.url}/admin/tokens/export?format=csv`, { headers: { authorization: `Basic ${Buffer.from("e2e-client:x").toString("base64")}` } });
  expect(basic.status).toBe(401);
});
