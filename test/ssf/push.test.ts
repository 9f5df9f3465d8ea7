import { createServer, type IncomingMessage, type Server } from "node:http";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from "jose";
import { revokeByQuery } from "@/lib/admin/revoke-by-query";
import { config, resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { jobs } from "@/lib/jobs/registry";
import { parseTokenQuery } from "@/lib/reporting/filters";
import { deliverPushStreams, pushOnRevocation } from "@/lib/ssf/push";
import { startTestServer, type TestServer } from "@/test/support/http";
import { seedTokens, unique } from "@/test/reporting/seed";
import { call, newClient, type TestClient } from "@/test/tokens/helpers";

/** The receiver's endpoint, on the free port it first took (the PostgreSQL and PGlite passes run this file at once in CI). */
let ENDPOINT: string;
const SECRET_HEADER = `Bearer receiver-secret-${crypto.randomUUID()}`;

/** A push receiver (RFC 8935) on loopback: `mode` says how it answers; it dedupes by jti, as receivers must. */
class Receiver {
  mode: "up" | "503" = "up";
  /** Answers 400 to the SET about this token (its jti), once or every time. */
  refuse?: string;
  readonly byJti = new Map<string, { set: string; times: number }>();
  readonly requests: { contentType?: string; authorization?: string }[] = [];
  private server?: Server;
  private port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.answer(req, res));
    // The same port when it comes back up (the streams name it).
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
    this.port = (this.server.address() as import("node:net").AddressInfo).port;
    ENDPOINT = `http://127.0.0.1:${this.port}/events`;
  }
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise((resolve) => s.close(resolve));
  }
  private async answer(req: IncomingMessage, res: import("node:http").ServerResponse) {
    let body = "";
    for await (const chunk of req) body += chunk;
    this.requests.push({ contentType: req.headers["content-type"], authorization: req.headers.authorization });
    if (this.mode === "503") return res.writeHead(503).end();
    const claims = decodeJwt(body) as Record<string, any>;
    if (this.refuse && claims.sub_id?.jti === this.refuse) {
      return res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ err: "invalid_key", description: "unknown key" }));
    }
    const seen = this.byJti.get(claims.jti as string);
    this.byJti.set(claims.jti as string, { set: body, times: (seen?.times ?? 0) + 1 });
    res.writeHead(202).end();
  }
  /** The token jtis of the SETs received for one stream (each counted once, whatever the redeliveries). */
  tokens(streamId: string): Set<string> {
    const ofStream = [...this.byJti.entries()].filter(([jti]) => jti.startsWith(`${streamId}:`));
    return new Set(ofStream.map(([, v]) => (decodeJwt(v.set) as Record<string, any>).sub_id?.jti));
  }
}

let server: TestServer;
let url: (path: string) => string;
let client: TestClient;
let jwks: ReturnType<typeof createLocalJWKSet>;
const receiver = new Receiver();
const streams: string[] = [];

function setEnv(name: string, value: string | undefined) {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  resetConfig();
}

beforeAll(async () => {
  setEnv("TIM_SSF_PUSH_ALLOW_INTERNAL", "true");
  setEnv("TIM_SSF_PUSH_MAX_BACKOFF_SECONDS", "1");
  server = await startTestServer();
  url = (p) => `${server.url}${p}`;
  client = await newClient({ scopes: ["ssf:receive"] });
  jwks = createLocalJWKSet((await call<JSONWebKeySet>(url("/jwt/keys/public"))).body);
  await receiver.start();
});
afterAll(async () => {
  // Push streams left behind would be retried by every later run against this database.
  for (const id of streams) await call(url(`/ssf/streams?stream_id=${id}`), { method: "DELETE", auth: client.basic });
  await receiver.stop();
  await server.close();
  setEnv("TIM_SSF_PUSH_ALLOW_INTERNAL", undefined);
  setEnv("TIM_SSF_PUSH_MAX_BACKOFF_SECONDS", undefined);
});

const createPushStream = async (delivery: Record<string, string> = { endpoint_url: ENDPOINT }) =>
  call(url("/ssf/streams"), { json: { delivery: { method: "urn:ietf:rfc:8935", ...delivery } }, auth: client.basic });

async function pushStream(delivery?: Record<string, string>): Promise<string> {
  const res = await createPushStream(delivery);
  expect(res.status, res.text).toBe(201);
  streams.push(res.body.stream_id);
  return res.body.stream_id;
}

async function revoke(n: number): Promise<string[]> {
  const jwtName = unique("push");
  const tokens = await seedTokens(Array.from({ length: n }, () => ({ jwtName })));
  const filters = parseTokenQuery(new URLSearchParams({ jwt_name: jwtName })).filters;
  const admin = { actor: { type: "administrator" as const, id: "EE38001085718" }, revokedBy: "admin:EE38001085718" };
  expect(await revokeByQuery({ filters, reason: "push test", confirmCount: n, ...admin })).toMatchObject({ mode: "done", revoked: n });
  return tokens.map((t) => t.jwtUuid);
}

const status = async (id: string) => (await call(url(`/ssf/streams/status?stream_id=${id}`), { auth: client.basic })).body;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the delivery job's work (as its cron ticks would) until `done`, at most `ms`. */
async function deliverUntil(done: () => boolean | Promise<boolean>, ms = 30_000): Promise<number> {
  const until = Date.now() + ms;
  let runs = 0;
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`not done after ${runs} delivery runs`);
    await deliverPushStreams();
    runs++;
    await sleep(100);
  }
  return runs;
}

describe("Shared Signals push delivery (RFC 8935)", () => {
  test("the configuration names push; the delivery job is a cron job run once at a time", async () => {
    const res = await call(url("/.well-known/ssf-configuration"));
    expect(res.body.delivery_methods_supported).toEqual(["urn:ietf:rfc:8936", "urn:ietf:rfc:8935"]);
    const job = jobs.find((j) => j.id === "ssf-push")!;
    expect(job.trigger.cron).toBe(config().TIM_SSF_PUSH_CRON);
    expect(job.concurrency).toBe(1);
  });

  test("endpoint validation: internal addresses and http refused with 400 {error, message} unless TIM_SSF_PUSH_ALLOW_INTERNAL", async () => {
    setEnv("TIM_SSF_PUSH_ALLOW_INTERNAL", undefined);
    try {
      for (const endpoint_url of [
        "http://10.0.0.1/",
        "http://169.254.169.254/",
        "http://localhost/",
        "https://10.0.0.1/",
        "https://169.254.169.254/latest",
        "https://[::1]/",
        "https://[fd00:ec2::254]/",
        "https://[::ffff:127.0.0.1]/",
        ENDPOINT,
      ]) {
        const res = await createPushStream({ endpoint_url });
        expect(res.status, endpoint_url).toBe(400);
        expect(res.body).toMatchObject({ error: "invalid_push_endpoint", message: expect.any(String) });
      }
      expect((await createPushStream({})).body.error).toBe("invalid_push_endpoint");
      expect((await createPushStream({ endpoint_url: "ftp://rs.example/" })).status).toBe(400);
    } finally {
      setEnv("TIM_SSF_PUSH_ALLOW_INTERNAL", "true");
    }
    // Allowed internal addresses still need https off loopback.
    expect((await createPushStream({ endpoint_url: "http://10.0.0.1/" })).body.error).toBe("invalid_push_endpoint");
    expect((await createPushStream({ method: "urn:example:carrier-pigeon" })).body.error).toBe("unsupported_delivery_method");
  });

  test("a push stream gets each revocation as a SET that verifies against the JWKS, with the receiver's authorization header, stored encrypted, which no read shows", async () => {
    setEnv("TIM_KEY_ENCRYPTION_SECRET", "push-test-key-encryption-secret");
    const id = await pushStream({ endpoint_url: ENDPOINT, authorization_header: SECRET_HEADER });
    for (const res of [await call(url(`/ssf/streams?stream_id=${id}`), { auth: client.basic }), await call(url("/ssf/streams"), { auth: client.basic })]) {
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(SECRET_HEADER.slice(7));
    }
    const one = (await call(url(`/ssf/streams?stream_id=${id}`), { auth: client.basic })).body;
    expect(one.delivery).toEqual({ method: "urn:ietf:rfc:8935", endpoint_url: ENDPOINT });
    expect(JSON.stringify(await status(id))).not.toContain(SECRET_HEADER.slice(7));
    const row = await (await db()).ssfStream.findUniqueOrThrow({ where: { streamId: id } });
    expect(row.pushAuthorizationEncrypted).toBe(true);
    expect(row.pushAuthorization).not.toContain(SECRET_HEADER.slice(7));

    const [jwtUuid] = await revoke(1);
    receiver.requests.length = 0;
    await deliverUntil(() => receiver.tokens(id).has(jwtUuid));
    const [set] = [...receiver.byJti.entries()]
      .filter(([jti, v]) => jti.startsWith(`${id}:`) && (decodeJwt(v.set) as any).sub_id?.jti === jwtUuid)
      .map(([, v]) => v);
    const { payload } = await jwtVerify(set.set, jwks, { issuer: config().TIM_ISSUER, audience: client.clientId, typ: "secevent+jwt" });
    expect((payload.jti as string).startsWith(`${id}:`)).toBe(true);
    // Every POST of this test's streams came with the header of the stream that has one.
    const ours = receiver.requests.filter((r) => r.authorization === SECRET_HEADER);
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.every((r) => r.contentType === "application/secevent+jwt")).toBe(true);
    expect((await status(id)).push).toMatchObject({ attempts: 0, next_attempt_at: null, last_error: null, failed_events: [] });

    // Without the secret the header cannot be opened: that stream backs off alone, the others go on.
    setEnv("TIM_KEY_ENCRYPTION_SECRET", undefined);
    const plain = await pushStream();
    const [next] = await revoke(1);
    await deliverUntil(() => receiver.tokens(plain).has(next));
    expect((await status(id)).push.last_error).toMatch(/TIM_KEY_ENCRYPTION_SECRET/);
    expect(receiver.tokens(id).has(next)).toBe(false);
    await call(url(`/ssf/streams?stream_id=${id}`), { method: "DELETE", auth: client.basic });
  });

  test("receiver down (connection refused, then 503) while 200 tokens are revoked, then up: every event arrives, none lost", async () => {
    const id = await pushStream();
    await deliverUntil(async () => (await status(id)).push.next_attempt_at === null); // nothing owed from before
    await receiver.stop();
    const wanted = await revoke(200);

    await deliverPushStreams();
    const refused = (await status(id)).push;
    expect(refused.last_error).toBe("ECONNREFUSED");
    expect(refused.attempts).toBe(1);
    expect(Date.parse(refused.next_attempt_at)).toBeGreaterThan(Date.now());

    receiver.mode = "503";
    await receiver.start();
    await deliverUntil(async () => (await status(id)).push.attempts >= 3, 10_000);
    expect((await status(id)).push.last_error).toBe("HTTP 503");
    expect(wanted.some((j) => receiver.tokens(id).has(j))).toBe(false);

    receiver.mode = "up";
    const due = Date.parse((await status(id)).push.next_attempt_at);
    await sleep(Math.max(0, due - Date.now()) + 20);
    const started = Date.now();
    await deliverUntil(() => wanted.every((j) => receiver.tokens(id).has(j)));
    const ms = Date.now() - started;
    expect((await status(id)).push).toMatchObject({ attempts: 0, last_error: null, failed_events: [] });
    // Delivered and acknowledged: nothing more is sent for this stream.
    const sent = () => [...receiver.byJti.entries()].filter(([jti]) => jti.startsWith(`${id}:`)).reduce((n, [, v]) => n + v.times, 0);
    const before = sent();
    await deliverPushStreams();
    expect(sent()).toBe(before);
    expect(before).toBeGreaterThanOrEqual(200);
    console.log(`push: 200 events delivered in ${ms} ms once the stream was due again (the receiver up)`);
  }, 90_000);

  test("a revocation is pushed as soon as it commits, with no run of the delivery job (pushOnRevocation)", async () => {
    const stop = pushOnRevocation();
    try {
      const id = await pushStream();
      const [jwtUuid] = await revoke(1);
      // Bounded wait: nothing here runs deliverPushStreams, only the revocation's announcement does.
      for (let i = 0; i < 200 && !receiver.tokens(id).has(jwtUuid); i++) await sleep(25);
      expect(receiver.tokens(id).has(jwtUuid)).toBe(true);
      // A burst of revocations is delivered whole, by a run or two rather than one per token.
      const burst = await revoke(50);
      for (let i = 0; i < 400 && !burst.every((j) => receiver.tokens(id).has(j)); i++) await sleep(25);
      expect(burst.filter((j) => !receiver.tokens(id).has(j))).toEqual([]);
    } finally {
      await stop();
    }
  });

  test.runIf(process.env.DATABASE_URL)(
    "an announced revocation held behind the delivery horizon (an older transaction open) is pushed once that transaction ends",
    async () => {
      const stop = pushOnRevocation();
      // A transaction with an xid, open across the revocation: the revocation's event waits behind it.
      const older = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await older.connect();
      try {
        const id = await pushStream();
        await older.query("BEGIN");
        await older.query("SELECT pg_current_xact_id()");
        const [jwtUuid] = await revoke(1);
        await sleep(300);
        expect(receiver.tokens(id).has(jwtUuid)).toBe(false);
        await older.query("COMMIT");
        // Nothing runs deliverPushStreams here: the announcement's run retries what it found held back.
        for (let i = 0; i < 200 && !receiver.tokens(id).has(jwtUuid); i++) await sleep(25);
        expect(receiver.tokens(id).has(jwtUuid)).toBe(true);
      } finally {
        await older.end().catch(() => undefined);
        await stop();
      }
    },
  );

  test("a 400 from the receiver marks that event failed (in the status, not retried) and the rest continue", async () => {
    const id = await pushStream();
    const [bad, ...good] = await revoke(3);
    receiver.refuse = bad;
    try {
      await deliverUntil(() => good.every((j) => receiver.tokens(id).has(j)));
      await deliverPushStreams();
      const push = (await status(id)).push;
      expect(push.failed_events).toEqual([
        { jti: expect.stringMatching(`^${id}:`), err: "invalid_key", description: "unknown key", failed_at: expect.any(String) },
      ]);
      expect(receiver.tokens(id).has(bad)).toBe(false);
      expect(push.last_error).toBeNull();
    } finally {
      receiver.refuse = undefined;
    }
    // Not retried once the receiver would take it.
    await deliverPushStreams();
    expect(receiver.tokens(id).has(bad)).toBe(false);
  });

  test("the endpoint is checked again at delivery: once internal addresses are no longer allowed, nothing is sent there", async () => {
    const id = await pushStream();
    setEnv("TIM_SSF_PUSH_ALLOW_INTERNAL", undefined);
    try {
      const [jwtUuid] = await revoke(1);
      await deliverPushStreams();
      expect((await status(id)).push.last_error).toMatch(/internal address/);
      expect(receiver.tokens(id).has(jwtUuid)).toBe(false);
    } finally {
      setEnv("TIM_SSF_PUSH_ALLOW_INTERNAL", "true");
    }
  });

  test("PATCH to poll drops the endpoint and the header; poll then serves the stream", async () => {
    const id = await pushStream({ endpoint_url: ENDPOINT, authorization_header: SECRET_HEADER });
    const res = await call(url("/ssf/streams"), { method: "PATCH", json: { stream_id: id, delivery: { method: "urn:ietf:rfc:8936" } }, auth: client.basic });
    expect(res.status, res.text).toBe(200);
    expect(res.body.delivery).toEqual({ method: "urn:ietf:rfc:8936", endpoint_url: url(`/ssf/poll/${id}`) });
    const row = await (await db()).ssfStream.findUniqueOrThrow({ where: { streamId: id } });
    expect([row.endpointUrl, row.pushAuthorization]).toEqual([null, null]);
  });
});
