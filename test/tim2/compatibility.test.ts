import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { useApi } from "@/test/support/use-api";
import { call, claimsOf, expiredCustomToken, newClient, taraTokenFixture, unique, type TestClient } from "@/test/tokens/helpers";

/**
 * Issue 15 §1 and §3: TIM 2.0's requests, and the answers its code gives (app/custom-jwt/…/CustomJwtController.java,
 * CustomJwtService.java, app/server/…/introspection, app/oauth2-oidc/…/AuthController.java) and its OpenAPI documents
 * (docs/api/openapi.yaml), endpoint by endpoint over real HTTP. A TIM 2.0 client sends the same bodies to TIM with
 * API client credentials (or none with TIM_API_AUTH=off, the last block). docs/tim2-compatibility.md lists every
 * field and every deliberate difference.
 */

const api = useApi();
const url = api.url;

const post = (path: string, json: unknown, auth = api.client.basic) => call(url(path), { json, auth });
const ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** TIM 2.0's OpenAPI example of a generate request. */
const generateExample = (sub = unique("user123")) => ({ JWTName: "USER_TOKEN", content: { sub, role: "admin" }, expirationInMinutes: 60 });

async function issue(body: Record<string, unknown> = generateExample()): Promise<string> {
  const res = await post("/jwt/custom/generate", body);
  expect(res.status).toBe(200);
  return res.body.token;
}

/** Every TIM 2.0 error answer carries at least these. */
function expectError(body: Record<string, unknown>, error?: string) {
  expect(typeof body.error).toBe("string");
  expect(typeof body.message).toBe("string");
  if (error) expect(body.error).toBe(error);
}

describe("GET /health (TIM 2.0's path; Spring's actuator answer)", () => {
  test('200 {status: "UP"}, without credentials', async () => {
    const res = await call(url("/health"));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "UP" });
  });
});

describe("POST /jwt/custom/generate", () => {
  test("TIM 2.0's example → 200 {status: created, name, token, expiresAt}; the token as TIM 2.0 signs it", async () => {
    const body = generateExample();
    const res = await post("/jwt/custom/generate", body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "created", name: "USER_TOKEN", token: expect.any(String), expiresAt: expect.stringMatching(ISO_SECONDS) });
    const claims = claimsOf(res.body.token);
    expect(claims).toMatchObject({ sub: body.content.sub, role: "admin", iss: "TIM", aud: "tim-audience", token_type: "custom_jwt" });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims.exp - claims.iat).toBe(3600);
    expect(Date.parse(res.body.expiresAt) / 1000).toBe(claims.exp);
  });

  test("lenient as TIM 2.0: expirationInMinutes defaults to 60, unknown fields are ignored", async () => {
    const res = await post("/jwt/custom/generate", { JWTName: "DEFAULTS", content: { sub: unique("d") }, colour: "red", additionalMinutes: 5 });
    expect(res.status).toBe(200);
    const claims = claimsOf(res.body.token);
    expect(claims.exp - claims.iat).toBe(60 * 60);
    expect(claims).not.toHaveProperty("colour");
  });

  test("audience as a string or a list; setCookie sets <JWTName>=<token>; Path=/; HttpOnly", async () => {
    expect(claimsOf(await issue({ content: { sub: unique("a") }, audience: "orders" })).aud).toBe("orders");
    expect(claimsOf(await issue({ content: { sub: unique("a") }, audience: ["orders", "billing"] })).aud).toEqual(["orders", "billing"]);
    const res = await post("/jwt/custom/generate", { JWTName: "SESSION_TOKEN", content: { sub: unique("c") }, setCookie: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toMatch(new RegExp(`^SESSION_TOKEN=${res.body.token.replaceAll(".", "\\.")}; Path=/; HttpOnly`));
  });

  test("bad values still get 400 {error, message}", async () => {
    for (const body of [
      { content: { sub: "x" }, expirationInMinutes: "60" },
      { content: { sub: "x" }, expirationInMinutes: 0 },
      { content: "sub=x" },
      // TIM 2.0 defaults a missing content to {} and signs a token that names no one; TIM asks for it (the table says why).
      { invalid: "json" },
    ]) {
      const res = await post("/jwt/custom/generate", body);
      expect(res.status).toBe(400);
      expectError(res.body, "invalid_request");
    }
  });
});

describe("POST /jwt/custom/validate and /validate/boolean", () => {
  test('valid → 200 with TIM 2.0\'s fields: reason "Valid", audience comma-joined, instants as ISO strings', async () => {
    const token = await issue({ content: { sub: unique("v"), role: "admin" }, audience: ["a1", "a2"], expirationInMinutes: 30 });
    const claims = claimsOf(token);
    const res = await post("/jwt/custom/validate", { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      valid: true,
      active: true,
      reason: "Valid",
      subject: claims.sub,
      issuer: "TIM",
      audience: "a1,a2",
      expires_at: new Date(claims.exp * 1000).toISOString().replace(".000", ""),
      issued_at: new Date(claims.iat * 1000).toISOString().replace(".000", ""),
      jwt_id: claims.jti,
      claims,
    });
    const withChecks = await post("/jwt/custom/validate", { token, audience: "a2", issuer: "TIM" });
    expect(withChecks.status).toBe(200);
    const bool = await call(url("/jwt/custom/validate/boolean"), { json: { token }, auth: api.client.basic });
    expect([bool.status, bool.text, bool.headers.get("content-type")?.split(";")[0]]).toEqual([200, "true", "text/plain"]);
  });

  test("not valid → 401 {valid: false, active: false, reason}; no token → 400; the boolean says false with the same statuses", async () => {
    const token = await issue();
    const wrongAudience = await post("/jwt/custom/validate", { token, audience: "elsewhere" });
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.body).toMatchObject({ valid: false, active: false, reason: "Invalid audience" });
    const wrongIssuer = await post("/jwt/custom/validate", { token, issuer: "someone" });
    expect(wrongIssuer.body).toMatchObject({ valid: false, reason: "Invalid issuer" });
    const garbage = await post("/jwt/custom/validate", { token: "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.invalid.signature" });
    expect(garbage.status).toBe(401);
    expect(garbage.body.valid).toBe(false);
    const { token: expired } = await expiredCustomToken(unique("old"));
    expect((await post("/jwt/custom/validate", { token: expired })).body).toMatchObject({ valid: false, reason: "Token expired" });
    await post("/jwt/custom/revoke", { token });
    const revoked = await post("/jwt/custom/validate", { token });
    expect(revoked.status).toBe(401);
    expect(revoked.body).toMatchObject({ valid: false, active: false, reason: "Token revoked" });
    const missing = await post("/jwt/custom/validate", {});
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ valid: false, active: false, reason: "Token is required" });
    const bool = (json: unknown) => call(url("/jwt/custom/validate/boolean"), { json, auth: api.client.basic });
    expect([(await bool({ token })).status, (await bool({ token })).text]).toEqual([401, "false"]);
    expect([(await bool({})).status, (await bool({})).text]).toEqual([400, "false"]);
  });
});

describe("POST /introspect (RFC 7662, form or JSON)", () => {
  test("active: TIM 2.0's fields, extra_claims holding the custom claims (TIM also answers them at the top level)", async () => {
    const sub = unique("introspect-user");
    const token = await issue({ JWTName: "INTRO", content: { sub, role: "tester", department: "qa" }, expirationInMinutes: 60 });
    const claims = claimsOf(token);
    for (const res of [
      await call(url("/introspect"), { form: { token }, auth: api.client.basic }),
      await call(url("/introspect"), { json: { token, token_type_hint: "access_token" }, auth: api.client.basic }),
    ]) {
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        active: true,
        sub,
        iss: "TIM",
        aud: "tim-audience",
        jti: claims.jti,
        exp: claims.exp,
        iat: claims.iat,
        token_type: "custom_jwt",
        extra_claims: { role: "tester", department: "qa" },
        role: "tester",
      });
      // TIM 2.0 leaves the standard claims out of extra_claims.
      for (const standard of ["iss", "sub", "aud", "exp", "iat", "jti", "token_type"]) expect(res.body.extra_claims).not.toHaveProperty(standard);
    }
  });

  test("no extra claims → no extra_claims (TIM 2.0 answers without null fields); inactive → {active: false} only", async () => {
    const plain = await issue({ content: { sub: unique("plain") } });
    expect((await call(url("/introspect"), { form: { token: plain }, auth: api.client.basic })).body).not.toHaveProperty("extra_claims");
    for (const token of ["eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.invalid.signature", (await expiredCustomToken(unique("x"))).token]) {
      const res = await call(url("/introspect"), { form: { token }, auth: api.client.basic });
      expect([res.status, res.body]).toEqual([200, { active: false }]);
    }
  });
});

describe("GET /introspect/types", () => {
  test("TIM 2.0's map from token_type to validator", async () => {
    const res = await call(url("/introspect/types"));
    expect(res.status).toBe(200);
    expect(res.body.custom_jwt).toBe("CustomJwtTokenValidator");
    for (const value of Object.values(res.body)) expect(typeof value).toBe("string");
  });
});

describe("POST /jwt/custom/revoke", () => {
  test("200 {status: revoked, message}; again → 409 {status: already_revoked, message}; no token → 400 invalid_request", async () => {
    const token = await issue();
    const res = await post("/jwt/custom/revoke", { token, reason: "Security incident" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "revoked", message: "Token has been successfully revoked" });
    const again = await post("/jwt/custom/revoke", { token });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ status: "already_revoked", message: "Token was already revoked" });
    const prisma = await db();
    expect(await prisma.customDenylist.findUnique({ where: { jwtUuid: claimsOf(token).jti } })).toMatchObject({ reason: "Security incident" });
    const missing = await post("/jwt/custom/revoke", { reason: "x" });
    expect(missing.status).toBe(400);
    expectError(missing.body, "invalid_request");
  });
});

describe("POST /jwt/custom/revoke/bulk", () => {
  test("TIM 2.0's answer: status completed, message, reason, counts and the *_tokens lists; 200 / 207 / 409 / 400", async () => {
    const [a, b, c] = [await issue(), await issue(), await issue()];
    const all = await post("/jwt/custom/revoke/bulk", { tokens: [a, b], reason: "Compromised" });
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({
      status: "completed",
      message: "Bulk revocation completed: 2 newly revoked, 0 already revoked, 0 failed",
      reason: "Compromised",
      total: 2,
      newly_revoked: 2,
      already_revoked: 0,
      failed: 0,
      newly_revoked_tokens: [`${a.slice(0, 20)}...`, `${b.slice(0, 20)}...`],
      already_revoked_tokens: [],
      failed_tokens: [],
    });
    const mixed = await post("/jwt/custom/revoke/bulk", { tokens: [a, c, "not-a-token"] });
    expect(mixed.status).toBe(207);
    expect(mixed.body).toMatchObject({
      status: "completed",
      total: 3,
      newly_revoked: 1,
      already_revoked: 1,
      failed: 1,
      newly_revoked_tokens: [`${c.slice(0, 20)}...`],
      already_revoked_tokens: [`${a.slice(0, 20)}...`],
      failed_tokens: [{ token: "not-a-token...", reason: expect.any(String) }],
    });
    const already = await post("/jwt/custom/revoke/bulk", { tokens: [a, b] });
    expect(already.status).toBe(409);
    expect(already.body).toMatchObject({ status: "completed", already_revoked: 2, already_revoked_tokens: expect.any(Array) });
    const failed = await post("/jwt/custom/revoke/bulk", { tokens: ["x", "y"] });
    expect(failed.status).toBe(400);
    expect(failed.body).toMatchObject({ status: "completed", failed: 2, failed_tokens: [{ token: "x..." }, { token: "y..." }] });
  });

  test("more than 100 → 400 request_too_large {provided, maximum}; an empty list → 400 invalid_request", async () => {
    const res = await post("/jwt/custom/revoke/bulk", { tokens: Array.from({ length: 101 }, (_, i) => `t${i}`) });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: "request_too_large", message: "Cannot revoke more than 100 tokens at once", provided: 101, maximum: 100 });
    const empty = await post("/jwt/custom/revoke/bulk", { tokens: [] });
    expect(empty.status).toBe(400);
    expectError(empty.body, "invalid_request");
  });
});

describe("POST /jwt/custom/extend and GET /jwt/custom/extension-chain/{originalJwtUuid}", () => {
  test("{token} alone extends by 60 minutes → 200 {status: extended, token, expiresAt}; the old token is revoked", async () => {
    const token = await issue();
    const res = await post("/jwt/custom/extend", { token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "extended", token: expect.any(String), expiresAt: expect.stringMatching(ISO_SECONDS) });
    const renewed = claimsOf(res.body.token);
    expect(renewed.exp - renewed.iat).toBe(3600);
    expect(renewed.jti).not.toBe(claimsOf(token).jti);
    expect(renewed).toMatchObject({ sub: claimsOf(token).sub, role: "admin", aud: "tim-audience" });
    expect((await post("/jwt/custom/validate", { token })).body.reason).toBe("Token revoked");
    const again = await post("/jwt/custom/extend", { token });
    expect(again.status).toBe(401);
    expectError(again.body, "extend_denied");
  });

  test("setCookie sets EXTENDED_TOKEN as TIM 2.0 does; unknown fields are ignored; bad values and no token → 400", async () => {
    const token = await issue();
    const res = await post("/jwt/custom/extend", { token, expirationInMinutes: 240, setCookie: true, additionalMinutes: 5 });
    expect(res.status).toBe(200);
    expect(claimsOf(res.body.token).exp - claimsOf(res.body.token).iat).toBe(240 * 60);
    expect(res.headers.get("set-cookie")).toMatch(new RegExp(`^EXTENDED_TOKEN=${res.body.token.replaceAll(".", "\\.")}; Path=/; HttpOnly`));
    for (const body of [
      { token: res.body.token, expirationInMinutes: 0 },
      { token: res.body.token, expirationInMinutes: -5 },
      { jti: claimsOf(token).jti, additionalMinutes: 60 },
    ]) {
      const bad = await post("/jwt/custom/extend", body);
      expect(bad.status).toBe(400);
      expectError(bad.body, "invalid_request");
    }
  });

  test("the chain in TIM 2.0's OpenAPI names: original_jwt_uuid, chain_length, versions with is_current and extension_number", async () => {
    let token = await issue();
    const root = claimsOf(token).jti;
    for (let i = 0; i < 2; i++) token = (await post("/jwt/custom/extend", { token })).body.token;
    const res = await call(url(`/jwt/custom/extension-chain/${root}`), { auth: api.client.basic });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ original_jwt_uuid: root, chain_length: 3 });
    const versions = res.body.versions as Record<string, unknown>[];
    expect(versions.map((v) => [v.extension_number, v.is_current])).toEqual([
      [0, false],
      [1, false],
      [2, true],
    ]);
    expect(versions[0]).toMatchObject({ jwt_uuid: root, supersedes: null });
    expect(versions[2]).toMatchObject({ jwt_uuid: claimsOf(token).jti, supersedes: versions[1].id });
    for (const v of versions) {
      for (const field of ["id", "jwt_uuid", "created_at", "issued_at", "expires_at", "supersedes", "is_current", "extension_number"])
        expect(v).toHaveProperty(field);
    }
    expect((await call(url(`/jwt/custom/extension-chain/${crypto.randomUUID()}`), { auth: api.client.basic })).status).toBe(404);
    expect((await call(url("/jwt/custom/extension-chain/not-a-uuid"), { auth: api.client.basic })).status).toBe(400);
  });
});

describe("POST /jwt/custom/list/me", () => {
  const sub = unique("lister");
  let bearer: string;
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) await issue({ JWTName: `T${i}`, content: { sub, i }, audience: ["x", "y"], expirationInMinutes: 30 });
    bearer = await issue({ JWTName: "ME", content: { sub }, expirationInMinutes: 30 });
  });
  const listMe = (json?: unknown, token = bearer) =>
    call(url("/jwt/custom/list/me"), json === undefined ? { method: "POST", auth: `Bearer ${token}` } : { json, auth: `Bearer ${token}` });

  test("no body → TIM 2.0's item fields and pagination {total, page, size, total_pages}", async () => {
    const res = await listMe();
    expect(res.status).toBe(200);
    expect(res.body.pagination).toMatchObject({ total: 4, page: 0, size: 20, total_pages: 1 });
    const item = (res.body.tokens as Record<string, unknown>[]).find((t) => t.jwt_name === "T1")!;
    expect(item).toMatchObject({
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      subject: sub,
      status: "active",
      issued_at: expect.stringMatching(ISO_SECONDS),
      expires_at: expect.stringMatching(ISO_SECONDS),
      revoked_at: null,
      revocation_reason: null,
      jwt_name: "T1",
      issuer: "TIM",
      audience: "x,y",
      claims: null,
    });
  });

  test("TIM 2.0's paging fields: limit with offset (its code's page number), page with size; unknown fields ignored", async () => {
    const first = await listMe({ limit: 3, offset: 0 });
    const second = await listMe({ limit: 3, offset: 1 });
    expect(first.body.tokens).toHaveLength(3);
    expect(second.body.tokens).toHaveLength(1);
    expect(second.body.pagination).toMatchObject({ total: 4, page: 1, size: 3, total_pages: 2 });
    const seen = new Set([...first.body.tokens, ...second.body.tokens].map((t: { jti: string }) => t.jti));
    expect(seen.size).toBe(4);
    const byPage = await listMe({ page: 1, size: 2, includeRevoked: true, subject: "someone-else", colour: "red" });
    expect(byPage.status).toBe(200);
    expect(byPage.body.tokens).toHaveLength(2);
    expect(byPage.body.tokens.every((t: { subject: string }) => t.subject === sub)).toBe(true);
    expect(byPage.body.pagination).toMatchObject({ page: 1, size: 2, total_pages: 2 });
    // TIM 2.0's snake_case filters (its code accepts and ignores them; TIM applies them)
    const named = await listMe({ jwt_name: "T2", issued_after: new Date(Date.now() - 3_600_000).toISOString() });
    expect(named.body.tokens.map((t: { jwt_name: string }) => t.jwt_name)).toEqual(["T2"]);
    for (const body of [{ limit: 0 }, { page: -1 }, { status: "gone" }]) expect((await listMe(body)).status).toBe(400);
  });

  test("without a valid bearer token → 401 {error, message}", async () => {
    const none = await call(url("/jwt/custom/list/me"), { json: {} });
    expect(none.status).toBe(401);
    expectError(none.body);
    const revoked = await issue({ content: { sub } });
    await post("/jwt/custom/revoke", { token: revoked });
    const res = await listMe({}, revoked);
    expect(res.status).toBe(401);
    expectError(res.body, "invalid_token");
  });
});

describe("GET /jwt/keys/public", () => {
  test('TIM 2.0\'s {jwk: "<JWKS as JSON text>"} beside the standard keys', async () => {
    const res = await call(url("/jwt/keys/public"));
    expect(res.status).toBe(200);
    expect(typeof res.body.jwk).toBe("string");
    const jwks = JSON.parse(res.body.jwk);
    expect(jwks.keys).toEqual(res.body.keys);
    const token = await issue();
    const { kid } = JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString());
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(kid);
    for (const key of jwks.keys) expect(key).toMatchObject({ kty: "RSA", n: expect.any(String), e: "AQAB" });
  });
});

describe("TARA sessions: /auth/session/validate, /auth/profile, /auth/logout", () => {
  let reader: TestClient;
  let ender: TestClient;
  beforeAll(async () => {
    reader = await newClient({ scopes: ["sessions:read"] });
    ender = await newClient({ scopes: ["sessions:revoke"] });
  });

  test("validate and profile: TIM 2.0's fields for an active session", async () => {
    const { payload } = await taraTokenFixture({ allowlist: "live" });
    const res = await call(url(`/auth/session/validate?session_id=${payload.sid}`), { auth: reader.basic });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      valid: true,
      session_id: payload.sid,
      user_id: payload.sub,
      provider: "tara",
      expires_at: new Date(payload.exp * 1000).toISOString(),
      last_activity: expect.any(String),
      authentication_method: "mID",
      level_of_assurance: "high",
    });
    const profile = await call(url(`/auth/profile?session_id=${payload.sid}`), { auth: reader.basic });
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ user_id: payload.sub, provider: "tara", authentication_method: "mID", level_of_assurance: "high" });
  });

  test("POST /auth/logout?session_id=…&reason=… ends the session: 200 {status: logged_out}; then validate and profile → 401 invalid_session", async () => {
    const { payload, jti } = await taraTokenFixture({ allowlist: "live" });
    const res = await call(url(`/auth/logout?session_id=${payload.sid}&reason=${encodeURIComponent("User initiated logout")}`), {
      method: "POST",
      auth: ender.basic,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "logged_out", message: "Session logged out successfully" });
    const prisma = await db();
    expect(await prisma.taraDenylist.findUnique({ where: { jwtUuid: jti } })).toMatchObject({ reason: "User initiated logout" });
    for (const path of ["/auth/session/validate", "/auth/profile"]) {
      const ended = await call(url(`${path}?session_id=${payload.sid}`), { auth: reader.basic });
      expect(ended.status).toBe(401);
      expect(ended.body).toMatchObject({ error: "invalid_session", message: "Session has been revoked" });
    }
    // TIM 2.0 answers 200 for a session it knows, ended or not.
    expect((await call(url(`/auth/logout?session_id=${payload.sid}`), { method: "POST", auth: ender.basic })).status).toBe(200);
  });

  test('an expired session → 401 invalid_session "Session has expired"', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { payload } = await taraTokenFixture({ iat: now - 3600, exp: now - 60 });
    const res = await call(url(`/auth/session/validate?session_id=${payload.sid}`), { auth: reader.basic });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: "invalid_session", message: "Session has expired" });
  });
});

describe("GET /auth/health and /auth/providers", () => {
  test("TIM 2.0's fields", async () => {
    const health = await call(url("/auth/health"));
    expect(health.body).toMatchObject({
      status: expect.any(String),
      service: "oauth2-authentication",
      timestamp: expect.any(Number),
      available_providers: expect.any(Number),
      provider_ids: expect.any(Array),
    });
    const providers = await call(url("/auth/providers"));
    expect(providers.status).toBe(200);
    expect(providers.body).toMatchObject({ providers: expect.any(Object), total: expect.any(Number) });
  });
});

describe("TIM_API_AUTH=off: TIM 2.0's clients as they are, without credentials", () => {
  beforeAll(() => {
    process.env.TIM_API_AUTH = "off";
    resetConfig();
  });
  afterAll(() => {
    delete process.env.TIM_API_AUTH;
    resetConfig();
  });
  const open = (path: string, json: unknown) => call(url(path), { json });

  test("generate → introspect → extend → revoke → introspect, and logout by session_id", async () => {
    const generated = await open("/jwt/custom/generate", { JWTName: "OPEN", content: { sub: unique("open"), role: "user" } });
    expect(generated.status).toBe(200);
    const introspected = await call(url("/introspect"), { form: { token: generated.body.token } });
    expect(introspected.body).toMatchObject({ active: true, extra_claims: { role: "user" } });
    const extended = await open("/jwt/custom/extend", { token: generated.body.token });
    expect(extended.status).toBe(200);
    expect((await open("/jwt/custom/revoke", { token: extended.body.token })).body).toMatchObject({ status: "revoked" });
    expect((await call(url("/introspect"), { form: { token: extended.body.token } })).body).toEqual({ active: false });

    const { payload } = await taraTokenFixture({ allowlist: "live" });
    const logout = await call(url(`/auth/logout?session_id=${payload.sid}`), { method: "POST" });
    expect(logout.status).toBe(200);
    expect(logout.body).toMatchObject({ status: "logged_out", revoked: 1 });
    expect((await call(url(`/auth/session/validate?session_id=${payload.sid}`))).status).toBe(401);
  });
});
