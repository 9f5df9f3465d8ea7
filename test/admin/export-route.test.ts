import { expect, test } from "vitest";
import { useApi } from "@/test/support/use-api";

const api = useApi();

test("the console's export download needs an administrator's web session", async () => {
  const anonymous = await fetch(`${api.server.url}/admin/tokens/export?format=csv`);
  expect(anonymous.status).toBe(401);
  expect((await anonymous.json()).error).toBe("unauthorized");
  const forged = await fetch(`${api.server.url}/admin/tokens/export?format=csv`, { headers: { cookie: "next-auth.session-token=not-a-session" } });
  expect(forged.status).toBe(401);
  // API client credentials are no web session either.
  const basic = await fetch(`${api.server.url}/admin/tokens/export?format=csv`, {
    headers: { authorization: `Basic ${Buffer.from("e2e-client:x").toString("base64")}` },
  });
  expect(basic.status).toBe(401);
});
