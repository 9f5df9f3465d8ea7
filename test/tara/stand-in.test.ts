import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, expect, test } from "vitest";
import { TARA_PERSONAS } from "@/lib/tara/stand-in/personas";
import { startTaraStandIn, type TaraStandIn } from "@/lib/tara/stand-in/server";
import { Browser } from "@/test/tara/support";

const CLIENT = { id: "rp-client", secret: "rp-secret-0123456789" };
const REDIRECT = "http://127.0.0.1:9/callback";
let tara: TaraStandIn;

beforeAll(async () => {
  tara = await startTaraStandIn({ clientId: CLIENT.id, clientSecret: CLIENT.secret, redirectUris: [REDIRECT] });
});
afterAll(async () => tara.close());

const authorizeUrl = (params: Record<string, string>) =>
  `${tara.issuer}/oidc/authorize?${new URLSearchParams({
    response_type: "code",
    client_id: CLIENT.id,
    redirect_uri: REDIRECT,
    scope: "openid",
    state: "state-0123456789",
    nonce: "nonce-0123456789",
    ...params,
  })}`;

/** The query TARA sends the browser back with. */
async function callbackParams(params: Record<string, string>): Promise<Record<string, string>> {
  const { url } = await new Browser().followUntil(authorizeUrl(params), REDIRECT);
  expect(url.startsWith(REDIRECT)).toBe(true);
  return Object.fromEntries(new URL(url).searchParams);
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

async function redeem(code: string, auth: Record<string, string> = { authorization: basic(CLIENT.id, CLIENT.secret) }, extra: Record<string, string> = {}) {
  return fetch(`${tara.issuer}/oidc/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...auth },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT, ...extra }),
  });
}

test("discovery at TARA's paths: issuer without trailing slash, code flow, client_secret_basic or _post, RS256, no logout", async () => {
  expect(tara.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const doc = await (await fetch(`${tara.issuer}/.well-known/openid-configuration`)).json();
  const legacy = await (await fetch(`${tara.issuer}/oidc/.well-known/openid-configuration`)).json();
  expect(legacy).toEqual(doc);
  expect(doc).toMatchObject({
    issuer: tara.issuer,
    authorization_endpoint: `${tara.issuer}/oidc/authorize`,
    token_endpoint: `${tara.issuer}/oidc/token`,
    jwks_uri: `${tara.issuer}/oidc/jwks`,
    userinfo_endpoint: `${tara.issuer}/oidc/profile`,
    response_types_supported: ["code"],
    grant_types_supported: ["authorization_code"],
    // TARA spec §4.3: basic by default, post when registered so.
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    id_token_signing_alg_values_supported: ["RS256"],
    acr_values_supported: ["low", "substantial", "high"],
  });
  expect(doc.end_session_endpoint).toBeUndefined();
  const jwks = await (await fetch(`${tara.issuer}/oidc/jwks`)).json();
  expect(jwks.keys).toHaveLength(1);
  expect(jwks.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
  expect(jwks.keys[0].d).toBeUndefined();
});

test("an autologin yields TARA's ID token: claims, string aud, 40 s lifetime, kid from the JWKS", async () => {
  const params = await callbackParams({ autologin: "EE38001085718", scope: "openid email" });
  expect(params.state).toBe("state-0123456789");
  const res = await redeem(params.code);
  expect(res.status).toBe(200);
  const body = await res.json();
  expect(body.refresh_token).toBeUndefined();
  const { payload, protectedHeader } = await jwtVerify(body.id_token, createRemoteJWKSet(new URL(`${tara.issuer}/oidc/jwks`)), {
    issuer: tara.issuer,
    audience: CLIENT.id,
  });
  expect(protectedHeader.alg).toBe("RS256");
  expect(payload).toMatchObject({
    sub: "EE38001085718",
    aud: CLIENT.id,
    profile_attributes: { given_name: "JAAK-KRISTJAN", family_name: "JÕEORG", date_of_birth: "1980-01-08" },
    amr: ["idcard"],
    acr: "high",
    state: "state-0123456789",
    nonce: "nonce-0123456789",
    email: "38001085718@eesti.ee",
    email_verified: false,
  });
  expect(payload.exp! - payload.iat!).toBe(40);
  expect(payload.nbf).toBe(payload.iat);
  expect(payload.sid).toBeUndefined();
  expect(payload.azp).toBeUndefined();

  // Codes are single-use.
  const again = await redeem(params.code);
  expect(again.status).toBe(400);
  expect(await again.json()).toMatchObject({ error: "invalid_grant" });
});

test("only client_secret_basic authenticates at the token endpoint", async () => {
  const params = await callbackParams({ autologin: "EE60001017716" });
  const post = await redeem(params.code, {}, { client_id: CLIENT.id, client_secret: CLIENT.secret });
  expect(post.status).toBe(401);
  expect(await post.json()).toMatchObject({ error: "invalid_client" });
  const wrong = await redeem(params.code, { authorization: basic(CLIENT.id, "wrong-secret") });
  expect(wrong.status).toBe(401);
});

test("TARA's authorization errors: invalid_scope, invalid_state, unknown autologin", async () => {
  expect(await callbackParams({ scope: "openid profile" })).toMatchObject({ error: "invalid_scope", state: "state-0123456789" });
  expect(await callbackParams({ state: "short" })).toMatchObject({ error: "invalid_state" });
  expect(await callbackParams({ autologin: "EE00000000000" })).toMatchObject({ error: "invalid_request" });
  expect(await callbackParams({ acr_values: "medium" })).toMatchObject({ error: "invalid_request" });
});

test("the login page lists every persona with code, name and method; a method scope filters them; Cancel → user_cancel", async () => {
  const browser = new Browser();
  const { page } = await browser.followUntil(authorizeUrl({}), REDIRECT);
  const html = await page!.text();
  for (const p of TARA_PERSONAS) {
    expect(html).toContain(`data-persona="${p.sub}"`);
    expect(html).toContain(`${p.givenName} ${p.familyName}`);
    expect(html).toContain(p.methodLabel);
  }
  expect(html).toContain("SIMULATED");

  const { page: smartIdOnly } = await new Browser().followUntil(authorizeUrl({ scope: "openid smartid" }), REDIRECT);
  const filtered = await smartIdOnly!.text();
  expect(filtered).toContain('data-persona="EE30303039903"');
  expect(filtered).not.toContain('data-persona="EE38001085718"');

  const action = new URL(html.match(/action="([^"]+)"/)![1], tara.issuer).toString();
  const chosen = await browser.fetch(action, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "cancel=1",
  });
  const { url } = await browser.followUntil(new URL(chosen.headers.get("location")!, action).toString(), REDIRECT);
  expect(Object.fromEntries(new URL(url).searchParams)).toMatchObject({ error: "user_cancel", state: "state-0123456789" });
});

test("a persona button logs in as that persona, and TARA asks again next time (no SSO)", async () => {
  const browser = new Browser();
  const { page } = await browser.followUntil(authorizeUrl({}), REDIRECT);
  const action = new URL((await page!.text()).match(/action="([^"]+)"/)![1], tara.issuer).toString();
  const chosen = await browser.fetch(action, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "persona=EE30303039903",
  });
  const { url } = await browser.followUntil(new URL(chosen.headers.get("location")!, action).toString(), REDIRECT);
  const body = await (await redeem(new URL(url).searchParams.get("code")!)).json();
  const { payload } = await jwtVerify(body.id_token, createRemoteJWKSet(new URL(`${tara.issuer}/oidc/jwks`)));
  expect(payload).toMatchObject({ sub: "EE30303039903", amr: ["smartid"] });

  const second = await browser.followUntil(authorizeUrl({}), REDIRECT);
  expect(second.page?.status).toBe(200);
});

test("test-only faults: re-signed claims, unknown kid, token endpoint down", async () => {
  tara.setFaults({ idTokenClaims: { aud: "someone-else" }, unknownKid: true });
  const params = await callbackParams({ autologin: "EE60001017869" });
  const body = await (await redeem(params.code)).json();
  const jwks = await (await fetch(`${tara.issuer}/oidc/jwks`)).json();
  expect(jwks.keys.map((k: { kid: string }) => k.kid)).not.toContain(decodeProtectedHeader(body.id_token).kid);
  tara.setFaults({ tokenEndpoint: "down" });
  await expect(redeem("whatever")).rejects.toThrow();
  tara.setFaults({});
});
