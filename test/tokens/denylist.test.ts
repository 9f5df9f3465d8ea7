import { beforeAll, expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { LISTENER_NAME, denylistIsLive, ensureListening } from "@/lib/tokens/denylist-set";
import { waitFor } from "@/test/jobs/support";
import { useApi } from "@/test/support/use-api";
import { call, claimsOf, unique } from "@/test/tokens/helpers";

const api = useApi();
const url = api.url;

beforeAll(async () => {
  ensureListening();
  await waitFor(async () => denylistIsLive());
});

async function issue(): Promise<{ token: string; jti: string }> {
  const res = await call(url("/jwt/custom/generate"), {
    json: { JWTName: "DENY", content: { sub: unique("deny") }, expirationInMinutes: 30 },
    auth: api.client.basic,
  });
  expect(res.status).toBe(200);
  return { token: res.body.token as string, jti: claimsOf(res.body.token).jti as string };
}

const validate = (token: string) => call(url("/jwt/custom/validate"), { json: { token }, auth: api.client.basic });
const introspect = async (token: string) => (await call(url("/introspect"), { form: { token }, auth: api.client.basic })).body;

/** A denylist row written past TIM's revocation code, as another instance or a console job would. */
async function denyElsewhere(jti: string): Promise<void> {
  await (await db()).customDenylist.create({ data: { jwtUuid: jti, expiresAt: new Date(Date.now() + 1_800_000), reason: "elsewhere" } });
}

test("a revocation written by any path reaches the in-process denylist (at once on PGlite, by notification on PostgreSQL)", async () => {
  const { token, jti } = await issue();
  expect((await validate(token)).status).toBe(200);
  expect((await introspect(token)).active).toBe(true);
  await denyElsewhere(jti);
  // Introspection checks revocation as validation does: refused at once, notification or not.
  expect(await introspect(token)).toEqual({ active: false });
  if (!process.env.DATABASE_URL) {
    expect((await validate(token)).body.reason).toBe("Token revoked");
  } else {
    await waitFor(async () => (await validate(token)).status === 401);
  }
  expect(denylistIsLive()).toBe(true);
  expect((await validate(token)).body.reason).toBe("Token revoked");
});

test("a revocation through the API is refused by the next validation on the same instance", async () => {
  for (let i = 0; i < 5; i++) {
    const { token } = await issue();
    expect((await call(url("/jwt/custom/revoke"), { json: { token }, auth: api.client.basic })).status).toBe(200);
    expect((await validate(token)).body.reason).toBe("Token revoked");
    expect(await introspect(token)).toEqual({ active: false });
  }
});

test.runIf(process.env.DATABASE_URL)("listener dropped: checks fall back to the database (fail closed), then the set reloads", async () => {
  const { token, jti } = await issue();
  const prisma = await db();
  const terminated = await prisma.$queryRaw<Array<{ ok: boolean }>>`
    SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
     WHERE application_name = ${LISTENER_NAME} AND datname = current_database() AND pid <> pg_backend_pid()`;
  expect(terminated.length).toBeGreaterThan(0);
  await waitFor(async () => !denylistIsLive());
  // Revoked while no notification can arrive: the database lookup refuses it.
  await denyElsewhere(jti);
  expect((await validate(token)).body.reason).toBe("Token revoked");
  expect(await introspect(token)).toEqual({ active: false });
  // The new listener reloads every unexpired revocation, this one included.
  await waitFor(async () => denylistIsLive(), 10_000);
  expect((await validate(token)).body.reason).toBe("Token revoked");
});
