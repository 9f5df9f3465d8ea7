import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { db } from "@/lib/db/client";
import type { StandInFaults } from "@/tara-stand-in/server";
import { Browser, finishJsonLogin, startJsonLogin, startTaraWorld, taraCallbackUrl, type TaraWorld } from "@/test/tara/support";

let world: TaraWorld;
beforeAll(async () => {
  // A short timeout keeps the "slow TARA" case quick.
  world = await startTaraWorld({ TARA_TIMEOUT_MS: "800", TARA_CLOCK_SKEW_SECONDS: "5" });
});
afterEach(() => world.tara.setFaults({}));
afterAll(async () => world.close());

const now = () => Math.floor(Date.now() / 1000);

/** The failure answer must carry no token and no cookie, and no metadata row may exist for the login. */
async function expectRefused(res: Response, state: string, status: number, error: string) {
  const text = await res.text();
  expect(res.status).toBe(status);
  expect(res.headers.getSetCookie().some((c) => c.startsWith("TIM_TARA_JWT="))).toBe(false);
  expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  if (res.headers.get("content-type")?.includes("json")) expect(JSON.parse(text)).toMatchObject({ error });
  await expectNothingIssued(state);
  return text;
}

async function expectNothingIssued(state: string) {
  const prisma = await db();
  expect(await prisma.taraJwtMetadata.count({ where: { oauthStateId: state } })).toBe(0);
}

/** A JSON login as `persona` while the stand-in misbehaves as told. */
async function loginWithFault(faults: StandInFaults, query: Record<string, string> = {}, persona = "EE38001085718") {
  const started = await startJsonLogin(world, query);
  const callback = await taraCallbackUrl(world, started.authorizationUrl, persona);
  world.tara.setFaults(faults);
  const res = await fetch(callback, { headers: { accept: "application/json" } });
  return { res, state: started.state };
}

test("user_cancel on TARA's page: back where the login started, marked cancelled; no token, no metadata, state burnt", async () => {
  const browser = new Browser();
  const start = await browser.fetch(`${world.tim.url}/auth/login/tara?redirect_uri=${encodeURIComponent("/me?tab=tokens")}`);
  const state = new URL(start.headers.get("location")!).searchParams.get("state")!;
  const { page } = await browser.followUntil(start.headers.get("location")!, world.callbackUrl);
  const html = await page!.text();
  expect(html).toContain("JAAK-KRISTJAN JÕEORG");
  expect(html).toContain('name="cancel"');
  const action = new URL(html.match(/action="([^"]+)"/)![1], world.tara.issuer).toString();
  const cancelled = await browser.fetch(action, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "cancel=1",
  });
  const { url: callback } = await browser.followUntil(new URL(cancelled.headers.get("location")!, action).toString(), world.callbackUrl);
  expect(new URL(callback).searchParams.get("error")).toBe("user_cancel");
  const res = await browser.fetch(callback);
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/me?tab=tokens&tara_login=cancelled");
  expect(res.headers.getSetCookie().some((c) => c.startsWith("TIM_TARA_JWT="))).toBe(false);
  expect(browser.cookie(world.callbackUrl, "TIM_TARA_STATE")).toBeUndefined();
  await expectNothingIssued(state);
  const row = await (await db()).taraOauthState.findUniqueOrThrow({ where: { state } });
  expect(row.consumedAt).not.toBeNull();
});

test("user_cancel in a JSON-started flow answers JSON", async () => {
  const started = await startJsonLogin(world);
  const res = await fetch(`${world.callbackUrl}?error=user_cancel&error_description=cancelled&state=${started.state}`);
  await expectRefused(res, started.state, 400, "user_cancel");
});

test("a replayed callback is refused and leaves exactly the first session", async () => {
  const started = await startJsonLogin(world);
  const callback = await taraCallbackUrl(world, started.authorizationUrl, "EE60001017716");
  expect((await finishJsonLogin(world, started, callback)).status).toBe(200);
  const again = await fetch(callback, { headers: { accept: "application/json" } });
  expect(again.status).toBe(400);
  expect(await again.json()).toMatchObject({ error: "invalid_state" });
  expect(again.headers.getSetCookie()).toEqual([]);
  expect(await (await db()).taraJwtMetadata.count({ where: { oauthStateId: started.state } })).toBe(1);
});

test("two concurrent callbacks with one state produce at most one session", async () => {
  const started = await startJsonLogin(world);
  const callback = await taraCallbackUrl(world, started.authorizationUrl, "EE60001017716");
  const answers = await Promise.all([1, 2].map(() => finishJsonLogin(world, started, callback)));
  expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
  expect(await (await db()).taraJwtMetadata.count({ where: { oauthStateId: started.state } })).toBe(1);
});

test("an expired state is refused and nothing is written", async () => {
  const started = await startJsonLogin(world);
  const callback = await taraCallbackUrl(world, started.authorizationUrl, "EE60001017716");
  const prisma = await db();
  await prisma.taraOauthState.update({ where: { state: started.state }, data: { expiresAt: new Date(Date.now() - 1000) } });
  const res = await fetch(callback, { headers: { accept: "application/json" } });
  await expectRefused(res, started.state, 400, "invalid_state");
  const row = await prisma.taraOauthState.findUniqueOrThrow({ where: { state: started.state } });
  expect(row.consumedAt).toBeNull();
});

test("a tampered state is refused and nothing is written", async () => {
  const started = await startJsonLogin(world);
  const callback = new URL(await taraCallbackUrl(world, started.authorizationUrl, "EE60001017716"));
  const last = started.state.at(-1) === "A" ? "B" : "A";
  callback.searchParams.set("state", started.state.slice(0, -1) + last);
  const res = await fetch(callback, { headers: { accept: "application/json" } });
  await expectRefused(res, started.state, 400, "invalid_state");
  await expectNothingIssued(callback.searchParams.get("state")!);
  const missing = await fetch(`${world.callbackUrl}?code=abc`, { headers: { accept: "application/json" } });
  expect(missing.status).toBe(400);
  expect(await missing.json()).toMatchObject({ error: "invalid_state" });
});

test("a tampered state in a browser flow gets a clear page", async () => {
  const res = await fetch(`${world.callbackUrl}?code=abc&state=${"x".repeat(43)}`);
  expect(res.status).toBe(400);
  expect(res.headers.get("content-type")).toContain("text/html");
  expect(await res.text()).toContain("Login expired");
});

test.each<[string, () => StandInFaults]>([
  ["wrong nonce", () => ({ idTokenClaims: { nonce: "not-the-nonce-tim-sent" } })],
  ["wrong audience", () => ({ idTokenClaims: { aud: "some-other-client" } })],
  ["audience as a list", () => ({ idTokenClaims: { aud: ["tim-test-client", "some-other-client"] } })],
  ["wrong issuer", () => ({ idTokenClaims: { iss: "https://tara.ria.ee" } })],
  ["expired ID token", () => ({ idTokenClaims: { iat: now() - 100, nbf: now() - 100, exp: now() - 60 } })],
  ["unknown kid", () => ({ unknownKid: true })],
  ["different state in the ID token", () => ({ idTokenClaims: { state: "someone-elses-state-value" } })],
  ["no amr", () => ({ idTokenClaims: { amr: [] } })],
])("%s: refused, no token, no metadata", async (_name, faults) => {
  const { res, state } = await loginWithFault(faults());
  const body = JSON.parse(await expectRefused(res, state, 502, "invalid_id_token"));
  expect(body.message).toMatch(/ID token was rejected/);
});

test("acr below the requested level is refused", async () => {
  const { res, state } = await loginWithFault({ idTokenClaims: { acr: "substantial" } }, { acr: "high" });
  await expectRefused(res, state, 403, "insufficient_assurance");
});

test("acr low is refused when no level was requested (substantial is the floor)", async () => {
  const { res, state } = await loginWithFault({ idTokenClaims: { acr: "low" } });
  await expectRefused(res, state, 403, "insufficient_assurance");
});

test("a method outside the requested ones is refused", async () => {
  const { res, state } = await loginWithFault({ idTokenClaims: { amr: ["idcard"] } }, { methods: "smartid" }, "EE40404040009");
  await expectRefused(res, state, 403, "method_not_allowed");
});

test("TARA's token endpoint down: 502, no token, no metadata", async () => {
  const { res, state } = await loginWithFault({ tokenEndpoint: "down" });
  await expectRefused(res, state, 502, "tara_unavailable");
});

test("TARA's token endpoint slower than TARA_TIMEOUT_MS: 504, no token, no metadata", async () => {
  const { res, state } = await loginWithFault({ tokenEndpoint: { delayMs: 3_000 } });
  await expectRefused(res, state, 504, "tara_timeout");
});

test("a browser flow with TARA down gets a clear page", async () => {
  const browser = new Browser();
  const start = await browser.fetch(`${world.tim.url}/auth/login/tara`);
  const state = new URL(start.headers.get("location")!).searchParams.get("state")!;
  const authorize = new URL(start.headers.get("location")!);
  authorize.searchParams.set("autologin", "EE38001085718");
  const { url: callback } = await browser.followUntil(authorize.toString(), world.callbackUrl);
  world.tara.setFaults({ tokenEndpoint: "down" });
  const res = await browser.fetch(callback);
  const html = await expectRefused(res, state, 502, "tara_unavailable");
  expect(html).toContain("TARA is not reachable");
});

test("an authorization code cannot be used twice at TARA", async () => {
  const started = await startJsonLogin(world);
  const callback = new URL(await taraCallbackUrl(world, started.authorizationUrl, "EE38001085718"));
  expect((await finishJsonLogin(world, started, callback.toString())).status).toBe(200);
  // Same code, fresh state: TIM's exchange is refused by TARA (invalid_grant).
  const second = await startJsonLogin(world);
  callback.searchParams.set("state", second.state);
  const res = await fetch(callback, { headers: { accept: "application/json" } });
  await expectRefused(res, second.state, 400, "tara_invalid_grant");
});

test("login start refuses redirect targets outside TIM_ALLOWED_REDIRECTS", async () => {
  for (const target of ["https://evil.example/steal", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]) {
    const res = await fetch(`${world.tim.url}/auth/login/tara?redirect_uri=${encodeURIComponent(target)}`, {
      headers: { accept: "application/json" },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_redirect_uri" });
  }
  const bad = await fetch(`${world.tim.url}/auth/login/tara?acr=medium`, { headers: { accept: "application/json" } });
  expect(bad.status).toBe(400);
  expect(await bad.json()).toMatchObject({ error: "invalid_request" });
});
