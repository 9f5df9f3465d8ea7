import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { clientFormFields, updateClientFromConsole } from "@/lib/admin/clients";
import { hashClientSecret, verifyClientSecret } from "@/lib/clients/secret";
import { resetConfig } from "@/lib/config/env";
import { sourceAddress } from "@/lib/http/address";
import { syncRequestCounts } from "@/lib/ratelimit/requests";
import { useApi } from "@/test/support/use-api";
import { newClient, unique, type TestClient } from "@/test/tokens/helpers";

const FAILURES_PER_ADDRESS = 3;
const FAILURES_PER_CLIENT = 6;
const ADDRESS_LIMIT = 4;

beforeAll(async () => {
  process.env.TIM_AUTH_FAILURES_PER_ADDRESS = String(FAILURES_PER_ADDRESS);
  process.env.TIM_AUTH_FAILURES_PER_CLIENT = String(FAILURES_PER_CLIENT);
  process.env.TIM_ADDRESS_RATE_LIMIT_PER_MINUTE = String(ADDRESS_LIMIT);
  resetConfig();
});
const api = useApi();

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> };

/** A POST from a chosen loopback source address (127.0.0.0/8 all reach the server on 127.0.0.1). */
function post(base: string, path: string, auth: string | undefined, from = "127.0.0.1"): Promise<Answer> {
  const body = JSON.stringify({ content: { sub: unique("s") }, expirationInMinutes: 5 });
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      { method: "POST", localAddress: from, headers: { ...(auth ? { authorization: auth } : {}), "content-type": "application/json" } },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) }));
      },
    );
    req.once("error", reject);
    req.end(body);
  });
}

const generate = (client: { basic: string }, from?: string, base = api.server.url) => post(base, "/jwt/custom/generate", client.basic, from);
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
const wrong = (c: TestClient) => ({ basic: basic(c.clientId, "wrong-secret") });

describe("failed client authentications", () => {
  test("N wrong secrets from one address, then 429 with Retry-After for that address", async () => {
    const c = await newClient({ scopes: ["tokens:issue"] });
    for (let i = 0; i < FAILURES_PER_ADDRESS; i++) expect((await generate(wrong(c), "127.0.0.2")).status).toBe(401);
    const limited = await generate(wrong(c), "127.0.0.2");
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: "too_many_requests" });
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(Number(limited.headers["retry-after"])).toBeLessThanOrEqual(15 * 60);
    expect(limited.headers["ratelimit-limit"]).toBe(String(FAILURES_PER_ADDRESS));
    // Unknown client ids count the same: the address is limited, whatever it names.
    expect((await generate({ basic: basic(unique("nobody"), "x") }, "127.0.0.2")).status).toBe(429);
    // The owner, from its own address, is not affected.
    expect((await generate(c, "127.0.0.1")).status).toBe(200);
  });

  test("concurrent guesses cannot slip past the limit: each is counted before its secret is checked", async () => {
    const c = await newClient({ scopes: ["tokens:issue"] });
    const guesses = Array.from({ length: 10 }, (_, i) => ({ basic: basic(c.clientId, `guess-${i}`) }));
    const answers = await Promise.all(guesses.map((guess) => generate(guess, "127.0.0.9")));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array(FAILURES_PER_ADDRESS).fill(401), ...Array(10 - FAILURES_PER_ADDRESS).fill(429)]);
  });

  test("the real owner's correct secret still works while attackers from several addresses exhaust the client id", async () => {
    const c = await newClient({ scopes: ["tokens:issue"] });
    expect((await generate(c, "127.0.0.1")).status).toBe(200); // verified once: cached
    const attackers = ["127.0.0.3", "127.0.0.4", "127.0.0.5"];
    const statuses: number[] = [];
    for (const from of attackers) for (let i = 0; i < FAILURES_PER_ADDRESS + 1; i++) statuses.push((await generate(wrong(c), from)).status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(FAILURES_PER_CLIENT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(statuses.length - FAILURES_PER_CLIENT);
    // Every attacker address is limited now, and so is the client id for secrets not verified before...
    expect((await generate(wrong(c), "127.0.0.6")).status).toBe(429);
    // ...while the owner's verified secret goes on working, from any address.
    for (const from of ["127.0.0.1", "127.0.0.3"]) expect((await generate(c, from)).status).toBe(200);
  });
});

describe("secret checks", () => {
  test("run one at a time with a bounded queue: beyond it they are refused at once with 503 and Retry-After", async () => {
    const secretHash = await hashClientSecret("the-secret-of-this-test");
    const checks = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => verifyClientSecret(secretHash, i === 0 ? "the-secret-of-this-test" : "wrong")),
    );
    const refused = checks.filter((c) => c.status === "rejected");
    expect(refused).toHaveLength(40 - 1 - 32);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toMatchObject({ status: 503, headers: { "retry-after": "1" } });
    expect(checks[0]).toEqual({ status: "fulfilled", value: true });
    expect(checks.filter((c) => c.status === "fulfilled" && c.value === false)).toHaveLength(32);
  }, 60_000);

  test("concurrent requests with the same new credentials share one secret check", async () => {
    const c = await newClient({ scopes: ["tokens:issue"] });
    const answers = await Promise.all(Array.from({ length: 2 * FAILURES_PER_ADDRESS + 2 }, () => generate(c, "127.0.0.10")));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
  });
});

describe("per-client request limit", () => {
  test("past its limit a client gets 429 with Retry-After and RateLimit-* headers; other clients do not", async () => {
    const c = await newClient({ scopes: ["tokens:issue"], rateLimitPerMinute: 5 });
    const other = await newClient({ scopes: ["tokens:issue"], rateLimitPerMinute: 5 });
    for (let i = 0; i < 5; i++) expect((await generate(c)).status).toBe(200);
    const limited = await generate(c);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: "too_many_requests" });
    expect(limited.headers).toMatchObject({ "ratelimit-limit": "5", "ratelimit-remaining": "0" });
    const reset = Number(limited.headers["ratelimit-reset"]);
    expect(reset).toBeGreaterThan(0);
    expect(reset).toBeLessThanOrEqual(60);
    expect(limited.headers["retry-after"]).toBe(String(reset));
    expect((await generate(other)).status).toBe(200);
  });

  test("a refusal is answered after a pause, so a flood that waits for its answers is slowed; others are not held up", async () => {
    const c = await newClient({ scopes: ["tokens:issue"], rateLimitPerMinute: 1 });
    const other = await newClient({ scopes: ["tokens:issue"] });
    expect((await generate(c)).status).toBe(200);
    const started = Date.now();
    const refused = Promise.all(Array.from({ length: 20 }, () => generate(c)));
    // While the 20 refusals wait, another client is answered.
    expect((await generate(other)).status).toBe(200);
    const answers = await refused;
    expect(answers.filter((a) => a.status !== 429).map((a) => [a.status, a.body])).toEqual([]);
    // A lower bound only (the pause is a fixed 1 s), so it cannot flake on a slow machine.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  test("the console's setting changes a client's limit", async () => {
    const c = await newClient({ scopes: ["tokens:issue"], rateLimitPerMinute: 2 });
    for (let i = 0; i < 2; i++) expect((await generate(c)).status).toBe(200);
    expect((await generate(c)).status).toBe(429);
    // As the console's edit form sends it.
    const form = new FormData();
    form.append("scopes", "tokens:issue");
    form.append("rateLimitPerMinute", "4");
    await updateClientFromConsole(c.clientId, { ...clientFormFields(form), name: undefined }, { type: "administrator", id: "EE38001085718" });
    expect((await generate(c)).status).toBe(200);
    expect((await generate(c)).status).toBe(200);
    const limited = await generate(c);
    expect(limited.status).toBe(429);
    expect(limited.headers["ratelimit-limit"]).toBe("4");
  });
});

describe("per-address request limit", () => {
  test("requests without client credentials are limited per source address; credentialed ones are not", async () => {
    const c = await newClient({ scopes: ["tokens:issue"] });
    const statuses: number[] = [];
    for (let i = 0; i < ADDRESS_LIMIT + 1; i++) statuses.push((await post(api.server.url, "/jwt/custom/list/me", undefined, "127.0.0.8")).status);
    expect(statuses.slice(0, ADDRESS_LIMIT).every((s) => s !== 429)).toBe(true);
    expect(statuses[ADDRESS_LIMIT]).toBe(429);
    const limited = await post(api.server.url, "/jwt/custom/list/me", undefined, "127.0.0.8");
    expect(limited.headers).toMatchObject({ "ratelimit-limit": String(ADDRESS_LIMIT), "ratelimit-remaining": "0" });
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    for (let i = 0; i < ADDRESS_LIMIT + 1; i++) expect((await generate(c, "127.0.0.8")).status).toBe(200);
  });
});

describe("source address", () => {
  const at = (remoteAddress: string, forwarded?: string) => ({
    method: "GET",
    url: "http://tim/",
    body: null,
    remoteAddress,
    headers: { get: (name: string) => (name === "x-forwarded-for" ? (forwarded ?? null) : null) },
  });

  test("X-Forwarded-For is believed only from TIM_TRUSTED_PROXIES", () => {
    expect(sourceAddress(at("::ffff:10.0.0.9", "198.51.100.7"))).toBe("10.0.0.9");
    process.env.TIM_TRUSTED_PROXIES = "10.0.0.0/8, ::1";
    resetConfig();
    try {
      expect(sourceAddress(at("10.0.0.9", "198.51.100.7"))).toBe("198.51.100.7");
      // A client-sent hop left of the proxies' own is not believed past the first untrusted one.
      expect(sourceAddress(at("10.0.0.9", "203.0.113.1, 198.51.100.7, 10.0.0.2"))).toBe("198.51.100.7");
      expect(sourceAddress(at("::1", "not-an-address"))).toBe("::1");
      expect(sourceAddress(at("192.0.2.1", "198.51.100.7"))).toBe("192.0.2.1");
    } finally {
      delete process.env.TIM_TRUSTED_PROXIES;
      resetConfig();
    }
  });
});

describe.runIf(process.env.DATABASE_URL)("limits across two TIM processes on PostgreSQL", () => {
  let second: ChildProcess;
  let secondUrl: string;

  beforeAll(async () => {
    second = spawn(process.execPath, ["--import", "tsx", "test/support/api-process.ts"], { env: process.env, stdio: ["ignore", "pipe", "inherit"] });
    secondUrl = await new Promise<string>((resolve, reject) => {
      let out = "";
      second.stdout!.on("data", (d) => {
        out += d;
        const ready = /^ready (\S+)/m.exec(out);
        if (ready) resolve(ready[1]);
      });
      second.once("exit", (code) => reject(new Error(`second instance exited (${code})`)));
    });
  }, 60_000);
  afterAll(() => void second?.kill("SIGTERM"));

  test("failed authentications counted by one instance limit the address on the other", async () => {
    const c = await newClient({ scopes: ["tokens:issue"] });
    for (let i = 0; i < FAILURES_PER_ADDRESS; i++) expect((await generate(wrong(c), "127.0.0.7")).status).toBe(401);
    expect((await generate(wrong(c), "127.0.0.7", secondUrl)).status).toBe(429);
    expect((await generate(c, "127.0.0.1", secondUrl)).status).toBe(200);
  });

  test("a client's request limit holds across instances (within one synchronisation interval)", async () => {
    const c = await newClient({ scopes: ["tokens:issue"], rateLimitPerMinute: 10 });
    for (let i = 0; i < 6; i++) expect((await generate(c)).status).toBe(200);
    await syncRequestCounts();
    expect((await generate(c, "127.0.0.1", secondUrl)).status).toBe(200);
    // The second instance adds its count and reads the total once a second.
    await new Promise((r) => setTimeout(r, 2_500));
    const there: number[] = [];
    for (let i = 0; i < 5; i++) there.push((await generate(c, "127.0.0.1", secondUrl)).status);
    expect(there).toEqual([200, 200, 200, 429, 429]);
    await new Promise((r) => setTimeout(r, 2_500));
    const limited = await generate(c);
    expect(limited.status).toBe(429);
    expect(limited.headers["ratelimit-limit"]).toBe("10");
  }, 20_000);
});
