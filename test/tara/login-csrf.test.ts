import { createHash } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { Browser, startTaraWorld, type TaraWorld } from "@/test/tara/support";

// Login CSRF (RFC 6749 §10.12, TARA.md "Binding `state` to the browser"): a callback
// link completed by one person must not sign in whoever opens it.
let world: TaraWorld;
beforeAll(async () => {
  world = await startTaraWorld();
});
afterAll(async () => world.close());

/** The attacker starts a browser login and completes it at TARA, stopping before TIM's callback. */
async function attackerCallback(attacker: Browser) {
  const start = await attacker.fetch(`${world.tim.url}/auth/login/tara?redirect_uri=${encodeURIComponent("/me")}`);
  expect(start.status).toBe(302);
  const binding = start.headers.getSetCookie().find((c) => c.startsWith("TIM_TARA_STATE="))!;
  const authorize = new URL(start.headers.get("location")!);
  const state = authorize.searchParams.get("state")!;
  authorize.searchParams.set("autologin", "EE38001085718");
  const { url } = await attacker.followUntil(authorize.toString(), world.callbackUrl);
  expect(url.startsWith(world.callbackUrl)).toBe(true);
  return { callback: url, state, binding };
}

async function expectNothingIssued(state: string) {
  const prisma = await db();
  expect(await prisma.taraJwtMetadata.count({ where: { oauthStateId: state } })).toBe(0);
  expect((await prisma.taraOauthState.findUniqueOrThrow({ where: { state } })).consumedAt).toBeNull();
}

test("the login start sets a short-lived HttpOnly cookie on the callback path holding the state's SHA-256", async () => {
  const { state, binding } = await attackerCallback(new Browser());
  const hash = createHash("sha256").update(state).digest("base64url");
  expect(binding).toBe(`TIM_TARA_STATE=${hash}; Path=/auth/callback/tara; HttpOnly; SameSite=Lax; Max-Age=1800`);
});

test("a callback link handed to a victim is refused for the victim and still works for the attacker's browser", async () => {
  const attacker = new Browser();
  const { callback, state } = await attackerCallback(attacker);

  const victims = [
    { name: "no cookie", headers: {} as Record<string, string> },
    { name: "another login's cookie", headers: { cookie: `TIM_TARA_STATE=${createHash("sha256").update("x".repeat(43)).digest("base64url")}` } },
    { name: "the raw state as cookie", headers: { cookie: `TIM_TARA_STATE=${state}` } },
  ];
  for (const victim of victims) {
    const res = await fetch(callback, { headers: victim.headers, redirect: "manual" });
    const html = await res.text();
    expect(res.status, victim.name).toBe(400);
    expect(html).toContain("not started in this browser");
    expect(html).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
    expect(res.headers.getSetCookie().some((c) => c.startsWith("TIM_TARA_JWT="))).toBe(false);
    expect(res.headers.getSetCookie()).toContain("TIM_TARA_STATE=; Path=/auth/callback/tara; HttpOnly; SameSite=Lax; Max-Age=0");
    await expectNothingIssued(state);
  }
  // A victim whose browser fetches it with Accept: application/json fares no better.
  const asJson = await fetch(callback, { headers: { accept: "application/json" }, redirect: "manual" });
  expect(asJson.status).toBe(400);
  await expectNothingIssued(state);

  // The state was not burnt: the browser that started the login completes it.
  const res = await attacker.fetch(callback);
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/me");
  expect(attacker.cookie(world.tim.url, "TIM_TARA_JWT")).toMatch(/^eyJ/);
  expect(attacker.cookie(world.tim.url, "TIM_TARA_STATE")).toBeUndefined();
  const prisma = await db();
  expect(await prisma.taraJwtMetadata.count({ where: { oauthStateId: state } })).toBe(1);
  expect((await prisma.taraOauthState.findUniqueOrThrow({ where: { state } })).consumedAt).not.toBeNull();
});
