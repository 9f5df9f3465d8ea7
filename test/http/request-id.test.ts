import { expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { useApi } from "@/test/support/use-api";
import { call, unique } from "@/test/tokens/helpers";

/** The request id route() reads once reaches the audit trail: the caller's, or the fresh one it answers with. */
const api = useApi();

async function revokeOne(headers: Record<string, string>) {
  const issued = await call(`${api.server.url}/jwt/custom/generate`, {
    auth: api.client.basic,
    json: { content: { sub: unique("rid") }, expirationInMinutes: 10 },
  });
  expect(issued.status).toBe(200);
  const res = await call(`${api.server.url}/jwt/custom/revoke/bulk`, { auth: api.client.basic, json: { tokens: [issued.body.token] }, headers });
  expect(res.status).toBe(200);
  const answered = res.headers.get("x-request-id")!;
  const audit = await (await db()).audit.findMany({ where: { requestId: answered, action: "tokens.revoke" } });
  return { answered, audit };
}

test("the caller's x-request-id is echoed and recorded on the audit row", async () => {
  const given = unique("req-bulk");
  const { answered, audit } = await revokeOne({ "x-request-id": given });
  expect(answered).toBe(given);
  expect(audit).toHaveLength(1);
});

test("without one (or with an insane one) the fresh id answered is the one recorded, never null", async () => {
  const variants: Record<string, string>[] = [{}, { "x-request-id": "spaces are not allowed" }];
  for (const headers of variants) {
    const { answered, audit } = await revokeOne(headers);
    expect(answered).toMatch(/^[0-9a-f-]{36}$/);
    expect(audit).toHaveLength(1);
  }
});
