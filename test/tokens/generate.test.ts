import { createRequire } from "node:module";
import path from "node:path";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TIM_COOKIE_NAMES } from "@/lib/auth/cookie-names";
import { db } from "@/lib/db/client";
import { activeSigningKey } from "@/lib/jwt/keys";
import { verifyJwt } from "@/lib/jwt/verify";
import { tokenHash } from "@/lib/tokens/hash";
import { useApi } from "@/test/support/use-api";
import { call, claimsOf, newClient, unique } from "@/test/tokens/helpers";

const api = useApi({ maxLifetimeMinutes: 600 });
const url = api.url;

const generate = (json: unknown, auth = api.client.basic) => call(url("/jwt/custom/generate"), { json, auth });

describe("POST /jwt/custom/generate", () => {
  test("issues a token with TIM's claims and records every metadata column", async () => {
    const sub = unique("user");
    const before = Math.floor(Date.now() / 1000);
    const res = await generate({
      JWTName: "API_TOKEN",
      content: { sub, role: "admin", department: "engineering", permissions: ["read", "write"] },
      expirationInMinutes: 60,
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["expiresAt", "name", "status", "token"]);
    expect(res.body).toMatchObject({ status: "created", name: "API_TOKEN" });
    expect(res.body.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const token = res.body.token as string;
    const claims = claimsOf(token);
    expect(claims).toMatchObject({ sub, role: "admin", iss: "TIM", aud: "tim-audience", token_type: "custom_jwt" });
    expect(claims.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.exp - claims.iat).toBe(3600);
    expect(new Date(res.body.expiresAt).getTime()).toBe(claims.exp * 1000);
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: "RS256", typ: "JWT", kid: (await activeSigningKey()).kid });
    await expect(verifyJwt(token)).resolves.toBeTruthy();

    const prisma = await db();
    const row = await prisma.customJwtMetadata.findUniqueOrThrow({ where: { jwtUuid: claims.jti } });
    expect(row).toMatchObject({
      claimKeys: "sub,role,department,permissions",
      subject: sub,
      jwtName: "API_TOKEN",
      audience: "tim-audience",
      issuer: "TIM",
      supersedes: null,
      originalJwtUuid: claims.jti,
      tokenHash: tokenHash(token),
      tokenType: "custom_jwt",
      clientId: api.client.clientId,
    });
    expect(row.issuedAt.getTime()).toBe(claims.iat * 1000);
    expect(row.expiresAt.getTime()).toBe(claims.exp * 1000);
    expect(row.claimsJson).toEqual(claims);
    expect(row.createdAt).toBeInstanceOf(Date);
  });

  test("the requested audience (string or list) is used and recorded", async () => {
    const single = await generate({ JWTName: "A", content: { sub: unique("s") }, expirationInMinutes: 5, audience: "payment-service" });
    expect(claimsOf(single.body.token).aud).toBe("payment-service");
    const many = await generate({ JWTName: "B", content: { sub: unique("s") }, expirationInMinutes: 5, audience: ["a-svc", "b-svc"] });
    const claims = claimsOf(many.body.token);
    expect(claims.aud).toEqual(["a-svc", "b-svc"]);
    const prisma = await db();
    expect((await prisma.customJwtMetadata.findUniqueOrThrow({ where: { jwtUuid: claims.jti } })).audience).toBe("a-svc,b-svc");
    const viaContent = await generate({ content: { sub: unique("s"), aud: ["c-svc"] }, expirationInMinutes: 5 });
    expect(viaContent.status).toBe(200);
    expect(claimsOf(viaContent.body.token).aud).toEqual(["c-svc"]);
    expect(viaContent.body.name).toBeNull();
  });

  test("setCookie sets an HttpOnly SameSite=Lax cookie named after the token", async () => {
    const res = await generate({ JWTName: "SESSION_JWT", content: { sub: unique("c") }, expirationInMinutes: 5, setCookie: true });
    expect(res.status).toBe(200);
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toBe(`SESSION_JWT=${res.body.token}; Path=/; HttpOnly; SameSite=Lax`);
    const without = await generate({ JWTName: "X", content: {}, expirationInMinutes: 5 });
    expect(without.headers.get("set-cookie")).toBeNull();
  });

  // next-auth's real cookie names, read from the installed library (its package does not export them).
  const nextAuthCookies = createRequire(import.meta.url)(path.resolve("node_modules/next-auth/core/lib/cookie.js")) as {
    defaultCookies: (secure: boolean) => Record<string, { name: string }>;
  };
  const nextAuthNames = [false, true].flatMap((secure) => Object.values(nextAuthCookies.defaultCookies(secure)).map((c) => c.name));
  test.each([
    ...TIM_COOKIE_NAMES,
    ...nextAuthNames,
    "next-auth.session-token.0",
    "tim_tara_jwt",
    "NEXT-AUTH.SESSION-TOKEN",
    "__Host-SESSION",
    "__host-x",
    "__Secure-SESSION",
    "__SECURE-x",
  ])("setCookie with the reserved cookie name %s → 400 naming JWTName, nothing written", async (name) => {
    const res = await generate({ JWTName: name, content: { sub: unique("c") }, expirationInMinutes: 5, setCookie: true });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid_request");
    expect(res.body.message).toContain("JWTName");
    expect(res.headers.get("set-cookie")).toBeNull();
    const prisma = await db();
    expect(await prisma.customJwtMetadata.count({ where: { jwtName: name } })).toBe(0);
  });

  test("a reserved cookie name is fine as a JWTName without setCookie", async () => {
    const res = await generate({ JWTName: "__Host-NAME", content: {}, expirationInMinutes: 5 });
    expect(res.status).toBe(200);
  });

  test.each(["iss", "exp", "iat", "nbf", "jti", "token_type"])("reserved claim %s in content → 400, nothing written", async (claim) => {
    const name = unique("RESERVED");
    const res = await generate({ JWTName: name, content: { sub: "x", [claim]: "mine" }, expirationInMinutes: 5 });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: "invalid_request" });
    expect(res.body.message).toContain(claim);
    const prisma = await db();
    expect(await prisma.customJwtMetadata.count({ where: { jwtName: name } })).toBe(0);
  });

  test.each([
    ["lifetime 0", { content: {}, expirationInMinutes: 0 }],
    ["negative lifetime", { content: {}, expirationInMinutes: -5 }],
    ["fractional lifetime", { content: {}, expirationInMinutes: 1.5 }],
    ["lifetime as string", { content: {}, expirationInMinutes: "60" }],
    ["missing content", { expirationInMinutes: 5 }],
    ["content not an object", { content: ["sub"], expirationInMinutes: 5 }],
    ["sub not a string", { content: { sub: 42 }, expirationInMinutes: 5 }],
    ["bad JWTName", { JWTName: "has space", content: {}, expirationInMinutes: 5 }],
    ["setCookie without JWTName", { content: {}, expirationInMinutes: 5, setCookie: true }],
    ["audience twice", { content: { aud: "x" }, audience: "y", expirationInMinutes: 5 }],
    ["empty audience list", { content: {}, audience: [], expirationInMinutes: 5 }],
    ["body is an array", [1, 2]],
  ])("%s → 400", async (_label, body) => {
    const res = await generate(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid_request");
    expect(typeof res.body.message).toBe("string");
    expect(res.text).not.toMatch(/at .*\.ts|prisma|SELECT|INSERT/i);
  });

  test("above the client's maximum lifetime → 400", async () => {
    const res = await generate({ JWTName: unique("LONG"), content: {}, expirationInMinutes: 601 });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain("600");
    expect((await generate({ content: {}, expirationInMinutes: 600 })).status).toBe(200);
  });

  test("malformed JSON → 400 invalid_json; empty body → 400; > 64 KiB → 413", async () => {
    const bad = await call(url("/jwt/custom/generate"), { raw: '{"content": {', auth: api.client.basic });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("invalid_json");
    const empty = await call(url("/jwt/custom/generate"), { method: "POST", auth: api.client.basic });
    expect(empty.status).toBe(400);
    const huge = await generate({ content: { blob: "x".repeat(70 * 1024) }, expirationInMinutes: 5 });
    expect(huge.status).toBe(413);
    expect(huge.body.error).toBe("payload_too_large");
  });

  test("audiences outside the client's allowed list → 403; allowed ones work", async () => {
    const restricted = await newClient({ allowedAudiences: ["payments"], scopes: ["tokens:issue"] });
    const refused = await generate({ content: {}, expirationInMinutes: 5, audience: ["payments", "ledger"] }, restricted.basic);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe("audience_not_allowed");
    const defaulted = await generate({ content: {}, expirationInMinutes: 5 }, restricted.basic);
    expect(defaulted.status).toBe(403);
    const ok = await generate({ content: {}, expirationInMinutes: 5, audience: "payments" }, restricted.basic);
    expect(ok.status).toBe(200);
  });

  test("without credentials → 401 with WWW-Authenticate; without tokens:issue → 403", async () => {
    const anonymous = await call(url("/jwt/custom/generate"), { json: { content: {}, expirationInMinutes: 5 } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toContain("Basic");
    const validator = await newClient({ scopes: ["tokens:validate"] });
    const forbidden = await generate({ content: {}, expirationInMinutes: 5 }, validator.basic);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toBe("insufficient_scope");
  });
});

describe("POST /jwt/custom/generate/batch", () => {
  test("issues every token and records every row", async () => {
    const sub = unique("batch");
    const tokens = Array.from({ length: 25 }, (_, i) => ({
      JWTName: `BATCH_${i}`,
      content: { sub, n: i },
      expirationInMinutes: 10 + i,
    }));
    const res = await call(url("/jwt/custom/generate/batch"), { json: { tokens }, auth: api.client.basic });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("created");
    expect(res.body.count).toBe(25);
    expect(res.body.tokens).toHaveLength(25);
    res.body.tokens.forEach((t: Record<string, any>, i: number) => {
      expect(t).toMatchObject({ status: "created", name: `BATCH_${i}` });
      expect(claimsOf(t.token).n).toBe(i);
    });
    const prisma = await db();
    expect(await prisma.customJwtMetadata.count({ where: { subject: sub } })).toBe(25);
  });

  test("one invalid request refuses the whole batch; nothing is written", async () => {
    const sub = unique("batch-bad");
    const tokens = [
      { content: { sub }, expirationInMinutes: 5 },
      { content: { sub, jti: "mine" }, expirationInMinutes: 5 },
    ];
    const res = await call(url("/jwt/custom/generate/batch"), { json: { tokens }, auth: api.client.basic });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain("tokens.1.content.jti");
    const tooLong = await call(url("/jwt/custom/generate/batch"), {
      json: {
        tokens: [
          { content: { sub }, expirationInMinutes: 5 },
          { content: { sub }, expirationInMinutes: 6000 },
        ],
      },
      auth: api.client.basic,
    });
    expect(tooLong.status).toBe(400);
    const prisma = await db();
    expect(await prisma.customJwtMetadata.count({ where: { subject: sub } })).toBe(0);
  });

  test("empty, over 1,000 and setCookie batches → 400", async () => {
    const empty = await call(url("/jwt/custom/generate/batch"), { json: { tokens: [] }, auth: api.client.basic });
    expect(empty.status).toBe(400);
    const over = await call(url("/jwt/custom/generate/batch"), {
      json: { tokens: Array.from({ length: 1001 }, () => ({ content: {}, expirationInMinutes: 1 })) },
      auth: api.client.basic,
    });
    expect(over.status).toBe(400);
    const cookie = await call(url("/jwt/custom/generate/batch"), {
      json: { tokens: [{ JWTName: "C", content: {}, expirationInMinutes: 1, setCookie: true }] },
      auth: api.client.basic,
    });
    expect(cookie.status).toBe(400);
  });

  test("1,000 tokens in one batch (within the 64 KiB body limit)", async () => {
    const sub = `b${Date.now().toString(36)}`;
    const res = await call(url("/jwt/custom/generate/batch"), {
      json: { tokens: Array.from({ length: 1000 }, () => ({ content: { sub }, expirationInMinutes: 1 })) },
      auth: api.client.basic,
    });
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(1000);
    const prisma = await db();
    expect(await prisma.customJwtMetadata.count({ where: { subject: sub } })).toBe(1000);
  });
});

describe("atomic issuance: a failing metadata insert issues no token", () => {
  // A real failure inside the database: a trigger that rejects rows carrying one marker name.
  const marker = "TIM_TEST_FAIL_INSERT";

  beforeAll(async () => {
    const prisma = await db();
    await prisma.$executeRaw`
      CREATE FUNCTION custom.tim_test_reject_marked() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.jwt_name = 'TIM_TEST_FAIL_INSERT' THEN RAISE EXCEPTION 'injected failure'; END IF;
        RETURN NEW;
      END $$`;
    await prisma.$executeRaw`
      CREATE TRIGGER tim_test_reject_marked BEFORE INSERT ON custom.jwt_metadata
      FOR EACH ROW EXECUTE FUNCTION custom.tim_test_reject_marked()`;
  });
  afterAll(async () => {
    const prisma = await db();
    await prisma.$executeRaw`DROP TRIGGER IF EXISTS tim_test_reject_marked ON custom.jwt_metadata`;
    await prisma.$executeRaw`DROP FUNCTION IF EXISTS custom.tim_test_reject_marked()`;
  });

  test("single: 503, no token in the answer, no row", async () => {
    const sub = unique("atomic");
    const res = await generate({ JWTName: marker, content: { sub }, expirationInMinutes: 5 });
    expect(res.status).toBe(503);
    expect(res.body.error).toBe("metadata_not_recorded");
    expect(res.body).not.toHaveProperty("token");
    expect(res.text).not.toMatch(/eyJ|injected failure|INSERT/);
    const prisma = await db();
    expect(await prisma.customJwtMetadata.count({ where: { subject: sub } })).toBe(0);
    // the same request without the marker works: the failure was the insert, nothing else
    expect((await generate({ JWTName: "OK", content: { sub }, expirationInMinutes: 5 })).status).toBe(200);
  });

  test("batch: one failing row → 503 and none of the rows", async () => {
    const sub = unique("atomic-batch");
    const tokens = [
      { JWTName: "FIRST", content: { sub }, expirationInMinutes: 5 },
      { JWTName: marker, content: { sub }, expirationInMinutes: 5 },
      { JWTName: "THIRD", content: { sub }, expirationInMinutes: 5 },
    ];
    const res = await call(url("/jwt/custom/generate/batch"), { json: { tokens }, auth: api.client.basic });
    expect(res.status).toBe(503);
    expect(res.text).not.toMatch(/eyJ/);
    const prisma = await db();
    expect(await prisma.customJwtMetadata.count({ where: { subject: sub } })).toBe(0);
  });
});
