import { afterAll, beforeAll, expect, test } from "vitest";
import { webUserFromTaraToken } from "@/lib/auth/tara-user";
import { loginJson, startTaraWorld, type TaraWorld } from "@/test/tara/support";

let world: TaraWorld;
beforeAll(async () => {
  world = await startTaraWorld();
});
afterAll(async () => world.close());

test("the web session opens only from a valid, unrevoked TIM TARA JWT cookie", async () => {
  const login = await loginJson(world, "EE60001019906");
  const user = await webUserFromTaraToken(`other=1; TIM_TARA_JWT=${login.token}`);
  expect(user).toEqual({ id: "EE60001019906", name: "MARY ÄNN O’CONNEŽ-ŠUSLIK TESTNUMBER", sessionId: login.session_id });

  expect(await webUserFromTaraToken(undefined)).toBeNull();
  expect(await webUserFromTaraToken("TIM_TARA_JWT=not-a-jwt")).toBeNull();
  const forged = login.token.slice(0, -4) + (login.token.endsWith("AAAA") ? "BBBB" : "AAAA");
  expect(await webUserFromTaraToken(`TIM_TARA_JWT=${forged}`)).toBeNull();

  const logout = await fetch(`${world.tim.url}/auth/logout`, { method: "POST", headers: { authorization: `Bearer ${login.token}` } });
  expect(logout.status).toBe(200);
  expect(await webUserFromTaraToken(`TIM_TARA_JWT=${login.token}`)).toBeNull();
});
