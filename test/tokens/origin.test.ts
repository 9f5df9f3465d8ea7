import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import type { JobRunnerHandle } from "@/lib/jobs/start";
import { USER_AGENT_MAX_CHARS, storedAddress, storedUserAgent } from "@/lib/tokens/origin";
import { describeOrigin, networkOf } from "@/lib/tokens/origin-describe";
import { startTestRunner, waitFor } from "@/test/jobs/support";
import { Browser, finishJsonLogin, startJsonLogin, startTaraWorld, taraCallbackUrl, type TaraWorld } from "@/test/tara/support";
import { call, claimsOf, newClient, unique, type TestClient } from "@/test/tokens/helpers";

// Where a token came from (issue 17 §1): every way TIM issues a token records the asking client's address
// (X-Forwarded-For believed only from TIM_TRUSTED_PROXIES, here the test server's own loopback peer) and
// its User-Agent, on the row itself (one grouped insert, no query of its own).

let world: TaraWorld;
let client: TestClient;
let runner: JobRunnerHandle;
const url = (p: string) => `${world.tim.url}${p}`;

beforeAll(async () => {
  world = await startTaraWorld({ TIM_TRUSTED_PROXIES: "127.0.0.1, ::1" });
  client = await newClient();
  runner = await startTestRunner();
});
afterAll(async () => {
  delete process.env.TIM_TRUSTED_PROXIES;
  resetConfig();
  await runner.stop();
  await world.close();
});

/** An address of this run's own (TEST-NET-3 / documentation IPv6), so PostgreSQL's shared rows never mix runs. */
const address4 = () => `203.0.113.${randomInt(1, 255)}`;
const address6 = () => `2001:db8:${randomInt(1, 0xffff).toString(16)}::${randomInt(1, 0xffff).toString(16)}`;
const from = (address: string, userAgent: string) => ({ "x-forwarded-for": `198.18.0.1, ${address}`, "user-agent": userAgent });

async function originOf(kind: "custom" | "tara", jti: string) {
  const prisma = await db();
  const row =
    kind === "custom"
      ? await prisma.customJwtMetadata.findUniqueOrThrow({ where: { jwtUuid: jti } })
      : await prisma.taraJwtMetadata.findUniqueOrThrow({ where: { jwtUuid: jti } });
  return { clientAddress: row.clientAddress, userAgent: row.userAgent };
}

describe("custom tokens record the API caller's address and user agent", () => {
  test("issue: the nearest untrusted X-Forwarded-For hop and the User-Agent", async () => {
    const address = address4();
    const res = await call(url("/jwt/custom/generate"), {
      json: { content: { sub: unique("origin") }, expirationInMinutes: 5 },
      auth: client.basic,
      headers: from(address, "origin-test/1.0 (issue)"),
    });
    expect(res.status).toBe(200);
    expect(await originOf("custom", claimsOf(res.body.token).jti)).toEqual({ clientAddress: address, userAgent: "origin-test/1.0 (issue)" });
  });

  test("without a trusted proxy the socket's peer is recorded, whatever X-Forwarded-For says", async () => {
    process.env.TIM_TRUSTED_PROXIES = "";
    resetConfig();
    try {
      const res = await call(url("/jwt/custom/generate"), {
        json: { content: { sub: unique("origin") }, expirationInMinutes: 5 },
        auth: client.basic,
        headers: from(address4(), "origin-test/1.0 (direct)"),
      });
      expect(res.status).toBe(200);
      expect(await originOf("custom", claimsOf(res.body.token).jti)).toEqual({ clientAddress: "127.0.0.1", userAgent: "origin-test/1.0 (direct)" });
    } finally {
      process.env.TIM_TRUSTED_PROXIES = "127.0.0.1, ::1";
      resetConfig();
    }
  });

  test("batch issue: every token of the batch, an IPv6 address; a long User-Agent is cut to its bound", async () => {
    const address = address6();
    const long = `origin-test/${"x".repeat(2000)}`;
    const res = await call(url("/jwt/custom/generate/batch"), {
      json: { tokens: [{ content: { sub: unique("b1") } }, { content: { sub: unique("b2") } }, { content: { sub: unique("b3") } }] },
      auth: client.basic,
      headers: from(address, long),
    });
    expect(res.status).toBe(200);
    for (const t of res.body.tokens as { token: string }[]) {
      const origin = await originOf("custom", claimsOf(t.token).jti);
      expect(origin.clientAddress).toBe(address);
      expect(origin.userAgent).toBe(long.slice(0, USER_AGENT_MAX_CHARS));
    }
  });

  test("async issue mode: the values travel with the row to the background job", async () => {
    process.env.TIM_METADATA_WRITE_MODE = "async";
    resetConfig();
    try {
      const address = address4();
      const res = await call(url("/jwt/custom/generate"), {
        json: { content: { sub: unique("async-origin") }, expirationInMinutes: 5 },
        auth: client.basic,
        headers: from(address, "origin-test/1.0 (async)"),
      });
      expect(res.status).toBe(200);
      const jti = claimsOf(res.body.token).jti as string;
      const prisma = await db();
      const row = await waitFor(() => prisma.customJwtMetadata.findUnique({ where: { jwtUuid: jti } }).then((r) => r ?? undefined));
      expect({ clientAddress: row.clientAddress, userAgent: row.userAgent }).toEqual({ clientAddress: address, userAgent: "origin-test/1.0 (async)" });
    } finally {
      delete process.env.TIM_METADATA_WRITE_MODE;
      resetConfig();
    }
  });

  test("extension: the new version gets the extender's address and user agent, the old keeps its own", async () => {
    const [issuer, extender] = [address4(), address6()];
    const issued = await call(url("/jwt/custom/generate"), {
      json: { content: { sub: unique("extend-origin") }, expirationInMinutes: 5 },
      auth: client.basic,
      headers: from(issuer, "origin-test/1.0 (issuer)"),
    });
    const extended = await call(url("/jwt/custom/extend"), {
      json: { token: issued.body.token, expirationInMinutes: 5 },
      auth: client.basic,
      headers: from(extender, "origin-test/1.0 (extender)"),
    });
    expect(extended.status).toBe(200);
    expect(await originOf("custom", claimsOf(issued.body.token).jti)).toEqual({ clientAddress: issuer, userAgent: "origin-test/1.0 (issuer)" });
    expect(await originOf("custom", claimsOf(extended.body.token).jti)).toEqual({ clientAddress: extender, userAgent: "origin-test/1.0 (extender)" });
  });
});

describe("TARA tokens record the person's browser at the callback", () => {
  /** A browser that sends its own User-Agent and comes through the (trusted) proxy from `address`. */
  const browserAt = (address: string, userAgent: string) =>
    new Browser((u, init) => {
      const headers = new Headers(init.headers);
      for (const [k, v] of Object.entries(from(address, userAgent))) headers.set(k, v);
      return fetch(u, { ...init, headers });
    });

  test("redirect flow: the browser's address and user agent; a TARA extension records the extender's", async () => {
    const address = address4();
    const ua = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    const browser = browserAt(address, ua);
    const start = await browser.fetch(url(`/auth/login/tara?redirect_uri=${encodeURIComponent("/me")}`));
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get("location")!);
    authorize.searchParams.set("autologin", "EE38001085718");
    const { url: callback } = await browser.followUntil(authorize.toString(), world.callbackUrl);
    const done = await browser.fetch(callback);
    expect(done.status).toBe(303);
    const token = browser.cookie(world.tim.url, "TIM_TARA_JWT")!;
    expect(token).toBeTruthy();
    expect(await originOf("tara", claimsOf(token).jti)).toEqual({ clientAddress: address, userAgent: ua });

    const extender = address6();
    const extended = await call(url("/jwt/tara/extend"), { json: { token }, headers: from(extender, "origin-test/1.0 (tara extender)") });
    expect(extended.status).toBe(200);
    expect(await originOf("tara", claimsOf(extended.body.token).jti)).toEqual({ clientAddress: extender, userAgent: "origin-test/1.0 (tara extender)" });
  });

  test("JSON flow: the browser at the callback, not the starter that redeems the result", async () => {
    const address = address4();
    const started = await startJsonLogin(world);
    const callback = await taraCallbackUrl(world, started.authorizationUrl, "EE38001085718");
    const res = await finishJsonLogin(world, started, callback, from(address, "origin-test/1.0 (json browser)"));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string };
    expect(await originOf("tara", claimsOf(body.token).jti)).toEqual({ clientAddress: address, userAgent: "origin-test/1.0 (json browser)" });
  });
});

describe("stored values and their description", () => {
  test("user agents lose control characters and are cut by code point; addresses lose an IPv6 zone", () => {
    expect(storedUserAgent("a\tb\u0001c")).toBe("abc");
    expect(storedUserAgent("")).toBeNull();
    expect(storedUserAgent("😀".repeat(600))).toBe("😀".repeat(USER_AGENT_MAX_CHARS));
    expect(storedAddress("fe80::1%eth0")).toBe("fe80::1");
    expect(storedAddress("not-an-address")).toBeNull();
  });

  test("a browser and OS in words; private and loopback ranges named, public addresses shown as they are", () => {
    const chrome = describeOrigin({
      clientAddress: "192.168.1.20",
      userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    });
    expect(chrome).toMatchObject({ device: "Chrome 131 on Windows 10", platform: "desktop", network: "local network" });
    expect(describeOrigin({ clientAddress: "203.0.113.9", userAgent: "curl/8.5.0" })).toMatchObject({ device: "curl/8.5.0", network: null });
    expect(networkOf("127.0.0.1")).toBe("this computer");
    expect(networkOf("::1")).toBe("this computer");
    expect(networkOf("fd00::5")).toBe("local network");
    expect(networkOf("10.1.2.3")).toBe("local network");
    expect(networkOf("8.8.8.8")).toBeNull();
  });
});
