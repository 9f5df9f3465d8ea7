import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { config, resetConfig } from "@/lib/config/env";
import { finishJsonLogin, loginJson, startJsonLogin, startTaraWorld, taraCallbackUrl, type TaraWorld } from "@/test/tara/support";

// TARA technical specification §4.3: client_secret_basic by default, client_secret_post
// when registered so; TARA accepts only the registered one. The stand-in is
// registered with one method and refuses the other, so a success proves which was sent.

function useTimMethod(method: string | undefined) {
  if (method) process.env.TARA_CLIENT_AUTH_METHOD = method;
  else delete process.env.TARA_CLIENT_AUTH_METHOD;
  resetConfig();
}

async function loginFails(world: TaraWorld) {
  const started = await startJsonLogin(world);
  const callback = await taraCallbackUrl(world, started.authorizationUrl, "EE38001085718");
  return finishJsonLogin(world, started, callback);
}

for (const registered of ["client_secret_basic", "client_secret_post"] as const) {
  const other = registered === "client_secret_basic" ? "client_secret_post" : "client_secret_basic";
  describe(`TARA registered with ${registered}`, () => {
    let world: TaraWorld;
    beforeAll(async () => {
      world = await startTaraWorld({}, { clientAuthMethod: registered });
    });
    afterEach(() => useTimMethod(undefined));
    afterAll(async () => world.close());

    test(`TIM with TARA_CLIENT_AUTH_METHOD=${registered} logs in`, async () => {
      useTimMethod(registered);
      const login = await loginJson(world, "EE38001085718");
      expect(login.token).toMatch(/^eyJ/);
    });

    test(`TIM sending ${other} is refused by TARA`, async () => {
      useTimMethod(other);
      const res = await loginFails(world);
      expect(res.status).toBe(502);
      expect(((await res.json()) as { error: string }).error).toBe("tara_invalid_client");
    });
  });
}

test("without the setting TIM uses client_secret_basic, TARA's default", async () => {
  const world = await startTaraWorld({}, { clientAuthMethod: "client_secret_basic" });
  try {
    useTimMethod(undefined);
    expect((await loginJson(world, "EE38001085718")).token).toMatch(/^eyJ/);
  } finally {
    await world.close();
  }
});

test("TARA_CLIENT_AUTH_METHOD accepts only TARA's two methods", () => {
  useTimMethod("private_key_jwt");
  try {
    expect(() => config()).toThrow(/TARA_CLIENT_AUTH_METHOD/);
  } finally {
    useTimMethod(undefined);
  }
});
