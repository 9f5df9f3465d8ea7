import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { administratorActor } from "@/lib/audit/actors";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { runRetention } from "@/lib/retention/run";
import { readProtocolLog } from "@/lib/tara/protocol-log";
import { Browser, CLIENT_SECRET, finishJsonLogin, startJsonLogin, startTaraWorld, taraCallbackUrl, type TaraWorld } from "@/test/tara/support";

// TARA spec §5.3 "Logging": authentication request, redirect request and token response, in full, per login.
let world: TaraWorld;
beforeAll(async () => {
  world = await startTaraWorld();
});
afterEach(() => {
  world.tara.setFaults({});
  process.env.TARA_CLIENT_SECRET = CLIENT_SECRET;
  resetConfig();
});
afterAll(async () => world.close());

const entries = async (state: string) => (await db()).taraProtocolLog.findMany({ where: { state }, orderBy: [{ at: "asc" }, { id: "asc" }] });

function expectNoSecret(rows: unknown[]) {
  expect(JSON.stringify(rows)).not.toContain(CLIENT_SECRET);
}

test("a browser login leaves its three messages: the authentication request, the redirect request and the ID token", async () => {
  const browser = new Browser();
  const start = await browser.fetch(`${world.tim.url}/auth/login/tara`);
  const authorize = start.headers.get("location")!;
  const state = new URL(authorize).searchParams.get("state")!;
  const withAutologin = new URL(authorize);
  withAutologin.searchParams.set("autologin", "EE38001085718");
  const { url: callback } = await browser.followUntil(withAutologin.toString(), world.callbackUrl);
  expect((await browser.fetch(callback)).status).toBe(303);

  const rows = await entries(state);
  expect(rows.map((r) => r.message)).toEqual(["authentication_request", "redirect_request", "token_response"]);
  expect(rows[0].url).toBe(authorize);
  expect(rows[1].url).toBe(callback);
  expect(rows[1].url).toContain("code=");
  expect(rows[2]).toMatchObject({ httpStatus: 200, verified: true, error: null });
  expect(decodeJwt(rows[2].idToken!)).toMatchObject({ sub: "EE38001085718", iss: world.tara.issuer, aud: "tim-test-client" });
  expectNoSecret(rows);
});

test("an ID token TIM refuses is logged as received, marked unverified with the reason", async () => {
  const started = await startJsonLogin(world);
  const callback = await taraCallbackUrl(world, started.authorizationUrl, "EE38001085718");
  world.tara.setFaults({ idTokenClaims: { nonce: "not-the-nonce" } });
  expect((await finishJsonLogin(world, started, callback)).status).toBe(502);
  const token = (await entries(started.state)).find((r) => r.message === "token_response")!;
  expect(token).toMatchObject({ verified: false, error: "invalid_id_token" });
  expect(decodeJwt(token.idToken!).nonce).toBe("not-the-nonce");
});

test("a token-endpoint refusal is logged with TARA's error, and the secret TIM sent is not", async () => {
  process.env.TARA_CLIENT_SECRET = "a-wrong-secret-0123456789";
  resetConfig();
  const started = await startJsonLogin(world);
  const callback = await taraCallbackUrl(world, started.authorizationUrl, "EE38001085718");
  expect((await finishJsonLogin(world, started, callback)).status).toBe(502);
  const rows = await entries(started.state);
  expect(rows.find((r) => r.message === "token_response")).toMatchObject({
    idToken: null,
    verified: null,
    error: "tara_invalid_client (invalid_client)",
  });
  expect(JSON.stringify(rows)).not.toContain("a-wrong-secret-0123456789");
});

test("an administrator reads one login's messages; the reading is audited", async () => {
  const started = await startJsonLogin(world);
  const rows = await readProtocolLog(started.state, administratorActor("EE38001085718"), "req-protocol-1");
  expect(rows.map((r) => r.message)).toEqual(["authentication_request"]);
  const audit = await (await db()).audit.findFirst({ where: { action: "tara.protocol_log.read", requestId: "req-protocol-1" } });
  expect(audit).toMatchObject({ actorType: "administrator", actorId: "EE38001085718", target: { state: started.state }, counts: { messages: 1 } });
});

test("retention removes entries older than TIM_RETENTION_TARA_PROTOCOL_DAYS (default 365) and keeps the rest", async () => {
  const old = await startJsonLogin(world);
  const recent = await startJsonLogin(world);
  const prisma = await db();
  await prisma.taraProtocolLog.updateMany({ where: { state: old.state }, data: { at: new Date(Date.now() - 366 * 86_400_000) } });
  await prisma.taraProtocolLog.updateMany({ where: { state: recent.state }, data: { at: new Date(Date.now() - 364 * 86_400_000) } });
  const run = await runRetention({ trigger: "manual" });
  expect(run.counts["tara.protocol_log"]).toBeGreaterThanOrEqual(1);
  expect(await entries(old.state)).toEqual([]);
  expect(await entries(recent.state)).toHaveLength(1);
});
