import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { finishJsonLogin, startJsonLogin, startTaraWorld, taraCallbackUrl, type TaraWorld } from "@/test/tara/support";

// TARA_ACR and the methods in TARA_SCOPES are a floor a caller may raise, never lower.
let world: TaraWorld;
beforeAll(async () => {
  world = await startTaraWorld({ TARA_ACR: "substantial", TARA_SCOPES: "openid email idcard smartid" });
});
afterEach(() => {
  world.tara.setFaults({});
  process.env.TARA_ACR = "substantial";
  resetConfig();
});
afterAll(async () => world.close());

const start = (query: Record<string, string>, accept = "application/json") =>
  fetch(`${world.tim.url}/auth/login/tara?${new URLSearchParams(query)}`, { headers: { accept }, redirect: "manual" });

test("a lower level or a method outside the configured ones is refused with 400 and records no state", async () => {
  const prisma = await db();
  const before = await prisma.taraOauthState.count();
  const queries: Record<string, string>[] = [{ acr: "low" }, { methods: "eidas" }, { methods: "idcard,mid" }, { acr: "low", methods: "eidas" }];
  for (const query of queries) {
    const res = await start(query);
    expect(res.status, JSON.stringify(query)).toBe(400);
    expect(await res.json()).toMatchObject({ error: "below_configured_assurance" });
  }
  const page = await start({ acr: "low" }, "text/html");
  expect(page.status).toBe(400);
  expect(await page.text()).toContain("below the configured level of assurance substantial");
  expect(page.headers.getSetCookie()).toEqual([]);
  expect(await prisma.taraOauthState.count()).toBe(before);
});

test("a higher level and a subset of the methods are sent to TARA and recorded", async () => {
  const started = await startJsonLogin(world, { acr: "high", methods: "smartid" });
  const authorize = new URL(started.authorizationUrl);
  expect(authorize.searchParams.get("acr_values")).toBe("high");
  expect(authorize.searchParams.get("scope")).toBe("openid email smartid");
  const plain = new URL((await startJsonLogin(world)).authorizationUrl);
  expect(plain.searchParams.get("acr_values")).toBe("substantial");
  expect(plain.searchParams.get("scope")).toBe("openid email idcard smartid");
  const prisma = await db();
  expect(await prisma.taraOauthState.findUnique({ where: { state: started.state } })).toMatchObject({ requestedAcr: "high", requestedMethods: "smartid" });
});

/** A JSON login whose ID token TARA's stand-in alters as told. */
async function callbackWith(idTokenClaims: Record<string, unknown>, query: Record<string, string> = {}, raise?: () => void) {
  const started = await startJsonLogin(world, query);
  const callback = await taraCallbackUrl(world, started.authorizationUrl, "EE38001085718");
  world.tara.setFaults({ idTokenClaims });
  raise?.();
  const res = await finishJsonLogin(world, started, callback);
  const prisma = await db();
  return { res, body: (await res.json()) as Record<string, unknown>, issued: await prisma.taraJwtMetadata.count({ where: { oauthStateId: started.state } }) };
}

test("the ID token is checked against the configured floor when the caller asked for nothing", async () => {
  const amr = await callbackWith({ amr: ["mID"] });
  expect(amr.res.status).toBe(403);
  expect(amr.body).toMatchObject({ error: "method_not_allowed" });
  expect(amr.issued).toBe(0);
  const acr = await callbackWith({ acr: "low" });
  expect(acr.res.status).toBe(403);
  expect(acr.body).toMatchObject({ error: "insufficient_assurance" });
  expect(acr.issued).toBe(0);
});

test("the ID token is checked against the stricter of configured and requested", async () => {
  const requested = await callbackWith({ acr: "substantial" }, { acr: "high" });
  expect(requested.res.status).toBe(403);
  expect(requested.body).toMatchObject({ error: "insufficient_assurance" });
  // Configuration raised while the login was at TARA: the new floor applies.
  const raised = await callbackWith({ acr: "substantial" }, {}, () => {
    process.env.TARA_ACR = "high";
    resetConfig();
  });
  expect(raised.res.status).toBe(403);
  expect(raised.body).toMatchObject({ error: "insufficient_assurance" });
  expect(raised.issued).toBe(0);
  process.env.TARA_ACR = "substantial";
  resetConfig();
  const ok = await callbackWith({}, { acr: "substantial", methods: "idcard" });
  expect(ok.res.status).toBe(200);
  expect(ok.issued).toBe(1);
});
