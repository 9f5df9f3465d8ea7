import { afterAll, beforeAll, expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { Browser, startTaraWorld, type TaraWorld } from "@/test/tara/support";

// TARA technical specification §6.2 "Timeouts": TARA's login session lasts 30 minutes.
let world: TaraWorld;
beforeAll(async () => {
  world = await startTaraWorld();
});
afterAll(async () => world.close());

test("a started login lives as long as TARA's 30-minute session: the state row and its binding cookie", async () => {
  const browser = new Browser();
  const start = await browser.fetch(`${world.tim.url}/auth/login/tara`);
  expect(start.status).toBe(302);
  const state = new URL(start.headers.get("location")!).searchParams.get("state")!;
  const binding = start.headers.getSetCookie().find((c) => c.startsWith("TIM_TARA_STATE="))!;
  expect(binding).toContain("Max-Age=1800");
  const row = await (await db()).taraOauthState.findUniqueOrThrow({ where: { state } });
  const lifetimeS = (row.expiresAt.getTime() - row.createdAt.getTime()) / 1000;
  console.log(`state lifetime ${lifetimeS.toFixed(3)} s`);
  expect(Math.round(lifetimeS / 60)).toBe(30);
});

test("a login finished 25 minutes after it started (past the old 10-minute limit) completes", async () => {
  const browser = new Browser();
  const start = await browser.fetch(`${world.tim.url}/auth/login/tara`);
  const authorize = new URL(start.headers.get("location")!);
  const state = authorize.searchParams.get("state")!;
  // The login started 25 minutes ago: move its recorded times back rather than wait.
  const prisma = await db();
  const row = await prisma.taraOauthState.findUniqueOrThrow({ where: { state } });
  const back = 25 * 60 * 1000;
  await prisma.taraOauthState.update({
    where: { state },
    data: { createdAt: new Date(row.createdAt.getTime() - back), expiresAt: new Date(row.expiresAt.getTime() - back) },
  });
  authorize.searchParams.set("autologin", "EE38001085718");
  const { url: callback } = await browser.followUntil(authorize.toString(), world.callbackUrl);
  const res = await browser.fetch(callback);
  expect(res.status).toBe(303);
  expect(res.headers.getSetCookie().some((c) => c.startsWith("TIM_TARA_JWT=ey"))).toBe(true);
});
