import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import { revokeByQuery } from "@/lib/admin/revoke-by-query";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { parseTokenQuery } from "@/lib/reporting/filters";
import { SSF_EVENTS, VERIFICATION_EVENT } from "@/lib/ssf/events";
import { beginRetention, continueRetention, endRetention } from "@/lib/retention/run";
import { startTestServer, type TestServer } from "@/test/support/http";
import { seedTokens, unique } from "@/test/reporting/seed";
import { call, claimsOf, newClient, taraTokenFixture, type TestClient } from "@/test/tokens/helpers";

let server: TestServer;
let url: (path: string) => string;
let receiver: TestClient;
let issuer: TestClient;
let jwks: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
  server = await startTestServer();
  url = (p) => `${server.url}${p}`;
  receiver = await newClient({ scopes: ["ssf:receive"] });
  issuer = await newClient({ scopes: ["tokens:issue", "tokens:revoke"] });
  jwks = createLocalJWKSet((await call<JSONWebKeySet>(url("/jwt/keys/public"))).body);
});
afterAll(async () => server.close());

const createStream = async (client = receiver, json: unknown = { delivery: { method: "urn:ietf:rfc:8936" } }) => {
  const res = await call(url("/ssf/streams"), { json, auth: client.basic });
  expect(res.status, res.text).toBe(201);
  return res.body as { stream_id: string; aud: string; delivery: { endpoint_url: string } };
};
const poll = (streamId: string, json: unknown = { returnImmediately: true }, client = receiver) =>
  call<{ sets: Record<string, string>; moreAvailable: boolean }>(url(`/ssf/poll/${streamId}`), { json, auth: client.basic });

async function issue(n: number): Promise<string[]> {
  const res = await call(url("/jwt/custom/generate/batch"), {
    json: { tokens: Array.from({ length: n }, () => ({ content: { sub: unique("s") }, expirationInMinutes: 30 })) },
    auth: issuer.basic,
  });
  expect(res.status).toBe(200);
  return res.body.tokens.map((t: { token: string }) => t.token);
}

/** Verifies every SET of an answer with TIM's JWKS; returns their payloads by subject: the token's jti, the session, the stream (other tests' events too, on a shared database). */
async function verified(sets: Record<string, string>, aud: string) {
  const byJti = new Map<string, Record<string, any>>();
  for (const [jti, set] of Object.entries(sets)) {
    expect(decodeProtectedHeader(set).typ).toBe("secevent+jwt");
    const { payload } = await jwtVerify(set, jwks, { issuer: config().TIM_ISSUER, audience: aud, typ: "secevent+jwt" });
    expect(payload.jti).toBe(jti);
    const p = payload as Record<string, any>;
    byJti.set(p.sub_id.jti ?? p.sub_id.session?.id ?? p.sub_id.id, p);
  }
  return byJti;
}

describe("Shared Signals transmitter, poll delivery", () => {
  test("the SSF configuration names the endpoints, the JWKS and the delivery methods", async () => {
    const res = await call(url("/.well-known/ssf-configuration"));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      issuer: config().TIM_ISSUER,
      jwks_uri: url("/jwt/keys/public"),
      delivery_methods_supported: ["urn:ietf:rfc:8936", "urn:ietf:rfc:8935"],
      configuration_endpoint: url("/ssf/streams"),
      status_endpoint: url("/ssf/streams/status"),
      verification_endpoint: url("/ssf/verify"),
    });
  });

  test("create a stream, revoke a token, poll: one SET naming its jti; ack; poll again: gone", async () => {
    const stream = await createStream();
    expect(stream.delivery.endpoint_url).toBe(url(`/ssf/poll/${stream.stream_id}`));
    const [token] = await issue(1);
    const { jti, exp } = claimsOf(token);
    expect((await call(url("/jwt/custom/revoke"), { json: { token, reason: "leaked" }, auth: issuer.basic })).status).toBe(200);

    const first = await poll(stream.stream_id);
    expect(first.status).toBe(200);
    const events = await verified(first.body.sets, stream.aud);
    const set = events.get(jti)!;
    expect(set).toMatchObject({
      iss: config().TIM_ISSUER,
      aud: stream.aud,
      sub_id: { format: "jwt_id", iss: config().TIM_ISSUER, jti },
      // token_exp: the revoked token's own exp, so a receiver keeps the revocation no longer than that.
      events: { [SSF_EVENTS["token-revoked"]]: { reason: "leaked", token_exp: exp } },
    });
    expect(JSON.stringify(set)).not.toContain(token.split(".")[2]);

    // Not acknowledged: delivered again, same SET jti.
    const again = await poll(stream.stream_id);
    expect(Object.keys(again.body.sets)).toContain(set.jti);

    const acked = await poll(stream.stream_id, { ack: Object.keys(again.body.sets), returnImmediately: true });
    expect(acked.status).toBe(200);
    expect(Object.keys(acked.body.sets)).not.toContain(set.jti);
    expect(Object.keys((await poll(stream.stream_id)).body.sets)).not.toContain(set.jti);
  });

  test("a receiver away while 1,000 tokens are revoked by query polls them all in batches, each once until acked", async () => {
    const stream = await createStream();
    const other = await createStream(); // a second receiver's stream of the same client: gets every event too
    const jwtName = unique("mass");
    const tokens = await seedTokens(Array.from({ length: 1_000 }, () => ({ jwtName })));
    const filters = parseTokenQuery(new URLSearchParams({ jwt_name: jwtName })).filters;
    process.env.TIM_BULK_REVOKE_INLINE_MAX = "1000";
    const admin = { actor: { type: "administrator" as const, id: "EE38001085718" }, revokedBy: "admin:EE38001085718" };
    expect(await revokeByQuery({ filters, reason: "mass incident", confirmCount: 1_000, ...admin })).toMatchObject({ mode: "done", revoked: 1_000 });
    delete process.env.TIM_BULK_REVOKE_INLINE_MAX;

    const wanted = new Set(tokens.map((t) => t.jwtUuid));
    const seen = new Map<string, number>();
    let ack: string[] = [];
    let polls = 0;
    for (;;) {
      const res = await poll(stream.stream_id, { maxEvents: 300, ack, returnImmediately: true });
      expect(res.status).toBe(200);
      polls++;
      expect(Object.keys(res.body.sets).length).toBeLessThanOrEqual(300);
      for (const [jti] of await verified(res.body.sets, stream.aud)) if (wanted.has(jti)) seen.set(jti, (seen.get(jti) ?? 0) + 1);
      ack = Object.keys(res.body.sets);
      if (!res.body.moreAvailable) break;
    }
    await poll(stream.stream_id, { maxEvents: 0, ack });
    expect(seen.size).toBe(1_000);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(polls).toBeGreaterThanOrEqual(4);

    const rest = await poll(stream.stream_id, { maxEvents: 1000 });
    expect([...(await verified(rest.body.sets, stream.aud)).keys()].filter((j) => wanted.has(j))).toEqual([]);

    const otherFirst = await poll(other.stream_id, { maxEvents: 1000 });
    expect([...(await verified(otherFirst.body.sets, other.aud)).keys()].filter((j) => wanted.has(j)).length).toBe(1_000);
  });

  test("a rolled-back revocation sends nothing", async () => {
    const stream = await createStream();
    const [token] = await issue(1);
    const { jti, exp } = claimsOf(token);
    const prisma = await db();
    await expect(
      prisma.$transaction(async (tx) => {
        await tx.$executeRaw`INSERT INTO custom.denylist (jwt_uuid, expires_at, reason) VALUES (${jti}::uuid, to_timestamp(${exp}), 'rolled back')`;
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await prisma.customDenylist.findUnique({ where: { jwtUuid: jti } })).toBeNull();
    expect((await verified((await poll(stream.stream_id, { maxEvents: 1000 })).body.sets, stream.aud)).has(jti)).toBe(false);
    expect(await prisma.ssfEvent.count({ where: { jwtUuid: jti } })).toBe(0);
  });

  test("a TARA session ending is a CAEP session-revoked naming the session; an extension's old token is token-revoked", async () => {
    const stream = await createStream();
    const tara = await taraTokenFixture({ allowlist: "live" });
    const sid = tara.payload.sid;
    const logout = await call(url("/auth/logout"), { method: "POST", auth: `Bearer ${tara.token}` });
    expect(logout.status, logout.text).toBe(200);
    expect(logout.body).toMatchObject({ revoked: 1 });

    const [token] = await issue(1);
    const extended = await call(url("/jwt/custom/extend"), { json: { token, expirationInMinutes: 10 }, auth: issuer.basic });
    expect(extended.status, extended.text).toBe(200);

    const events = await verified((await poll(stream.stream_id, { maxEvents: 1000 })).body.sets, stream.aud);
    expect(events.get(sid)).toMatchObject({
      sub_id: { format: "complex", session: { format: "opaque", id: sid } },
      events: { [SSF_EVENTS["session-revoked"]]: { reason_admin: { en: "logout" }, token_exp: tara.payload.exp } },
    });
    expect(JSON.stringify(events.get(sid))).not.toContain(tara.sub);
    expect(events.get(claimsOf(token).jti)).toMatchObject({
      events: { [SSF_EVENTS["token-revoked"]]: { reason: "extended", token_exp: claimsOf(token).exp } },
    });
  });

  test("verification (SSF §8.1.4): the event comes with the receiver's state, to its own stream only, whatever it requested", async () => {
    const stream = await createStream(receiver, { events_requested: [SSF_EVENTS["session-revoked"]] });
    const other = await createStream();
    const res = await call(url("/ssf/verify"), { json: { stream_id: stream.stream_id, state: "hello-42" }, auth: receiver.basic });
    expect(res.status, res.text).toBe(204);
    const events = await verified((await poll(stream.stream_id, { maxEvents: 1000 })).body.sets, stream.aud);
    expect(events.get(stream.stream_id)).toMatchObject({
      sub_id: { format: "opaque", id: stream.stream_id },
      events: { [VERIFICATION_EVENT]: { state: "hello-42" } },
    });
    const elsewhere = await verified((await poll(other.stream_id, { maxEvents: 1000 })).body.sets, other.aud);
    expect([...elsewhere.values()].some((p) => VERIFICATION_EVENT in p.events)).toBe(false);
    const intruder = await newClient({ scopes: ["ssf:receive"] });
    expect((await call(url("/ssf/verify"), { json: { stream_id: stream.stream_id }, auth: intruder.basic })).status).toBe(404);
  });

  test("events_requested limits what is delivered; a paused stream holds events, enabled again it delivers them", async () => {
    const sessionsOnly = await createStream(receiver, { events_requested: [SSF_EVENTS["session-revoked"]] });
    const stream = await createStream();
    expect((await call(url("/ssf/streams/status"), { json: { stream_id: stream.stream_id, status: "paused" }, auth: receiver.basic })).body).toMatchObject({
      status: "paused",
    });
    const [token] = await issue(1);
    const { jti } = claimsOf(token);
    await call(url("/jwt/custom/revoke"), { json: { token }, auth: issuer.basic });
    expect((await verified((await poll(stream.stream_id)).body.sets, stream.aud)).has(jti)).toBe(false);
    expect((await verified((await poll(sessionsOnly.stream_id, { maxEvents: 1000 })).body.sets, sessionsOnly.aud)).has(jti)).toBe(false);
    await call(url("/ssf/streams/status"), { json: { stream_id: stream.stream_id, status: "enabled" }, auth: receiver.basic });
    expect((await verified((await poll(stream.stream_id, { maxEvents: 1000 })).body.sets, stream.aud)).has(jti)).toBe(true);
    const status = await call(url(`/ssf/streams/status?stream_id=${stream.stream_id}`), { auth: receiver.basic });
    expect(status.body).toEqual({ stream_id: stream.stream_id, status: "enabled" });
  });

  test("stream management: read, list, update, delete; another client cannot see, change or poll the stream (404)", async () => {
    const stream = await createStream(receiver, { description: "gateway" });
    const read = await call(url(`/ssf/streams?stream_id=${stream.stream_id}`), { auth: receiver.basic });
    expect(read.body).toMatchObject({ stream_id: stream.stream_id, description: "gateway", events_delivered: Object.values(SSF_EVENTS) });
    const listed = await call(url("/ssf/streams"), { auth: receiver.basic });
    expect(listed.body.map((s: { stream_id: string }) => s.stream_id)).toContain(stream.stream_id);
    const patched = await call(url("/ssf/streams"), { method: "PATCH", json: { stream_id: stream.stream_id, description: "edge" }, auth: receiver.basic });
    expect(patched.body).toMatchObject({ description: "edge" });

    const intruder = await newClient({ scopes: ["ssf:receive"] });
    expect((await call(url(`/ssf/streams?stream_id=${stream.stream_id}`), { auth: intruder.basic })).status).toBe(404);
    expect((await call(url("/ssf/streams"), { auth: intruder.basic })).body).toEqual([]);
    expect((await poll(stream.stream_id, {}, intruder)).status).toBe(404);
    expect((await call(url("/ssf/streams"), { method: "PATCH", json: { stream_id: stream.stream_id, description: "x" }, auth: intruder.basic })).status).toBe(
      404,
    );
    expect((await call(url(`/ssf/streams?stream_id=${stream.stream_id}`), { method: "DELETE", auth: intruder.basic })).status).toBe(404);
    expect((await call(url("/ssf/streams/status"), { json: { stream_id: stream.stream_id, status: "disabled" }, auth: intruder.basic })).status).toBe(404);

    const noScope = await newClient({ scopes: ["tokens:issue"] });
    expect((await call(url("/ssf/streams"), { auth: noScope.basic })).status).toBe(403);

    expect((await call(url(`/ssf/streams?stream_id=${stream.stream_id}`), { method: "DELETE", auth: receiver.basic })).status).toBe(204);
    expect((await call(url(`/ssf/streams?stream_id=${stream.stream_id}`), { auth: receiver.basic })).status).toBe(404);
  });

  test("bad input is a 4xx {error, message}; an unknown delivery method is refused (push: test/ssf/push.test.ts)", async () => {
    const other = await call(url("/ssf/streams"), { json: { delivery: { method: "urn:example:carrier-pigeon" } }, auth: receiver.basic });
    expect(other.status).toBe(400);
    expect(other.body).toMatchObject({ error: "unsupported_delivery_method" });
    expect(other.body.message).toMatch(/urn:ietf:rfc:8935/);
    const stream = await createStream();
    for (const [path, opts] of [
      ["/ssf/streams", { json: { events_requested: "all" } }],
      ["/ssf/streams", { raw: "{" }],
      ["/ssf/streams?stream_id=nope", {}],
      ["/ssf/poll/nope", { json: {} }],
      [`/ssf/poll/${stream.stream_id}`, { json: { maxEvents: -1 } }],
      [`/ssf/poll/${stream.stream_id}`, { json: { ack: "x" } }],
      ["/ssf/streams/status", { json: { stream_id: stream.stream_id, status: "on" } }],
    ] as const) {
      const res = await call(url(path), { ...opts, auth: receiver.basic });
      expect(res.status, `${path} ${JSON.stringify(opts)}`).toBe(400);
      expect(res.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    }
    expect((await poll(crypto.randomUUID())).status).toBe(404);
  });

  // PGlite only: the run deletes other test files' events on a shared PostgreSQL database.
  test.skipIf(process.env.DATABASE_URL)(
    "retention: an event acknowledged by every stream goes, an unacknowledged one stays until its retention limit",
    async () => {
      const prisma = await db();
      const stream = await createStream();
      await prisma.ssfStream.deleteMany({ where: { streamId: { not: stream.stream_id } } });
      const [delivered, owed] = await issue(2);
      for (const token of [delivered, owed]) await call(url("/jwt/custom/revoke"), { json: { token }, auth: issuer.basic });
      const first = await poll(stream.stream_id, { maxEvents: 1 });
      await poll(stream.stream_id, { maxEvents: 0, ack: Object.keys(first.body.sets) });

      const retention = async (now?: Date) => {
        let state = await beginRetention({ trigger: "manual", now });
        while (!state.done) state = await continueRetention(state);
        await endRetention(state);
        return state.counts["tim.ssf_events"];
      };
      const jtis = [delivered, owed].map((t) => claimsOf(t).jti as string);
      expect(await retention()).toBeGreaterThanOrEqual(1); // and the earlier tests' events, owed to streams now deleted
      expect((await prisma.ssfEvent.findMany({ where: { jwtUuid: { in: jtis } } })).map((e) => e.jwtUuid)).toEqual([jtis[1]]);
      // The retention run deletes denylist rows but never inserts one: no event comes of it.
      expect(await prisma.ssfEvent.count()).toBe(1);

      await prisma.$executeRaw`UPDATE tim.ssf_events SET revoked_at = now() - make_interval(hours => ${config().TIM_SSF_EVENT_RETENTION_HOURS + 1})`;
      expect(Object.keys((await poll(stream.stream_id)).body.sets)).toEqual([]);
      expect(await retention()).toBe(1);
      expect(await prisma.ssfEvent.count()).toBe(0);
    },
  );
});
