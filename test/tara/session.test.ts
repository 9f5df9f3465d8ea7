import { decodeJwt } from "jose";
import { afterAll, beforeAll, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { introspectToken } from "@/lib/tokens/introspect";
import { loginJson, startTaraWorld, type TaraWorld } from "@/test/tara/support";
import { newClient, type TestClient } from "@/test/tokens/helpers";

let world: TaraWorld;
/** An API client allowed to look sessions up by id (sessions:read). */
let reader: TestClient;
beforeAll(async () => {
  world = await startTaraWorld();
  reader = await newClient({ scopes: ["sessions:read"] });
});
afterAll(async () => world.close());

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${world.tim.url}${path}`, { headers });
const post = (path: string, headers: Record<string, string> = {}, body?: string) => fetch(`${world.tim.url}${path}`, { method: "POST", headers, body });
const byReader = () => ({ authorization: reader.basic });

test("providers and health describe TARA", async () => {
  const providers = await (await get("/auth/providers")).json();
  expect(providers.total).toBe(1);
  expect(providers.providers.tara).toMatchObject({ id: "tara", available: true, issuer: world.tara.issuer, login_url: "/auth/login/tara" });
  const tara = await get("/auth/providers/tara");
  expect(tara.status).toBe(200);
  expect(await tara.json()).toMatchObject({ callback_url: world.callbackUrl, scopes: ["openid"] });
  const health = await get("/auth/health");
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: "healthy", provider_ids: ["tara"], tara: { reachable: true } });
});

test("session validate and profile by session_id and by cookie", async () => {
  const login = await loginJson(world, "EE60001019906");
  const byId = await get(`/auth/session/validate?session_id=${login.session_id}`, byReader());
  expect(byId.status).toBe(200);
  expect(await byId.json()).toMatchObject({
    valid: true,
    status: "active",
    session_id: login.session_id,
    subject: "EE60001019906",
    auth_method: "mID",
    level_of_assurance: "high",
    expires_at: login.expires_at,
  });
  const profile = await get("/auth/profile", { cookie: `TIM_TARA_JWT=${login.token}` });
  expect(profile.status).toBe(200);
  expect(await profile.json()).toMatchObject({
    sub: "EE60001019906",
    given_name: "MARY ÄNN",
    family_name: "O’CONNEŽ-ŠUSLIK TESTNUMBER",
    date_of_birth: "2000-01-01",
    session_id: login.session_id,
  });
  expect((await get("/auth/profile")).status).toBe(401);
  expect((await get("/auth/session/validate?session_id=not-a-uuid", byReader())).status).toBe(400);
  expect((await get(`/auth/session/validate?session_id=${crypto.randomUUID()}`, byReader())).status).toBe(404);
  const forged = login.token.slice(0, -4) + (login.token.endsWith("AAAA") ? "BBBB" : "AAAA");
  const bad = await get("/auth/profile", { authorization: `Bearer ${forged}` });
  expect(bad.status).toBe(401);
  expect(await bad.json()).toMatchObject({ error: "invalid_token" });
});

test("logout revokes into tara.denylist with a reason, drops the allowlist entry and clears the cookie", async () => {
  const login = await loginJson(world, "EE38001085718");
  const { jti } = decodeJwt(login.token);
  const res = await post("/auth/logout", { cookie: `TIM_TARA_JWT=${login.token}` });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ success: true, session_id: login.session_id, revoked: 1 });
  expect(res.headers.getSetCookie()).toEqual([expect.stringMatching(/^TIM_TARA_JWT=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0/)]);

  const prisma = await db();
  const denied = await prisma.taraDenylist.findUniqueOrThrow({ where: { jwtUuid: jti as string } });
  expect(denied).toMatchObject({ reason: "logout", revokedBy: "user:EE38001085718" });
  expect(denied.expiresAt.getTime()).toBe(Date.parse(login.expires_at));
  expect(await prisma.taraAllowlist.count({ where: { jwtUuid: jti as string } })).toBe(0);

  const after = await get(`/auth/session/validate?session_id=${login.session_id}`, byReader());
  expect(after.status).toBe(401);
  expect(await after.json()).toMatchObject({ error: "invalid_session", valid: false, status: "revoked", reason: "logout" });
  expect((await get("/auth/profile", { cookie: `TIM_TARA_JWT=${login.token}` })).status).toBe(401);
  expect(await introspectToken(login.token)).toEqual({ active: false });

  // Logging out again is harmless; without a token there is nothing to end.
  expect(await (await post("/auth/logout", { cookie: `TIM_TARA_JWT=${login.token}` })).json()).toMatchObject({ revoked: 0 });
  expect(await (await post("/auth/logout")).json()).toMatchObject({ success: true, revoked: 0, session_id: null });
});

test("extend issues a new token in the same session and chain and revokes the old one", async () => {
  const login = await loginJson(world, "EE40404040009");
  const old = decodeJwt(login.token);
  const res = await post("/jwt/tara/extend", { cookie: `TIM_TARA_JWT=${login.token}` });
  expect(res.status).toBe(200);
  const body = await res.json();
  expect(body).toMatchObject({ status: "extended", name: "TIM_TARA_JWT", session_id: login.session_id });
  const renewed = decodeJwt(body.token);
  expect(renewed).toMatchObject({ sub: old.sub, sid: old.sid, amr: old.amr, acr: old.acr, auth_time: old.auth_time, token_type: "tara_jwt" });
  expect(renewed.jti).not.toBe(old.jti);
  expect(res.headers.getSetCookie()[0]).toMatch(new RegExp(`^TIM_TARA_JWT=${body.token.replaceAll(".", "\\.")};`));

  const prisma = await db();
  const rows = await prisma.taraJwtMetadata.findMany({ where: { sessionId: login.session_id }, orderBy: { issuedAt: "asc" } });
  expect(rows).toHaveLength(2);
  expect(await introspectToken(body.token)).toMatchObject({ active: true, token_type: "tara_jwt", sid: login.session_id, amr: ["smartid"], acr: "high" });
  expect(rows[1]).toMatchObject({
    jwtUuid: renewed.jti,
    supersedes: rows[0].id,
    originalJwtUuid: old.jti,
    authMethod: "smartid",
    levelOfAssurance: "high",
    oauthStateId: login.state,
    sessionId: login.session_id,
  });
  expect(await prisma.taraDenylist.findUnique({ where: { jwtUuid: old.jti as string } })).toMatchObject({ reason: "extended" });
  expect(await prisma.taraAllowlist.count({ where: { jwtUuid: renewed.jti as string } })).toBe(1);

  // The session stays valid with the new token; the old one can no longer be extended.
  expect(await (await get(`/auth/session/validate?session_id=${login.session_id}`, byReader())).json()).toMatchObject({ valid: true });
  const again = await post("/jwt/tara/extend", { "content-type": "application/json" }, JSON.stringify({ token: login.token }));
  expect(again.status).toBe(401);
  expect((await post("/jwt/tara/extend")).status).toBe(400);
});

test("with TARA_REQUIRE_ALLOWLIST=true a session without its allowlist entry is no longer valid", async () => {
  const login = await loginJson(world, "EE60001017869");
  const { jti } = decodeJwt(login.token);
  await (await db()).taraAllowlist.deleteMany({ where: { jwtUuid: jti as string } });
  expect((await get("/auth/profile", { cookie: `TIM_TARA_JWT=${login.token}` })).status).toBe(200);
  process.env.TARA_REQUIRE_ALLOWLIST = "true";
  resetConfig();
  try {
    const profile = await get("/auth/profile", { cookie: `TIM_TARA_JWT=${login.token}` });
    expect(profile.status).toBe(401);
    expect(await profile.json()).toMatchObject({ reason: "Token not in allowlist" });
    const ended = await get(`/auth/session/validate?session_id=${login.session_id}`, byReader());
    expect(ended.status).toBe(401);
    expect(await ended.json()).toMatchObject({
      error: "invalid_session",
      valid: false,
      status: "revoked",
      reason: "not on the allowlist",
    });
  } finally {
    delete process.env.TARA_REQUIRE_ALLOWLIST;
    resetConfig();
  }
});
