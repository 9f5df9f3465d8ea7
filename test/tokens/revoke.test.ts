import { describe, expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { useApi } from "@/test/support/use-api";
import { call, claimsOf, expiredCustomToken, forged, newClient, taraTokenFixture, unique } from "@/test/tokens/helpers";

const api = useApi();
const url = api.url;

async function issue(n = 1): Promise<string[]> {
  const res = await call(url("/jwt/custom/generate/batch"), {
    json: { tokens: Array.from({ length: n }, () => ({ content: { sub: unique("r") }, expirationInMinutes: 30 })) },
    auth: api.client.basic,
  });
  expect(res.status).toBe(200);
  return res.body.tokens.map((t: { token: string }) => t.token);
}

const revoke = (json: unknown, auth = api.client.basic) => call(url("/jwt/custom/revoke"), { json, auth });
const bulk = (json: unknown, auth = api.client.basic) => call(url("/jwt/custom/revoke/bulk"), { json, auth });
const validate = (token: string) => call(url("/jwt/custom/validate"), { json: { token }, auth: api.client.basic });

describe("POST /jwt/custom/revoke", () => {
  test("200 revoked, the denylist row records reason, revoker and expiry; then 409 already_revoked", async () => {
    const [token] = await issue();
    const claims = claimsOf(token);
    const res = await revoke({ token, reason: "security_incident" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "revoked", jwt_id: claims.jti });
    const prisma = await db();
    const row = await prisma.customDenylist.findUniqueOrThrow({ where: { jwtUuid: claims.jti } });
    expect(row).toMatchObject({ reason: "security_incident", revokedBy: `client:${api.client.clientId}` });
    expect(row.expiresAt.getTime()).toBe(claims.exp * 1000);
    expect(Math.abs(row.denylistedAt.getTime() - Date.now())).toBeLessThan(60_000);

    const again = await revoke({ token, reason: "other" });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ status: "already_revoked", error: "already_revoked" });
    expect((await prisma.customDenylist.findUniqueOrThrow({ where: { jwtUuid: claims.jti } })).reason).toBe("security_incident");
    expect((await validate(token)).body.reason).toBe("Token revoked");
  });

  test("concurrent revocations go together: each token once; the same token asked 8 times at once → one 200, seven 409", async () => {
    const tokens = await issue(24);
    const results = await Promise.all(tokens.map((token, i) => revoke({ token, reason: `concurrent-${i}` })));
    expect(results.map((r) => r.status)).toEqual(tokens.map(() => 200));
    const prisma = await db();
    const rows = await prisma.customDenylist.findMany({ where: { jwtUuid: { in: tokens.map((t) => claimsOf(t).jti) } } });
    expect(new Map(rows.map((r) => [r.jwtUuid, r.reason]))).toEqual(new Map(tokens.map((t, i) => [claimsOf(t).jti, `concurrent-${i}`])));

    const [same] = await issue();
    const statuses = (await Promise.all(Array.from({ length: 8 }, () => revoke({ token: same })))).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(7);
    expect((await validate(same)).body.reason).toBe("Token revoked");
  });

  test("an expired token can still be revoked", async () => {
    const { token, jti } = await expiredCustomToken(unique("e"));
    expect((await revoke({ token })).status).toBe(200);
    const prisma = await db();
    expect(await prisma.customDenylist.findUnique({ where: { jwtUuid: jti } })).not.toBeNull();
  });

  test("garbage, forged and TARA tokens → 400; nothing written", async () => {
    const [token] = await issue();
    for (const body of [{ token: "garbage" }, { token: forged(token) }, {}, { token: 5 }, { token: "" }]) {
      const res = await revoke(body);
      expect(res.status).toBe(400);
      expect(typeof res.body.message).toBe("string");
    }
    const tara = await taraTokenFixture();
    const taraRes = await revoke({ token: tara.token });
    expect(taraRes.status).toBe(400);
    expect(taraRes.body.reason).toBe("Wrong token type");
    const prisma = await db();
    expect(await prisma.customDenylist.findUnique({ where: { jwtUuid: claimsOf(token).jti } })).toBeNull();
    expect(await prisma.taraDenylist.findUnique({ where: { jwtUuid: tara.jti } })).toBeNull();
  });

  test("needs tokens:revoke", async () => {
    const [token] = await issue();
    expect((await call(url("/jwt/custom/revoke"), { json: { token } })).status).toBe(401);
    const validator = await newClient({ scopes: ["tokens:validate"] });
    expect((await revoke({ token }, validator.basic)).status).toBe(403);
  });
});

describe("POST /jwt/custom/revoke/bulk", () => {
  test("all new → 200 with counts and lists", async () => {
    const tokens = await issue(3);
    const res = await bulk({ tokens, reason: "bulk_test" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: "completed",
      message: "Bulk revocation completed: 3 newly revoked, 0 already revoked, 0 failed",
      reason: "bulk_test",
      total: 3,
      newly_revoked: 3,
      already_revoked: 0,
      failed: 0,
      not_owned: 0,
      newly_revoked_ids: tokens.map((t) => claimsOf(t).jti),
      already_revoked_ids: [],
      failures: [],
      newly_revoked_tokens: tokens.map((t) => `${t.slice(0, 20)}...`),
      already_revoked_tokens: [],
      failed_tokens: [],
    });
    const prisma = await db();
    const rows = await prisma.customDenylist.findMany({ where: { jwtUuid: { in: res.body.newly_revoked_ids } } });
    expect(rows.map((r) => r.reason)).toEqual(["bulk_test", "bulk_test", "bulk_test"]);
  });

  test("all already revoked → 409", async () => {
    const tokens = await issue(2);
    expect((await bulk({ tokens })).status).toBe(200);
    const res = await bulk({ tokens });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ total: 2, newly_revoked: 0, already_revoked: 2, failed: 0 });
  });

  test("mixed new, already revoked and failed → 207", async () => {
    const [fresh, old] = await issue(2);
    await revoke({ token: old });
    const res = await bulk({ tokens: [fresh, old, "garbage", forged(fresh), 42] });
    expect(res.status).toBe(207);
    expect(res.body).toMatchObject({
      total: 5,
      newly_revoked: 1,
      already_revoked: 1,
      failed: 3,
      newly_revoked_ids: [claimsOf(fresh).jti],
      already_revoked_ids: [claimsOf(old).jti],
      failures: [
        { index: 2, reason: "Malformed token" },
        { index: 3, reason: "Invalid signature" },
        { index: 4, reason: "Malformed token" },
      ],
    });
  });

  test("audited in the revocation's transaction: caller, tokens, reason, counts and request id", async () => {
    const [fresh, old] = await issue(2);
    await revoke({ token: old });
    const requestId = unique("req-bulk");
    const res = await call(url("/jwt/custom/revoke/bulk"), {
      json: { tokens: [fresh, old, "garbage"], reason: "bulk_audit" },
      auth: api.client.basic,
      headers: { "x-request-id": requestId },
    });
    expect(res.status).toBe(207);
    const prisma = await db();
    const audits = await prisma.audit.findMany({ where: { requestId } });
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      actorType: "api_client",
      actorId: api.client.clientId,
      action: "tokens.revoke",
      target: { jwt_uuids: [claimsOf(fresh).jti, claimsOf(old).jti], revoked: [claimsOf(fresh).jti] },
      reason: "bulk_audit",
      counts: { revoked: 1, already_revoked: 1, failed: 1 },
    });
    // A request id beyond [A-Za-z0-9._:-]{1,128} is replaced by one of TIM's (never recorded), never a failed revocation.
    const [other] = await issue();
    const long = await call(url("/jwt/custom/revoke/bulk"), {
      json: { tokens: [other] },
      auth: api.client.basic,
      headers: { "x-request-id": `${requestId}-${"x".repeat(300)}` },
    });
    expect(long.status).toBe(200);
    expect(long.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await prisma.audit.count({ where: { requestId: { startsWith: `${requestId}-x` } } })).toBe(0);
  });

  test("new plus failed (partial failure) → 207", async () => {
    const [token] = await issue();
    const res = await bulk({ tokens: [token, "nope"] });
    expect(res.status).toBe(207);
    expect(res.body).toMatchObject({ newly_revoked: 1, failed: 1 });
  });

  test("all failed → 400", async () => {
    const res = await bulk({ tokens: ["a", "b.c.d"] });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ total: 2, newly_revoked: 0, already_revoked: 0, failed: 2 });
  });

  test("the same token twice: once new, once already revoked", async () => {
    const [token] = await issue();
    const res = await bulk({ tokens: [token, token] });
    expect(res.status).toBe(207);
    expect(res.body).toMatchObject({ newly_revoked: 1, already_revoked: 1 });
  });

  test("empty list, more than 100 tokens, wrong shapes → 400, nothing written", async () => {
    const [token] = await issue();
    const over = await bulk({ tokens: [token, ...Array.from({ length: 100 }, (_, i) => `x${i}`)] });
    expect(over.status).toBe(400);
    expect(over.body).toMatchObject({ error: "request_too_large", provided: 101, maximum: 100 });
    const prisma = await db();
    expect(await prisma.customDenylist.count({ where: { jwtUuid: claimsOf(token).jti } })).toBe(0);
    // exactly 100 is accepted (here all unreadable, so 400 with the counts rather than the refusal)
    const hundred = await bulk({ tokens: Array.from({ length: 100 }, (_, i) => `x${i}`) });
    expect(hundred.status).toBe(400);
    expect(hundred.body).toMatchObject({ total: 100, failed: 100 });
    expect((await bulk({ tokens: [] })).status).toBe(400);
    expect((await bulk({ tokens: "x" })).status).toBe(400);
    expect((await bulk({})).status).toBe(400);
  });

  test("the full 100 RS256 tokens fit in one request (its own body limit, above the general 64 KiB)", async () => {
    const tokens = await issue(100);
    expect(JSON.stringify({ tokens }).length).toBeGreaterThan(64 * 1024);
    const res = await bulk({ tokens });
    expect(res.status).toBe(200);
    expect(res.body.newly_revoked).toBe(100);
    const huge = await bulk({ tokens: ["x".repeat(600 * 1024)] });
    expect(huge.status).toBe(413);
  });
});

describe("POST /revoke (RFC 7009)", () => {
  test("revokes a form-encoded token and answers 200 with an empty body", async () => {
    const [token] = await issue();
    const res = await call(url("/revoke"), { form: { token, token_type_hint: "access_token" }, auth: api.client.basic });
    expect(res.status).toBe(200);
    expect(res.text).toBe("");
    expect((await validate(token)).body.reason).toBe("Token revoked");
    const prisma = await db();
    const row = await prisma.customDenylist.findUniqueOrThrow({ where: { jwtUuid: claimsOf(token).jti } });
    expect(row.revokedBy).toBe(`client:${api.client.clientId}`);
    // again, and for invalid tokens: still 200
    expect((await call(url("/revoke"), { form: { token }, auth: api.client.basic })).status).toBe(200);
    expect((await call(url("/revoke"), { form: { token: "garbage" }, auth: api.client.basic })).status).toBe(200);
    expect((await call(url("/revoke"), { form: { token: forged(token) }, auth: api.client.basic })).status).toBe(200);
  });

  test("TARA tokens are not an API client's to end (even with tokens:revoke:any): 400 unauthorized_client, nothing written", async () => {
    const tara = await taraTokenFixture({ allowlist: "live" });
    const res = await call(url("/revoke"), { form: { token: tara.token, token_type_hint: "tara_jwt" }, auth: api.client.basic });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: "unauthorized_client", error_description: expect.stringContaining("/auth/logout") });
    const prisma = await db();
    expect(await prisma.taraDenylist.findUnique({ where: { jwtUuid: tara.jti } })).toBeNull();
    expect(await prisma.taraAllowlist.count({ where: { jwtUuid: tara.jti } })).toBe(1);
  });

  test("JSON works too; a missing token is a malformed request (400); credentials required", async () => {
    const [token] = await issue();
    expect((await call(url("/revoke"), { json: { token }, auth: api.client.basic })).status).toBe(200);
    expect((await validate(token)).status).toBe(401);
    const missing = await call(url("/revoke"), { form: { token_type_hint: "access_token" }, auth: api.client.basic });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe("invalid_request");
    expect((await call(url("/revoke"), { form: { token } })).status).toBe(401);
  });
});
