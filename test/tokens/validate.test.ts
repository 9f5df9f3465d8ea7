import { describe, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { useApi } from "@/test/support/use-api";
import { call, claimsOf, expiredCustomToken, forged, newClient, taraTokenFixture, unique } from "@/test/tokens/helpers";

const api = useApi();
const url = api.url;

async function issue(content: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const res = await call(url("/jwt/custom/generate"), {
    json: { JWTName: "VALIDATE_ME", content: { sub: unique("v"), ...content }, expirationInMinutes: 30, ...extra },
    auth: api.client.basic,
  });
  expect(res.status).toBe(200);
  return res.body.token as string;
}

const validate = (json: unknown, auth = api.client.basic) => call(url("/jwt/custom/validate"), { json, auth });
const validateBool = (json: unknown, auth = api.client.basic) => call(url("/jwt/custom/validate/boolean"), { json, auth });
const introspect = (form: Record<string, string>, auth = api.client.basic) => call(url("/introspect"), { form, auth });

const NULL_FIELDS = { subject: null, issuer: null, audience: null, expires_at: null, issued_at: null, jwt_id: null, claims: null };

describe("POST /jwt/custom/validate", () => {
  test("a valid token → 200 with every TIM 2.0 field", async () => {
    const token = await issue({ role: "admin" }, { audience: ["payment-service"] });
    const claims = claimsOf(token);
    const res = await validate({ token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      valid: true,
      active: true,
      reason: "Valid",
      subject: claims.sub,
      issuer: "TIM",
      audience: "payment-service",
      expires_at: new Date(claims.exp * 1000).toISOString().replace(".000", ""),
      issued_at: new Date(claims.iat * 1000).toISOString().replace(".000", ""),
      jwt_id: claims.jti,
      claims,
    });
  });

  test("audience and issuer are checked when given", async () => {
    const token = await issue({}, { audience: "orders" });
    expect((await validate({ token, audience: "orders", issuer: "TIM" })).status).toBe(200);
    expect((await validate({ token, audience: ["x", "orders"] })).status).toBe(200);
    const wrongAud = await validate({ token, audience: "payments" });
    expect(wrongAud.status).toBe(401);
    expect(wrongAud.body).toMatchObject({ valid: false, active: false, reason: "Invalid audience", ...NULL_FIELDS });
    const wrongIss = await validate({ token, issuer: "NOT-TIM" });
    expect(wrongIss.status).toBe(401);
    expect(wrongIss.body.reason).toBe("Invalid issuer");
  });

  test("a revoked token → 401 'Token revoked' with the seed's body", async () => {
    const token = await issue();
    expect((await call(url("/jwt/custom/revoke"), { json: { token }, auth: api.client.basic })).status).toBe(200);
    const res = await validate({ token });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ valid: false, active: false, reason: "Token revoked", ...NULL_FIELDS });
    expect(res.body).toMatchObject({ error: "invalid_token", message: "Token revoked" });
  });

  test("expired, forged and foreign tokens → 401 with the reason", async () => {
    const { token: expired } = await expiredCustomToken(unique("exp"));
    expect((await validate({ token: expired })).body).toMatchObject({ valid: false, reason: "Token expired" });
    const res = await validate({ token: forged(await issue()) });
    expect(res.status).toBe(401);
    expect(res.body.reason).toBe("Invalid signature");
    const noneAlg = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from("{}").toString("base64url")}.`;
    expect((await validate({ token: noneAlg })).body.reason).toBe("Unsupported algorithm");
  });

  test("a missing or non-string token → 400, a string that is no JWT → 401 (as TIM 2.0), valid: false", async () => {
    for (const body of [{}, { token: "" }, { token: null }]) {
      const res = await validate(body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ valid: false, active: false, reason: "Token is required", ...NULL_FIELDS });
    }
    for (const token of ["not-a-jwt", "a.b", 12345, ["x"]]) {
      const res = await validate({ token });
      expect(res.status).toBe(typeof token === "string" ? 401 : 400);
      expect(res.body).toMatchObject({ valid: false, reason: "Malformed token" });
    }
    const badJson = await call(url("/jwt/custom/validate"), { raw: "{token:", auth: api.client.basic });
    expect(badJson.status).toBe(400);
    expect(badJson.body).toMatchObject({ valid: false, error: "invalid_json" });
    const badAudience = await validate({ token: "x.y.z", audience: 7 });
    expect(badAudience.status).toBe(400);
    expect(badAudience.body.valid).toBe(false);
  });

  test("TARA tokens validate too, and their denylist counts", async () => {
    const tara = await taraTokenFixture();
    const ok = await validate({ token: tara.token });
    expect(ok.status).toBe(200);
    expect(ok.body.claims).toMatchObject({ token_type: "tara_jwt", amr: ["mID"], acr: "high" });
    const prisma = await db();
    await prisma.taraDenylist.create({ data: { jwtUuid: tara.jti, expiresAt: new Date(tara.payload.exp * 1000), reason: "logout" } });
    expect((await validate({ token: tara.token })).body.reason).toBe("Token revoked");
  });

  test("needs tokens:validate", async () => {
    const token = await issue();
    expect((await call(url("/jwt/custom/validate"), { json: { token } })).status).toBe(401);
    const issuer = await newClient({ scopes: ["tokens:issue"] });
    expect((await validate({ token }, issuer.basic)).status).toBe(403);
    expect((await validate({ token }, api.client.bearer)).status).toBe(200);
  });
});

describe("POST /jwt/custom/validate/boolean", () => {
  test("text/plain true (200) or false (401/400)", async () => {
    const token = await issue();
    const ok = await validateBool({ token });
    expect(ok.status).toBe(200);
    expect(ok.text).toBe("true");
    expect(ok.headers.get("content-type")).toMatch(/^text\/plain/);
    const bad = await validateBool({ token: forged(token) });
    expect([bad.status, bad.text]).toEqual([401, "false"]);
    const garbage = await validateBool({ token: "garbage" });
    expect([garbage.status, garbage.text]).toEqual([401, "false"]);
    const missing = await validateBool({});
    expect([missing.status, missing.text]).toEqual([400, "false"]);
    const badJson = await call(url("/jwt/custom/validate/boolean"), { raw: "nope", auth: api.client.basic });
    expect([badJson.status, badJson.text]).toEqual([400, "false"]);
    await call(url("/jwt/custom/revoke"), { json: { token }, auth: api.client.basic });
    const revoked = await validateBool({ token });
    expect([revoked.status, revoked.text]).toEqual([401, "false"]);
  });
});

describe("POST /introspect (RFC 7662)", () => {
  test("an active custom token: claims plus metadata, form-encoded and JSON alike", async () => {
    const token = await issue({ role: "auditor", department: "finance" }, { JWTName: "INTRO" });
    const claims = claimsOf(token);
    const res = await introspect({ token, token_type_hint: "access_token" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      active: true,
      sub: claims.sub,
      iss: "TIM",
      aud: "tim-audience",
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      token_type: "custom_jwt",
      role: "auditor",
      department: "finance",
      jwt_name: "INTRO",
      original_jwt_uuid: claims.jti,
      extension_count: 0,
      supersedes: null,
    });
    expect(typeof res.body.created_at).toBe("number");
    expect(Math.abs(res.body.created_at - claims.iat)).toBeLessThan(5);
    const asJson = await call(url("/introspect"), { json: { token }, auth: api.client.basic });
    expect(asJson.body).toEqual(res.body);
  });

  test("claims named like the answer's own fields do not override them", async () => {
    const token = await issue({ active: false, jwt_name: "FROM-CLAIM", extension_count: 7 }, { JWTName: "FROM-METADATA" });
    const res = await introspect({ token });
    expect(res.body).toMatchObject({ active: true, jwt_name: "FROM-METADATA", extension_count: 0 });
  });

  test("after an extension: extension_count and supersedes", async () => {
    const token = await issue();
    const root = claimsOf(token).jti;
    // Introspected before the extension too, so its metadata is already kept in process.
    expect((await introspect({ token })).body).toMatchObject({ active: true, extension_count: 0 });
    const ext = await call(url("/jwt/custom/extend"), { json: { token }, auth: api.client.basic });
    expect(ext.status).toBe(200);
    const res = await introspect({ token: ext.body.token });
    const prisma = await db();
    const rootRow = await prisma.customJwtMetadata.findUniqueOrThrow({ where: { jwtUuid: root } });
    expect(res.body).toMatchObject({ active: true, original_jwt_uuid: root, extension_count: 1, supersedes: rootRow.id });
    expect(await introspect({ token })).toMatchObject({ status: 200, body: { active: false } });
    const again = await call(url("/jwt/custom/extend"), { json: { token: ext.body.token }, auth: api.client.basic });
    expect((await introspect({ token: again.body.token })).body).toMatchObject({ active: true, extension_count: 2 });
    expect((await introspect({ token: ext.body.token })).body).toEqual({ active: false });
  });

  test("anything not active → exactly {active: false}, never an error", async () => {
    const revokedToken = await issue();
    await call(url("/jwt/custom/revoke"), { json: { token: revokedToken }, auth: api.client.basic });
    const { token: expired } = await expiredCustomToken(unique("i"));
    for (const token of [revokedToken, expired, forged(await issue()), "garbage", "a.b.c"]) {
      const res = await introspect({ token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ active: false });
    }
  });

  test("a token without a metadata row is not active", async () => {
    const token = await issue();
    const prisma = await db();
    await prisma.customJwtMetadata.delete({ where: { jwtUuid: claimsOf(token).jti } });
    expect((await introspect({ token })).body).toEqual({ active: false });
  });

  test("missing token → 400 invalid_request; credentials and scope required", async () => {
    const res = await introspect({ token_type_hint: "access_token" });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid_request");
    const token = await issue();
    const anonymous = await call(url("/introspect"), { form: { token } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBeTruthy();
    const validator = await newClient({ scopes: ["tokens:validate"] });
    expect((await introspect({ token }, validator.basic)).status).toBe(403);
  });

  test("TARA tokens: tara_jwt with amr, acr, sid; tara.denylist honoured", async () => {
    const tara = await taraTokenFixture();
    const res = await introspect({ token: tara.token });
    expect(res.body).toMatchObject({
      active: true,
      token_type: "tara_jwt",
      sub: tara.sub,
      amr: ["mID"],
      acr: "high",
      sid: tara.payload.sid,
      jwt_name: "TIM_TARA_JWT",
      original_jwt_uuid: tara.jti,
      extension_count: 0,
    });
    const prisma = await db();
    await prisma.taraDenylist.create({ data: { jwtUuid: tara.jti, expiresAt: new Date(tara.payload.exp * 1000) } });
    expect((await introspect({ token: tara.token })).body).toEqual({ active: false });
  });

  test("TARA_REQUIRE_ALLOWLIST=true: only allowlisted, unexpired TARA tokens are active", async () => {
    const none = await taraTokenFixture({ allowlist: "none" });
    const live = await taraTokenFixture({ allowlist: "live" });
    const stale = await taraTokenFixture({ allowlist: "expired" });
    const custom = await issue();
    expect((await introspect({ token: none.token })).body.active).toBe(true);
    process.env.TARA_REQUIRE_ALLOWLIST = "true";
    resetConfig();
    try {
      expect((await introspect({ token: none.token })).body).toEqual({ active: false });
      expect((await introspect({ token: stale.token })).body).toEqual({ active: false });
      expect((await introspect({ token: live.token })).body.active).toBe(true);
      expect((await introspect({ token: custom })).body.active).toBe(true);
      expect((await validate({ token: none.token })).body.reason).toBe("Token not in allowlist");
    } finally {
      delete process.env.TARA_REQUIRE_ALLOWLIST;
      resetConfig();
    }
  });
});

describe("GET /introspect/types", () => {
  test("maps custom_jwt and tara_jwt to their validators, as TIM 2.0 answers, without credentials", async () => {
    const res = await call(url("/introspect/types"));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ custom_jwt: "CustomJwtTokenValidator", tara_jwt: "TaraJwtTokenValidator" });
  });
});
