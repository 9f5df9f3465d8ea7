import { afterEach, expect, test } from "vitest";
import { config, resetConfig } from "@/lib/config/env";
import { startStandInIfNeeded } from "@/tara-stand-in/wire";

const KEYS = ["TARA_ISSUER", "TARA_CLIENT_ID", "TARA_CLIENT_SECRET", "TARA_REDIRECT_URI", "TIM_TARA_STAND_IN", "TIM_ALLOW_STAND_IN", "NEXTAUTH_URL"];
afterEach(() => {
  for (const key of KEYS) delete process.env[key];
  resetConfig();
});

test("without TARA_ISSUER the stand-in starts on loopback and TIM is pointed at it", async () => {
  const standIn = await startStandInIfNeeded(undefined, 3456);
  try {
    expect(standIn!.host).toBe("127.0.0.1");
    expect(standIn!.notes.join("\n")).toMatch(/SIMULATED/);
    const cfg = config();
    expect(cfg.TIM_TARA_STAND_IN).toBe(true);
    expect(cfg.TARA_ISSUER).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cfg.TARA_CLIENT_ID).toBe("tim-local");
    expect(cfg.TARA_REDIRECT_URI).toBe("http://localhost:3456/auth/callback/tara");
    const doc = await (await fetch(`${cfg.TARA_ISSUER}/.well-known/openid-configuration`)).json();
    expect(doc.issuer).toBe(cfg.TARA_ISSUER);
  } finally {
    await standIn?.stop();
  }
});

test("the stand-in refuses a non-loopback HOST unless TIM_ALLOW_STAND_IN=true", async () => {
  await expect(startStandInIfNeeded("0.0.0.0", 3456)).rejects.toThrow(/TIM_ALLOW_STAND_IN/);
  Object.assign(process.env, { TIM_ALLOW_STAND_IN: "true", NEXTAUTH_URL: "http://tim.lan:3456" });
  resetConfig();
  const standIn = await startStandInIfNeeded("0.0.0.0", 3456);
  try {
    expect(standIn!.host).toBe("0.0.0.0");
    expect(config().TARA_ISSUER).toMatch(/^http:\/\/tim\.lan:\d+$/);
    expect(config().TARA_REDIRECT_URI).toBe("http://tim.lan:3456/auth/callback/tara");
  } finally {
    await standIn?.stop();
  }
});

test("with TARA_ISSUER set no stand-in runs", async () => {
  process.env.TARA_ISSUER = "https://tara-test.ria.ee";
  resetConfig();
  expect(await startStandInIfNeeded(undefined, 3456)).toBeUndefined();
  expect(config().TIM_TARA_STAND_IN).toBe(false);
});
