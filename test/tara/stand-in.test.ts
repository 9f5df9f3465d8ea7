import { createHash } from "node:crypto";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, expect, test } from "vitest";
import { TARA_PERSONAS } from "@/tara-stand-in/personas";
import { startTaraStandIn, type TaraStandIn } from "@/tara-stand-in/server";
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
  // TARA does not offer PKCE or other response modes, and names no session claims.
  expect(doc.code_challenge_methods_supported).toBeUndefined();
  expect(doc.response_modes_supported).toBeUndefined();
  expect(doc.claims_supported).not.toContain("sid");
  expect(doc.claims_supported).not.toContain("auth_time");
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
    email: "jaak-kristjan.joeorg@eesti.ee",
    email_verified: false,
  });
  // at_hash: the left half of the access token's SHA-256, in standard Base64 as TARA sends it.
  expect(payload.at_hash).toBe(createHash("sha256").update(body.access_token).digest().subarray(0, 16).toString("base64"));
  expect(body.token_type).toBe("bearer");
  expect(payload.exp! - payload.iat!).toBe(40);
  expect(payload.nbf).toBe(payload.iat);
  expect(payload.sid).toBeUndefined();
  expect(payload.auth_time).toBeUndefined();
  expect(payload.azp).toBeUndefined();

  // Codes are single-use.
  const again = await redeem(params.code);
  expect(again.status).toBe(400);
  expect(await again.json()).toMatchObject({ error: "invalid_grant" });
});

test("only the registered client_secret_basic authenticates at the token endpoint", async () => {
  const params = await callbackParams({ autologin: "EE60001017716" });
  const post = await redeem(params.code, {}, { client_id: CLIENT.id, client_secret: CLIENT.secret });
  expect(post.status).toBe(401);
  expect(await post.json()).toMatchObject({ error: "invalid_client" });
  const wrong = await redeem(params.code, { authorization: basic(CLIENT.id, "wrong-secret") });
  expect(wrong.status).toBe(401);
});

test("the callback carries code and state only: no RFC 9207 iss (TARA sends none), 303 as TARA answers", async () => {
  const res = await new Browser().followUntil(authorizeUrl({ autologin: "EE60001017716" }), REDIRECT);
  const params = new URL(res.url).searchParams;
  expect([...params.keys()].sort()).toEqual(["code", "state"]);
});

test("a PKCE challenge is not bound to the code (TARA offers no PKCE)", async () => {
  const params = await callbackParams({ autologin: "EE60001017716", code_challenge: "a".repeat(43), code_challenge_method: "S256" });
  expect((await redeem(params.code)).status).toBe(200);
});

test("an unknown autologin identity is refused", async () => {
  expect(await callbackParams({ autologin: "EE00000000000" })).toMatchObject({ error: "invalid_request" });
});

test("the login page lists every persona with code, name and method; a method scope filters them; Cancel → user_cancel", async () => {
  const browser = new Browser();
  const { page } = await browser.followUntil(authorizeUrl({}), REDIRECT);
  const html = await page!.text();
  // Without acr_values TARA asks for substantial: the low-level identity is not offered.
  for (const p of TARA_PERSONAS.filter((p) => p.acr !== "low")) {
    expect(html).toContain(`data-persona="${p.id}"`);
    expect(html).toContain(`${p.givenName} ${p.familyName}`);
    expect(html).toContain(p.methodLabel);
  }
  expect(html).not.toContain('data-persona="CA12345-low"');
  expect(html).toContain("SIMULATED");

  const { page: smartIdOnly } = await new Browser().followUntil(authorizeUrl({ scope: "openid smartid" }), REDIRECT);
  const filtered = await smartIdOnly!.text();
  expect(filtered).toContain('data-persona="EE40404040009"');
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
    body: "persona=EE40404040009",
  });
  const { url } = await browser.followUntil(new URL(chosen.headers.get("location")!, action).toString(), REDIRECT);
  const body = await (await redeem(new URL(url).searchParams.get("code")!)).json();
  const { payload } = await jwtVerify(body.id_token, createRemoteJWKSet(new URL(`${tara.issuer}/oidc/jwks`)));
  expect(payload).toMatchObject({ sub: "EE40404040009", amr: ["smartid"] });

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

test("faults: Cancel pressed at TARA; codes that expire before they are redeemed", async () => {
  tara.setFaults({ cancel: true });
  expect(await callbackParams({ autologin: "EE60001017716" })).toMatchObject({ error: "user_cancel", state: "state-0123456789" });
  tara.setFaults({ shortLivedCodes: true });
  const params = await callbackParams({ autologin: "EE60001017716" });
  await new Promise((r) => setTimeout(r, 2100));
  const res = await redeem(params.code);
  expect(res.status).toBe(400);
  expect((await res.json()).error_description).toMatch(/The authorization code has expired\.$/);
  tara.setFaults({});
});

test("key rotation as TARA announces it (§5.4): two keys published, then signing with the new one, then the old one retired", async () => {
  const jwksUrl = `${tara.issuer}/oidc/jwks`;
  const kids = async () => ((await (await fetch(jwksUrl)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
  const signedKid = async () => decodeProtectedHeader((await (await redeem((await callbackParams({ autologin: "EE60001017716" })).code)).json()).id_token).kid;
  const oldKid = tara.keys.signingKid();
  expect(oldKid).toMatch(/^[0-9a-f-]{36}$/);
  const newKid = await tara.keys.publishNext();
  expect(await kids()).toEqual([oldKid, newKid]);
  expect(await signedKid()).toBe(oldKid);
  tara.keys.signWithNewest();
  expect(await signedKid()).toBe(newKid);
  tara.keys.retireOthers();
  expect(await kids()).toEqual([newKid]);
});

test("levels of assurance: the eIDAS identity at low only when acr_values=low asks for it; eidas:country:ca narrows to that node", async () => {
  const persona = async (params: Record<string, string>) => {
    const code = (await callbackParams(params)).code;
    const { payload } = await jwtVerify((await (await redeem(code)).json()).id_token, createRemoteJWKSet(new URL(`${tara.issuer}/oidc/jwks`)));
    return payload;
  };
  expect(await persona({ autologin: "CA12345-low", acr_values: "low", scope: "openid eidasonly eidas:country:ca" })).toMatchObject({
    sub: "CA12345",
    acr: "low",
    amr: ["eidas"],
    profile_attributes: { given_name: "javier", family_name: "Garcia", date_of_birth: "1965-01-01" },
  });
  expect(await persona({ autologin: "CA12345-substantial" })).toMatchObject({ sub: "CA12345", acr: "substantial" });
  // Asked for substantial (the default), a login at low is not offered.
  expect(await callbackParams({ autologin: "CA12345-low" })).toMatchObject({ error: "invalid_request" });

  const { page } = await new Browser().followUntil(authorizeUrl({ scope: "openid eidasonly eidas:country:ca", acr_values: "low" }), REDIRECT);
  const html = await page!.text();
  expect(html).toContain('data-persona="CA12345-low"');
  expect(html).toContain('data-tab="eu-citizen"');
  expect(html).not.toContain('data-tab="id-card"');
});
