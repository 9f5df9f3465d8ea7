import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { finishJsonLogin, loginJson, startJsonLogin, startTaraWorld, taraCallbackUrl, type TaraWorld } from "@/test/tara/support";

// TIM against the stand-in doing what tara-test.ria.ee does: a signing-key rotation as TARA announces it
// (specification §5.4), and RIA's eIDAS identity at each level of assurance.
let world: TaraWorld;
beforeAll(async () => {
  world = await startTaraWorld({ TARA_SCOPES: "openid" });
});
afterEach(() => {
  world.tara.setFaults({});
  delete process.env.TARA_ACR;
  resetConfig();
});
afterAll(async () => world.close());

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("TARA rotates its key: logins keep working while two keys are published, after the switch, and after the old key is gone", async () => {
  expect(decodeJwt((await loginJson(world, "EE38001085718")).token).sub).toBe("EE38001085718");

  await world.tara.keys.publishNext();
  expect((await loginJson(world, "EE60001017716")).token).toBeTruthy();

  // TIM cached the one-key set a moment ago; the first ID token signed with the new key makes it refetch
  // (once its short cooldown since the last fetch has passed; TARA publishes days ahead).
  world.tara.keys.signWithNewest();
  await pause(2_100);
  expect((await loginJson(world, "EE38001085718")).token).toBeTruthy();

  world.tara.keys.retireOthers();
  expect((await loginJson(world, "EE40404040009")).token).toBeTruthy();
});

test("an ID token signed with a key TARA never published is refused even after a refetch", async () => {
  world.tara.setFaults({ unknownKid: true });
  await pause(2_100);
  const started = await startJsonLogin(world);
  const res = await finishJsonLogin(world, started, await taraCallbackUrl(world, started.authorizationUrl, "EE38001085718"));
  expect(res.status).toBe(502);
});

test("eIDAS: CA12345 logs in through TIM at substantial; at low only when TIM itself asks for low", async () => {
  const substantial = await loginJson(world, "CA12345-substantial", { methods: "eidasonly,eidas:country:ca" });
  expect(decodeJwt(substantial.token)).toMatchObject({ sub: "CA12345", acr: "substantial", amr: ["eidas"] });

  // TIM's default floor is TARA's substantial: TARA does not offer the low login at all.
  const started = await startJsonLogin(world, { methods: "eidasonly" });
  await expect(taraCallbackUrl(world, started.authorizationUrl, "CA12345-low")).resolves.toContain("error=invalid_request");

  process.env.TARA_ACR = "low";
  resetConfig();
  const low = await loginJson(world, "CA12345-low", { acr: "low", methods: "eidasonly" });
  expect(decodeJwt(low.token)).toMatchObject({ sub: "CA12345", acr: "low" });
});
