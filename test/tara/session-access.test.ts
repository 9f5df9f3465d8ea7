import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { startTestServer, type TestServer } from "@/test/support/http";
import { call, claimsOf, newClient, taraTokenFixture, type TestClient } from "@/test/tokens/helpers";

/** Issue 12 §3: a session id alone is not a credential; TARA sessions have an absolute lifetime. */

let server: TestServer;
let url: (path: string) => string;
let reader: TestClient;
let tokenClient: TestClient;

beforeAll(async () => {
  server = await startTestServer();
  url = (p) => `${server.url}${p}`;
  reader = await newClient({ scopes: ["sessions:read"] });
  tokenClient = await newClient({ scopes: ["tokens:validate", "tokens:introspect", "tokens:revoke", "tokens:revoke:any"] });
});
afterAll(async () => server.close());

describe("session endpoints", () => {
  for (const path of ["/auth/profile", "/auth/session/validate"]) {
    test(`${path}: session_id alone → 401 and no personal data; a client without sessions:read → 403`, async () => {
      const { payload } = await taraTokenFixture({ allowlist: "live" });
      const alone = await call(url(`${path}?session_id=${payload.sid}`));
      expect(alone.status).toBe(401);
      for (const personal of [payload.sub, payload.given_name, payload.family_name]) expect(alone.text).not.toContain(personal);
      const unscoped = await call(url(`${path}?session_id=${payload.sid}`), { auth: tokenClient.basic });
      expect(unscoped.status).toBe(403);
      expect(unscoped.text).not.toContain(payload.sub);
    });

    test(`${path}: the session's own token, or a client with sessions:read, gets the session`, async () => {
      const { token, payload } = await taraTokenFixture({ allowlist: "live" });
      const own = await call(url(path), { auth: `Bearer ${token}` });
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({ session_id: payload.sid, subject: payload.sub });
      const ownNamed = await call(url(`${path}?session_id=${payload.sid}`), { headers: { cookie: `TIM_TARA_JWT=${token}` } });
      expect(ownNamed.status).toBe(200);
      const client = await call(url(`${path}?session_id=${payload.sid}`), { auth: reader.basic });
      expect(client.status).toBe(200);
      expect(client.body).toMatchObject({ session_id: payload.sid, subject: payload.sub });
      expect((await call(url(path), { auth: reader.basic })).status).toBe(400);
    });

    test(`${path}: one session's token cannot read another session by its id (403)`, async () => {
      const mine = await taraTokenFixture({ allowlist: "live" });
      const theirs = await taraTokenFixture({ allowlist: "live" });
      const res = await call(url(`${path}?session_id=${theirs.payload.sid}`), { auth: `Bearer ${mine.token}` });
      expect(res.status).toBe(403);
      expect(res.text).not.toContain(theirs.payload.sub);
    });
  }

  test("/auth/logout: a session_id alone is no credential (401), another session's token cannot end it (403)", async () => {
    const victim = await taraTokenFixture({ allowlist: "live" });
    const caller = await taraTokenFixture({ allowlist: "live" });
    const prisma = await db();
    const alone = await call(url(`/auth/logout?session_id=${victim.payload.sid}`), { method: "POST" });
    expect(alone.status).toBe(401);
    const other = await call(url(`/auth/logout?session_id=${victim.payload.sid}`), { method: "POST", auth: `Bearer ${caller.token}` });
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ error: "not_your_session" });
    const unscoped = await call(url(`/auth/logout?session_id=${victim.payload.sid}`), { method: "POST", auth: reader.basic });
    expect(unscoped.status).toBe(403);
    expect(await prisma.taraDenylist.count({ where: { jwtUuid: { in: [victim.jti, caller.jti] } } })).toBe(0);
    // Its own token with its own id ends it.
    const own = await call(url(`/auth/logout?session_id=${caller.payload.sid}`), { method: "POST", auth: `Bearer ${caller.token}` });
    expect(own.body).toMatchObject({ status: "logged_out", revoked: 1, session_id: caller.payload.sid });
    expect(await prisma.taraDenylist.count({ where: { jwtUuid: caller.jti } })).toBe(1);
  });

  test("/auth/logout?session_id=…&reason=… by a client with sessions:revoke ends that session, as TIM 2.0's clients call it", async () => {
    const ender = await newClient({ scopes: ["sessions:revoke"] });
    const victim = await taraTokenFixture({ allowlist: "live" });
    const res = await call(url(`/auth/logout?session_id=${victim.payload.sid}&reason=${encodeURIComponent("User initiated logout")}`), {
      method: "POST",
      auth: ender.basic,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "logged_out", message: "Session logged out successfully", revoked: 1, session_id: victim.payload.sid });
    const prisma = await db();
    expect(await prisma.taraDenylist.findUnique({ where: { jwtUuid: victim.jti } })).toMatchObject({
      reason: "User initiated logout",
      revokedBy: `client:${ender.clientId}`,
    });
    const validate = await call(url(`/auth/session/validate?session_id=${victim.payload.sid}`), { auth: reader.basic });
    expect(validate.status).toBe(401);
    expect(validate.body).toMatchObject({ error: "invalid_session", message: "Session has been revoked", valid: false });
    // Again: nothing left to revoke, still logged out; an unknown session → 404; a bad id → 400.
    expect((await call(url(`/auth/logout?session_id=${victim.payload.sid}`), { method: "POST", auth: ender.basic })).body).toMatchObject({ revoked: 0 });
    expect((await call(url(`/auth/logout?session_id=${crypto.randomUUID()}`), { method: "POST", auth: ender.basic })).status).toBe(404);
    expect((await call(url("/auth/logout?session_id=nope"), { method: "POST", auth: ender.basic })).status).toBe(400);
    expect((await call(url("/auth/logout"), { method: "POST", auth: ender.basic })).status).toBe(400);
  });

  test("/auth/logout takes session_id and reason from a form or JSON body too, as Spring's request parameters come", async () => {
    const ender = await newClient({ scopes: ["sessions:revoke"] });
    const prisma = await db();
    const byForm = await taraTokenFixture({ allowlist: "live" });
    const form = await call(url("/auth/logout"), { auth: ender.basic, form: { session_id: byForm.payload.sid, reason: "form logout" } });
    expect(form.status).toBe(200);
    expect(form.body).toMatchObject({ revoked: 1, session_id: byForm.payload.sid });
    expect(await prisma.taraDenylist.findUnique({ where: { jwtUuid: byForm.jti } })).toMatchObject({ reason: "form logout" });
    const byJson = await taraTokenFixture({ allowlist: "live" });
    // the query string's reason wins over the body's
    const json = await call(url(`/auth/logout?reason=${encodeURIComponent("query reason")}`), {
      auth: ender.basic,
      json: { session_id: byJson.payload.sid, reason: "body reason" },
    });
    expect(json.body).toMatchObject({ revoked: 1, session_id: byJson.payload.sid });
    expect(await prisma.taraDenylist.findUnique({ where: { jwtUuid: byJson.jti } })).toMatchObject({ reason: "query reason" });
    expect((await call(url("/auth/logout"), { auth: ender.basic, form: { session_id: "nope" } })).status).toBe(400);
  });
});

describe("TARA sessions end TIM_TARA_SESSION_MAX_HOURS after auth_time", () => {
  const now = () => Math.floor(Date.now() / 1000);

  test("an extension near the limit gets an expiry cut to it", async () => {
    const authTime = now() - 12 * 3600 + 600; // ten minutes left of the default 12 h
    const { token } = await taraTokenFixture({ allowlist: "live", authTime });
    const res = await call(url("/jwt/tara/extend"), { json: { token } });
    expect(res.status).toBe(200);
    expect(claimsOf(res.body.token).exp).toBe(authTime + 12 * 3600);
    expect(Date.parse(res.body.expiresAt) / 1000).toBe(authTime + 12 * 3600);
  });

  test("once reached, extension is refused (401) and nothing is written; the setting moves the limit", async () => {
    const authTime = now() - 3 * 3600;
    const { token, jti, payload } = await taraTokenFixture({ allowlist: "live", authTime });
    process.env.TIM_TARA_SESSION_MAX_HOURS = "2";
    resetConfig();
    try {
      const res = await call(url("/jwt/tara/extend"), { json: { token } });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: "extend_denied", reason: "Session lifetime exceeded" });
    } finally {
      delete process.env.TIM_TARA_SESSION_MAX_HOURS;
      resetConfig();
    }
    const prisma = await db();
    expect(await prisma.taraDenylist.count({ where: { jwtUuid: jti } })).toBe(0);
    expect(await prisma.taraJwtMetadata.count({ where: { sessionId: payload.sid } })).toBe(1);
    // under the default 12 h the same session still extends
    expect((await call(url("/jwt/tara/extend"), { json: { token } })).status).toBe(200);
  });
});
