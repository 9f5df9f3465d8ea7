import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CLIENT, instanceEnv, startInstance, type Instance } from "@/test/multi-instance/cluster";
import { call, claimsOf, unique } from "@/test/tokens/helpers";

/**
 * Push delivery by the cron job of two TIM processes on one PostgreSQL database: both run the
 * ssf-push job every second; the receiver is down while tokens are revoked, then up. Every event
 * arrives, and the receiver never has two POSTs of the stream in flight at once (one deliverer
 * per stream). PostgreSQL only: PGlite is one process's embedded database.
 */
const databaseUrl = process.env.DATABASE_URL;
const auth = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString("base64")}`;
const RECEIVER_PORT = 3434;
const instances: Instance[] = [];
const at = (i: number, path: string) => `http://127.0.0.1:${instances[i].port}${path}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const received = new Map<string, number>();
let inFlight = 0;
let maxInFlight = 0;
let receiver: Server | undefined;
async function startReceiver() {
  receiver = createServer(async (req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let body = "";
    for await (const chunk of req) body += chunk;
    await sleep(2); // long enough for a second deliverer to overlap, if there were one
    const jti = claimsOf(body).sub_id?.jti as string;
    received.set(jti, (received.get(jti) ?? 0) + 1);
    inFlight--;
    res.writeHead(202).end();
  });
  await new Promise<void>((resolve) => receiver!.listen(RECEIVER_PORT, "127.0.0.1", resolve));
}

describe.runIf(databaseUrl)("Shared Signals push across two TIM instances", () => {
  let streamId: string | undefined;
  beforeAll(async () => {
    const env = { TIM_SSF_PUSH_CRON: "* * * * * *", TIM_SSF_PUSH_ALLOW_INTERNAL: "true", TIM_SSF_PUSH_MAX_BACKOFF_SECONDS: "1" };
    instances.push(await startInstance(instanceEnv(databaseUrl!, { ...env, TIM_TEST_PORT: "3432" })));
    instances.push(await startInstance(instanceEnv(databaseUrl!, { ...env, TIM_TEST_PORT: "3433" })));
  }, 120_000);
  afterAll(async () => {
    if (streamId) await call(at(0, `/ssf/streams?stream_id=${streamId}`), { method: "DELETE", auth });
    for (const i of instances) if (i.child.exitCode === null) i.child.kill("SIGTERM");
    await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  });

  test("receiver down while 100 tokens are revoked, then up: the instances' cron job delivers every event, one POST at a time", async () => {
    const stream = await call(at(0, "/ssf/streams"), {
      json: { delivery: { method: "urn:ietf:rfc:8935", endpoint_url: `http://127.0.0.1:${RECEIVER_PORT}/ssf` } },
      auth,
    });
    expect(stream.status, stream.text).toBe(201);
    streamId = stream.body.stream_id as string;

    const issued = await call(at(1, "/jwt/custom/generate/batch"), {
      json: { tokens: Array.from({ length: 100 }, () => ({ content: { sub: unique("p") }, expirationInMinutes: 30 })) },
      auth,
    });
    const tokens: string[] = issued.body.tokens.map((t: { token: string }) => t.token);
    expect((await call(at(1, "/jwt/custom/revoke/bulk"), { json: { tokens, reason: "push, two instances" }, auth })).status).toBe(200);
    const wanted = tokens.map((t) => claimsOf(t).jti as string);

    // The job tries, finds nobody listening, and backs off.
    let status: Record<string, any> = {};
    for (let i = 0; i < 50 && !status.push?.last_error; i++, await sleep(200))
      status = (await call(at(1, `/ssf/streams/status?stream_id=${streamId}`), { auth })).body;
    expect(status.push.last_error).toBe("ECONNREFUSED");

    await startReceiver();
    const started = Date.now();
    while (!wanted.every((j) => received.has(j)) && Date.now() - started < 30_000) await sleep(100);
    expect(wanted.filter((j) => !received.has(j))).toEqual([]);
    expect(maxInFlight).toBe(1);
    const duplicates = wanted.filter((j) => received.get(j)! > 1).length;
    console.log(`push, two instances: 100 events in ${Date.now() - started} ms after the receiver came up, ${duplicates} delivered twice`);
  }, 120_000);
});
