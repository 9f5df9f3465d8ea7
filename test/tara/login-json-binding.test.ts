import { createHash } from "node:crypto";
import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { LOGIN_RESULT_TTL_MS } from "@/lib/tara/login-result";
import { redeemJsonLogin, startJsonLogin, startTaraWorld, taraCallbackUrl, type StartedJsonLogin, type TaraWorld } from "@/test/tara/support";

// Issue 12 §4, the JSON flow: its result reaches only the party that started it. The start answers a
// one-time login secret; the callback (whoever opens it) learns only that the login completed; the
// starter redeems the result once with the secret, and only then is a token issued.
const SCOPES = "openid idcard smartid";
let world: TaraWorld;
beforeAll(async () => {
  world = await startTaraWorld({ TARA_SCOPES: SCOPES });
});
afterEach(() => {
  world.tara.setFaults({});
  process.env.TARA_SCOPES = SCOPES;
  resetConfig();
});
afterAll(async () => world.close());

const PERSON = { sub: "EE38001085718", givenName: "JAAK-KRISTJAN", dateOfBirth: "1980-01-08" };
const JWT = /eyJ[\w-]+\.[\w-]+\./;

async function tokensOf(state: string) {
  return (await db()).taraJwtMetadata.count({ where: { oauthStateId: state } });
}

/** Neither a token nor anything about the person: status, cookies and body. */
async function expectNothingRevealed(res: Response) {
  const text = await res.text();
  expect(text).not.toMatch(JWT);
  for (const secret of [PERSON.sub, PERSON.sub.slice(2), PERSON.givenName, PERSON.dateOfBirth]) expect(text).not.toContain(secret);
  expect(res.headers.getSetCookie().some((c) => c.startsWith("TIM_TARA_JWT="))).toBe(false);
  return text;
}

async function completedAtTara(query: Record<string, string> = {}, persona = PERSON.sub): Promise<StartedJsonLogin & { callback: string }> {
  const started = await startJsonLogin(world, query);
  return { ...started, callback: await taraCallbackUrl(world, started.authorizationUrl, persona) };
}

const openCallback = (callback: string, accept = "application/json") => fetch(callback, { headers: { accept }, redirect: "manual" });

test("the start answers a one-time login secret; only its SHA-256 is stored", async () => {
  const started = await startJsonLogin(world);
  expect(started.loginSecret).toMatch(/^[\w-]{43}$/);
  expect(started.loginSecret).not.toBe(started.state);
  const row = await (await db()).taraOauthState.findUniqueOrThrow({ where: { state: started.state } });
  expect(row.loginSecretHash).toBe(createHash("sha256").update(started.loginSecret).digest("hex"));
  expect(JSON.stringify(row)).not.toContain(started.loginSecret);
  // A browser login has no secret (its binding is the state cookie).
  const browser = await fetch(`${world.tim.url}/auth/login/tara`, { redirect: "manual" });
  const state = new URL(browser.headers.get("location")!).searchParams.get("state")!;
  expect((await (await db()).taraOauthState.findUniqueOrThrow({ where: { state } })).loginSecretHash).toBeNull();
});

test("another party holding the callback URL gets nothing; the starter redeems its token", async () => {
  const login = await completedAtTara();
  // Whoever opens the callback (here: not the starter) completes the login but learns nothing.
  const other = await openCallback(login.callback);
  expect(other.status).toBe(200);
  const body = JSON.parse(await expectNothingRevealed(other));
  expect(body).toMatchObject({ status: "authentication_complete", provider: "tara" });
  expect(Object.keys(body).sort()).toEqual(["message", "provider", "status"]);
  expect(await tokensOf(login.state)).toBe(0);

  // Knowing the state (it is in the URL) is not enough to redeem.
  for (const loginSecret of [login.state, "x".repeat(43), login.loginSecret.slice(0, -1) + (login.loginSecret.at(-1) === "A" ? "B" : "A")]) {
    const guess = await redeemJsonLogin(world, { state: login.state, loginSecret });
    expect(guess.status).toBe(400);
    expect(JSON.parse(await expectNothingRevealed(guess))).toMatchObject({ error: "invalid_login_secret" });
  }
  expect(await tokensOf(login.state)).toBe(0);

  const res = await redeemJsonLogin(world, login);
  expect(res.status).toBe(200);
  expect(res.headers.get("cache-control")).toBe("no-store");
  const result = await res.json();
  expect(result).toMatchObject({ status: "authentication_success", provider: "tara", user_profile: { sub: PERSON.sub, given_name: PERSON.givenName } });
  expect(decodeJwt(result.token)).toMatchObject({ sub: PERSON.sub, sid: result.session_id, token_type: "tara_jwt" });
  expect(res.headers.getSetCookie().find((c) => c.startsWith("TIM_TARA_JWT="))).toContain(result.token);
  const prisma = await db();
  expect(await prisma.taraJwtMetadata.findFirstOrThrow({ where: { oauthStateId: login.state } })).toMatchObject({
    tokenHash: createHash("sha256").update(result.token).digest("hex"),
    sessionId: result.session_id,
  });
  // Redeemed: the identity waiting for the starter is gone.
  const row = await prisma.taraOauthState.findUniqueOrThrow({ where: { state: login.state } });
  expect(row.loginResult).toBeNull();
  expect(row.redeemedAt).not.toBeNull();
});

test("a browser TARA sends back to a JSON login's callback is redirected to the app, without token", async () => {
  const login = await completedAtTara({ redirect_uri: "/me" });
  const res = await openCallback(login.callback, "text/html");
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/me");
  await expectNothingRevealed(res);
  expect(await tokensOf(login.state)).toBe(0);
  expect((await redeemJsonLogin(world, login)).status).toBe(200);
  expect(await tokensOf(login.state)).toBe(1);
});

test("replay: a redeemed login is not redeemed again and its callback is not reopened", async () => {
  const login = await completedAtTara();
  expect((await openCallback(login.callback)).status).toBe(200);
  expect((await redeemJsonLogin(world, login)).status).toBe(200);
  const again = await redeemJsonLogin(world, login);
  expect(again.status).toBe(400);
  expect(JSON.parse(await expectNothingRevealed(again))).toMatchObject({ error: "invalid_state" });
  const reopened = await openCallback(login.callback);
  expect(reopened.status).toBe(400);
  expect(JSON.parse(await expectNothingRevealed(reopened))).toMatchObject({ error: "invalid_state" });
  expect(await tokensOf(login.state)).toBe(1);
});

test("concurrent redemptions: exactly one winner, one token", async () => {
  const login = await completedAtTara();
  expect((await openCallback(login.callback)).status).toBe(200);
  const answers = await Promise.all(Array.from({ length: 8 }, () => redeemJsonLogin(world, login)));
  const statuses = answers.map((a) => a.status).sort();
  expect(statuses).toEqual([200, 400, 400, 400, 400, 400, 400, 400]);
  const bodies = await Promise.all(answers.map((a) => a.json()));
  expect(bodies.filter((b) => typeof b.token === "string")).toHaveLength(1);
  expect(await tokensOf(login.state)).toBe(1);
});

test("before the callback the redemption is pending (409); an unredeemed result expires (400) and writes no token", async () => {
  const login = await completedAtTara();
  const early = await redeemJsonLogin(world, login);
  expect(early.status).toBe(409);
  expect(await early.json()).toMatchObject({ error: "login_pending" });
  expect((await openCallback(login.callback)).status).toBe(200);
  const prisma = await db();
  await prisma.taraOauthState.update({
    where: { state: login.state },
    data: { consumedAt: new Date(Date.now() - LOGIN_RESULT_TTL_MS - 1000) },
  });
  const late = await redeemJsonLogin(world, login);
  expect(late.status).toBe(400);
  expect(JSON.parse(await expectNothingRevealed(late))).toMatchObject({ error: "login_expired" });
  expect(await tokensOf(login.state)).toBe(0);

  // A login never brought back from TARA before its state expired.
  const abandoned = await startJsonLogin(world);
  await prisma.taraOauthState.update({ where: { state: abandoned.state }, data: { expiresAt: new Date(Date.now() - 1000) } });
  const gone = await redeemJsonLogin(world, abandoned);
  expect(gone.status).toBe(400);
  expect(await gone.json()).toMatchObject({ error: "login_expired" });
});

test("a failed login's error reaches the starter at redemption, with no token", async () => {
  const login = await completedAtTara();
  world.tara.setFaults({ idTokenClaims: { acr: "low" } });
  const callback = await openCallback(login.callback);
  expect(callback.status).toBe(403);
  expect(await callback.json()).toMatchObject({ error: "insufficient_assurance" });
  const res = await redeemJsonLogin(world, login);
  expect(res.status).toBe(403);
  expect(await res.json()).toMatchObject({ error: "insufficient_assurance", provider: "tara" });
  expect((await redeemJsonLogin(world, login)).status).toBe(400);
  expect(await tokensOf(login.state)).toBe(0);
});

test("methods narrowed mid-login: a login started with a method no longer configured is refused 400", async () => {
  const login = await completedAtTara({ methods: "smartid" }, "EE40404040009");
  process.env.TARA_SCOPES = "openid idcard";
  resetConfig();
  const res = await openCallback(login.callback);
  expect(res.status).toBe(400);
  const body = JSON.parse(await expectNothingRevealed(res));
  expect(body).toMatchObject({ error: "below_configured_assurance" });
  expect(body.message).toContain("no longer among the configured methods (idcard)");
  expect((await redeemJsonLogin(world, login)).status).toBe(400);
  expect(await tokensOf(login.state)).toBe(0);

  // Started for both, narrowed to one: only that one still passes.
  process.env.TARA_SCOPES = SCOPES;
  resetConfig();
  const smartid = await completedAtTara({}, "EE40404040009");
  const idcard = await completedAtTara();
  process.env.TARA_SCOPES = "openid idcard";
  resetConfig();
  const refused = await openCallback(smartid.callback);
  expect(refused.status).toBe(403);
  expect(await refused.json()).toMatchObject({ error: "method_not_allowed" });
  expect((await openCallback(idcard.callback)).status).toBe(200);
  expect((await redeemJsonLogin(world, idcard)).status).toBe(200);
  expect(await tokensOf(smartid.state)).toBe(0);
});

test("a browser login narrowed mid-login is refused the same way", async () => {
  process.env.TARA_SCOPES = SCOPES;
  resetConfig();
  const start = await fetch(`${world.tim.url}/auth/login/tara?methods=smartid`, { redirect: "manual" });
  const binding = start.headers
    .getSetCookie()
    .find((c) => c.startsWith("TIM_TARA_STATE="))!
    .split(";")[0];
  const state = new URL(start.headers.get("location")!).searchParams.get("state")!;
  const callback = await taraCallbackUrl(world, start.headers.get("location")!, "EE40404040009");
  process.env.TARA_SCOPES = "openid idcard";
  resetConfig();
  const res = await fetch(callback, { headers: { cookie: binding }, redirect: "manual" });
  expect(res.status).toBe(400);
  expect(await res.text()).toContain("no longer among the configured methods");
  expect(await tokensOf(state)).toBe(0);
});

test("bad redemption input answers 400 {error, message}", async () => {
  const post = (body: string, type = "application/json") =>
    fetch(`${world.tim.url}/auth/login/tara/result`, { method: "POST", headers: { "content-type": type }, body });
  const cases = [
    "",
    "{",
    "[]",
    "{}",
    JSON.stringify({ state: "abc" }),
    JSON.stringify({ state: "a\u0000b", login_secret: "x" }),
    JSON.stringify({ state: "a", login_secret: "b", extra: 1 }),
  ];
  for (const body of cases) {
    const res = await post(body);
    expect(res.status, body).toBe(400);
    const answer = await res.json();
    expect(typeof answer.error, body).toBe("string");
    expect(typeof answer.message, body).toBe("string");
  }
  const unknown = await post(JSON.stringify({ state: "x".repeat(43), login_secret: "y".repeat(43) }));
  expect(unknown.status).toBe(400);
  expect(await unknown.json()).toMatchObject({ error: "invalid_login_secret" });
});
