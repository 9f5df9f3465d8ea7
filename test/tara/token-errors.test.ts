import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import type { StandInFaults } from "@/tara-stand-in/server";
import { CLIENT_SECRET, startJsonLogin, startTaraWorld, taraCallbackUrl, type TaraWorld } from "@/test/tara/support";

// TARA's token-endpoint refusals (RFC 6749 §5.2; TARA spec §4 for registered addresses)
// become answers someone can act on, and are logged without the code or the secret.
let world: TaraWorld;
beforeAll(async () => {
  world = await startTaraWorld({ TARA_TIMEOUT_MS: "800" });
});
afterEach(() => {
  world.tara.setFaults({});
  process.env.TARA_CLIENT_SECRET = CLIENT_SECRET;
  resetConfig();
});
afterAll(async () => world.close());

/** Runs a JSON login whose code exchange meets `faults`; returns TIM's answer, the code and what TIM logged meanwhile. */
async function exchangeWith(faults: StandInFaults) {
  const started = await startJsonLogin(world);
  const callback = await taraCallbackUrl(world, started.authorizationUrl, "EE38001085718");
  world.tara.setFaults(faults);
  const logged: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    logged.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    const res = await fetch(callback, { headers: { accept: "application/json" } });
    const body = (await res.json()) as { error: string; message: string; tara_error?: string };
    expect(await (await db()).taraJwtMetadata.count({ where: { oauthStateId: started.state } })).toBe(0);
    return { res, body, code: new URL(callback).searchParams.get("code")!, log: logged.join("") };
  } finally {
    process.stderr.write = write;
  }
}

function expectLoggedSafely(log: string, code: string, taraError: string) {
  const line = log.split("\n").find((l) => l.includes("tara token endpoint refused"));
  expect(line, log).toBeDefined();
  expect(JSON.parse(line!)).toMatchObject({ level: "error", tara_error: taraError });
  for (const secret of [code, CLIENT_SECRET, "wrong-secret-for-tara"]) expect(log).not.toContain(secret);
}

test("a wrong client secret (invalid_client): 502 telling the operator to check TARA_CLIENT_SECRET, logged", async () => {
  process.env.TARA_CLIENT_SECRET = "wrong-secret-for-tara";
  resetConfig();
  const { res, body, code, log } = await exchangeWith({});
  expect(res.status).toBe(502);
  expect(body).toMatchObject({ error: "tara_invalid_client", tara_error: "invalid_client" });
  expect(body.message).toContain("TARA_CLIENT_SECRET");
  expectLoggedSafely(log, code, "invalid_client");
});

test("a token request from an unregistered address (unauthorized_client): 502 telling the operator to register it with RIA", async () => {
  const { res, body, code, log } = await exchangeWith({ registeredAddresses: ["192.0.2.10"] });
  expect(res.status).toBe(502);
  expect(body).toMatchObject({ error: "tara_unauthorized_client", tara_error: "unauthorized_client" });
  expect(body.message).toMatch(/register TIM's outgoing addresses with RIA/);
  expectLoggedSafely(log, code, "unauthorized_client");
});

test("the same address registered: the login completes", async () => {
  const { res } = await exchangeWith({ registeredAddresses: ["127.0.0.1", "::ffff:127.0.0.1"] });
  expect(res.status).toBe(200);
});

test("TARA failing (5xx): 502 tara_unavailable, logged", async () => {
  const { res, body, log } = await exchangeWith({ tokenEndpoint: { status: 503 } });
  expect(res.status).toBe(502);
  expect(body.error).toBe("tara_unavailable");
  expect(log).toContain('"http_status":503');
});

test("TARA slower than TARA_TIMEOUT_MS: 504 tara_timeout", async () => {
  const { res, body } = await exchangeWith({ tokenEndpoint: { delayMs: 2_000 } });
  expect(res.status).toBe(504);
  expect(body.error).toBe("tara_timeout");
});

test("a code TARA no longer accepts (invalid_grant): 400, the person logs in again", async () => {
  const first = await startJsonLogin(world);
  const callback = new URL(await taraCallbackUrl(world, first.authorizationUrl, "EE38001085718"));
  // The stand-in's code is used by a first exchange; the same code under a fresh state is then refused by TARA.
  await fetch(callback, { headers: { accept: "application/json" } });
  const second = await startJsonLogin(world);
  callback.searchParams.set("state", second.state);
  const res = await fetch(callback, { headers: { accept: "application/json" } });
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: string; message: string };
  expect(body.error).toBe("tara_invalid_grant");
  expect(body.message).toContain("Please log in again");
});
