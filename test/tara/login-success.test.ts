import { createHash } from "node:crypto";
import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { TARA_PERSONAS } from "@/tara-stand-in/personas";
import { Browser, finishJsonLogin, startJsonLogin, startTaraWorld, taraCallbackUrl, type TaraWorld } from "@/test/tara/support";

let world: TaraWorld;
beforeAll(async () => {
  world = await startTaraWorld();
});
afterAll(async () => world.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function timJwks() {
  const res = await fetch(`${world.tim.url}/jwt/keys/public`);
  expect(res.status).toBe(200);
  return createLocalJWKSet(await res.json());
}

describe.each(TARA_PERSONAS.map((p) => [p.sub, p] as const))("TARA login as %s", (_sub, persona) => {
  test("issues the TIM TARA JWT with every claim and records every metadata column", async () => {
    const started = await startJsonLogin(world);
    expect(started.state.length).toBeGreaterThanOrEqual(32);
    const authorize = new URL(started.authorizationUrl);
    expect(authorize.origin + authorize.pathname).toBe(`${world.tara.issuer}/oidc/authorize`);
    const nonce = authorize.searchParams.get("nonce")!;
    expect(nonce.length).toBeGreaterThanOrEqual(32);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: "code",
      client_id: "tim-test-client",
      redirect_uri: world.callbackUrl,
      scope: "openid",
      state: started.state,
    });

    const callback = await taraCallbackUrl(world, started.authorizationUrl, persona.sub);
    const before = Math.floor(Date.now() / 1000);
    const res = await finishJsonLogin(world, started, callback);
    const after = Math.floor(Date.now() / 1000);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      status: "authentication_success",
      provider: "tara",
      user_profile: {
        sub: persona.sub,
        given_name: persona.givenName,
        family_name: persona.familyName,
        date_of_birth: persona.dateOfBirth,
        amr: [persona.amr],
        acr: "high",
      },
    });
    expect(body.session_id).toMatch(UUID);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("TIM_TARA_JWT="));
    expect(cookie).toMatch(new RegExp(`^TIM_TARA_JWT=${body.token.replaceAll(".", "\\.")}; Path=/; HttpOnly; SameSite=Lax; Max-Age=\\d+$`));
    expect(Number(cookie!.match(/Max-Age=(\d+)/)![1])).toBeGreaterThanOrEqual(3590);

    // The token verifies against TIM's published keys and carries exactly these claims.
    const { payload, protectedHeader } = await jwtVerify(body.token, await timJwks(), { issuer: "TIM", audience: "tim-audience" });
    expect(protectedHeader.kid).toBeTruthy();
    expect(Object.keys(payload).sort()).toEqual(
      ["iss", "aud", "sub", "jti", "iat", "exp", "token_type", "given_name", "family_name", "date_of_birth", "amr", "acr", "sid", "auth_time"].sort(),
    );
    expect(payload).toMatchObject({
      iss: "TIM",
      aud: "tim-audience",
      sub: persona.sub,
      token_type: "tara_jwt",
      given_name: persona.givenName,
      family_name: persona.familyName,
      date_of_birth: persona.dateOfBirth,
      amr: [persona.amr],
      acr: "high",
      sid: body.session_id,
    });
    expect(payload.jti).toMatch(UUID);
    expect(payload.iat).toBeGreaterThanOrEqual(before - 1);
    expect(payload.iat).toBeLessThanOrEqual(after);
    expect(payload.exp).toBe(payload.iat! + 60 * 60);
    // TARA sends no auth_time: the ID token's iat (the moment TARA authenticated) stands in.
    expect(payload.auth_time).toBeGreaterThanOrEqual(before - 40);
    expect(payload.auth_time).toBeLessThanOrEqual(payload.iat!);
    expect(body.expires_at).toBe(new Date(payload.exp! * 1000).toISOString());

    const prisma = await db();
    const rows = await prisma.taraJwtMetadata.findMany({ where: { oauthStateId: started.state } });
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row.id).toMatch(UUID);
    expect(row.id).not.toBe(payload.jti);
    expect(row.createdAt.getTime()).toBeGreaterThanOrEqual((before - 5) * 1000);
    expect(row).toMatchObject({
      jwtUuid: payload.jti,
      claimKeys: Object.keys(decodeJwt(body.token)).join(","),
      issuedAt: new Date(payload.iat! * 1000),
      expiresAt: new Date(payload.exp! * 1000),
      subject: persona.sub,
      jwtName: "TIM_TARA_JWT",
      audience: "tim-audience",
      issuer: "TIM",
      supersedes: null,
      originalJwtUuid: payload.jti,
      tokenHash: createHash("sha256").update(body.token).digest("hex"),
      tokenType: "tara_jwt",
      clientId: null,
      authMethod: persona.amr,
      levelOfAssurance: "high",
      sessionId: body.session_id,
      oauthStateId: started.state,
      givenName: persona.givenName,
      familyName: persona.familyName,
    });
    expect(row.claimsJson).toEqual(payload);

    const allow = await prisma.taraAllowlist.findUnique({ where: { jwtHash: row.tokenHash! } });
    expect(allow).toMatchObject({ jwtUuid: payload.jti, expiresAt: row.expiresAt });
    const state = await prisma.taraOauthState.findUnique({ where: { state: started.state } });
    expect(state).toMatchObject({ nonce, responseMode: "json", redirectUri: "/me", requestedAcr: null, requestedMethods: null });
    expect(state!.consumedAt).not.toBeNull();
  });
});

test("a browser login sets the cookie and redirects to the validated redirect_uri", async () => {
  const browser = new Browser();
  const start = await browser.fetch(`${world.tim.url}/auth/login/tara?redirect_uri=${encodeURIComponent("/me?tab=sessions")}`);
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get("location")!);
  authorize.searchParams.set("autologin", "EE38001085718");
  const { url: callback } = await browser.followUntil(authorize.toString(), world.callbackUrl);
  const res = await browser.fetch(callback);
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/me?tab=sessions");
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("TIM_TARA_JWT="))!;
  expect(cookie).toMatch(/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
  expect(cookie).not.toMatch(/Secure/);
  const token = browser.cookie(world.tim.url, "TIM_TARA_JWT")!;
  expect(decodeJwt(token)).toMatchObject({ sub: "EE38001085718", token_type: "tara_jwt", amr: ["idcard"] });
});

test("requested level and methods reach TARA and are recorded with the state", async () => {
  const started = await startJsonLogin(world, { acr: "high", methods: "smartid,mid", ui_locales: "et" });
  const authorize = new URL(started.authorizationUrl);
  expect(authorize.searchParams.get("acr_values")).toBe("high");
  expect(authorize.searchParams.get("scope")).toBe("openid smartid mid");
  expect(authorize.searchParams.get("ui_locales")).toBe("et");
  const callback = await taraCallbackUrl(world, started.authorizationUrl, "EE40404040009");
  const res = await finishJsonLogin(world, started, callback);
  expect(res.status).toBe(200);
  const prisma = await db();
  const state = await prisma.taraOauthState.findUnique({ where: { state: started.state } });
  expect(state).toMatchObject({ requestedAcr: "high", requestedMethods: "smartid,mid", uiLocales: "et" });
  const row = await prisma.taraJwtMetadata.findFirstOrThrow({ where: { oauthStateId: started.state } });
  expect(row).toMatchObject({ authMethod: "smartid", levelOfAssurance: "high" });
});
