import { afterAll, beforeAll, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import type { JobRunnerHandle } from "@/lib/jobs/start";
import { startTestRunner, usageOf, waitFor } from "@/test/jobs/support";
import { useApi } from "@/test/support/use-api";
import { call, claimsOf, unique } from "@/test/tokens/helpers";

const api = useApi();
let runner: JobRunnerHandle;
const url = api.url;

beforeAll(async () => {
  runner = await startTestRunner();
});
afterAll(async () => {
  await runner.stop();
});

async function issue(sub: string): Promise<string> {
  const res = await call(url("/jwt/custom/generate"), {
    json: { JWTName: "USAGE", content: { sub }, expirationInMinutes: 30 },
    auth: api.client.basic,
  });
  expect(res.status).toBe(200);
  return res.body.token as string;
}

test("accepted validations and introspections update use_count and last_used_at; refused ones do not", async () => {
  const token = await issue(unique("usage"));
  const revoked = await issue(unique("usage-revoked"));
  const jti = claimsOf(token).jti as string;
  const revokedJti = claimsOf(revoked).jti as string;
  expect((await call(url("/jwt/custom/revoke"), { json: { token: revoked }, auth: api.client.basic })).status).toBe(200);

  const before = new Date();
  for (let i = 0; i < 3; i++) expect((await call(url("/jwt/custom/validate"), { json: { token }, auth: api.client.basic })).status).toBe(200);
  expect((await call(url("/jwt/custom/validate/boolean"), { json: { token }, auth: api.client.basic })).text).toBe("true");
  expect((await call(url("/introspect"), { form: { token }, auth: api.client.basic })).body.active).toBe(true);
  expect((await call(url("/jwt/custom/validate"), { json: { token: revoked }, auth: api.client.basic })).status).toBe(401);
  expect((await call(url("/introspect"), { form: { token: revoked }, auth: api.client.basic })).body.active).toBe(false);

  const row = await waitFor(async () => {
    const r = await usageOf("custom", jti);
    return r.useCount === 5 && r;
  });
  expect(row.lastUsedAt!.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1_000);
  const refused = await usageOf("custom", revokedJti);
  expect(refused.useCount).toBe(0);
  expect(refused.lastUsedAt).toBeNull();
});

test("TIM_METADATA_WRITE_MODE=async: the token is issued and its metadata row appears through the job", async () => {
  process.env.TIM_METADATA_WRITE_MODE = "async";
  resetConfig();
  try {
    const sub = unique("async");
    const token = await issue(sub);
    const jti = claimsOf(token).jti as string;
    const prisma = await db();
    const row = await waitFor(() => prisma.customJwtMetadata.findUnique({ where: { jwtUuid: jti } }).then((r) => r ?? undefined));
    expect(row).toMatchObject({ subject: sub, jwtName: "USAGE", clientId: api.client.clientId, originalJwtUuid: jti, tokenType: "custom_jwt" });
    expect((await call(url("/jwt/custom/validate"), { json: { token }, auth: api.client.basic })).status).toBe(200);
  } finally {
    delete process.env.TIM_METADATA_WRITE_MODE;
    resetConfig();
  }
});
