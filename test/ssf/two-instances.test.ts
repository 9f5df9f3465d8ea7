import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CLIENT, instanceEnv, startInstance, type Instance } from "@/test/multi-instance/cluster";
import { call, claimsOf, unique } from "@/test/tokens/helpers";

/**
 * Poll delivery across two TIM processes on one PostgreSQL database (this test run's own):
 * a stream made on one instance is polled on either; what one acknowledges the other does
 * not deliver again. PostgreSQL only: PGlite is one process's embedded database.
 */
const databaseUrl = process.env.DATABASE_URL;
const auth = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString("base64")}`;
const instances: Instance[] = [];
const at = (i: number, path: string) => `http://127.0.0.1:${instances[i].port}${path}`;

describe.runIf(databaseUrl)("Shared Signals poll across two TIM instances", () => {
  beforeAll(async () => {
    instances.push(await startInstance(instanceEnv(databaseUrl!, { TIM_TEST_PORT: "3420" })));
    instances.push(await startInstance(instanceEnv(databaseUrl!, { TIM_TEST_PORT: "3421" })));
  }, 120_000);
  afterAll(() => {
    for (const i of instances) if (i.child.exitCode === null) i.child.kill("SIGTERM");
  });

  test("revoked on one instance, polled in turns on both: every event once, then none", async () => {
    const stream = await call(at(0, "/ssf/streams"), { json: {}, auth });
    expect(stream.status, stream.text).toBe(201);
    const poll = (i: number, json: unknown) => call(at(i, `/ssf/poll/${stream.body.stream_id}`), { json, auth });

    const issued = await call(at(1, "/jwt/custom/generate/batch"), {
      json: { tokens: Array.from({ length: 60 }, () => ({ content: { sub: unique("m") }, expirationInMinutes: 30 })) },
      auth,
    });
    const tokens: string[] = issued.body.tokens.map((t: { token: string }) => t.token);
    const revoked = await call(at(1, "/jwt/custom/revoke/bulk"), { json: { tokens, reason: "two instances" }, auth });
    expect(revoked.status, revoked.text).toBe(200);
    const wanted = new Set(tokens.map((t) => claimsOf(t).jti as string));

    const seen = new Map<string, number>();
    let ack: string[] = [];
    for (let turn = 0; turn < 20; turn++) {
      const res = await poll(turn % 2, { maxEvents: 25, ack, returnImmediately: true });
      expect(res.status, res.text).toBe(200);
      for (const set of Object.values(res.body.sets as Record<string, string>)) {
        const jti = claimsOf(set).sub_id.jti as string;
        if (wanted.has(jti)) seen.set(jti, (seen.get(jti) ?? 0) + 1);
      }
      ack = Object.keys(res.body.sets);
      if (!res.body.moreAvailable && ack.length === 0) break;
    }
    expect(seen.size).toBe(60);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    for (const i of [0, 1]) {
      const rest = Object.values((await poll(i, { maxEvents: 1000 })).body.sets as Record<string, string>);
      expect(rest.filter((set) => wanted.has(claimsOf(set).sub_id.jti))).toEqual([]);
    }
  }, 120_000);
});
