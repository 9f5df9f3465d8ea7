import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { administratorActor } from "@/lib/audit/actors";
import { updateClientFromConsole } from "@/lib/admin/clients";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import type { TaraOauthState } from "@/lib/generated/prisma/client";
import { extendTaraToken } from "@/lib/tara/extend";
import { issueTaraToken } from "@/lib/tara/issue-token";
import { getTaraSessionLimit, setTaraSessionLimit } from "@/lib/tara/session-limit";
import { validateToken } from "@/lib/tokens/validate";
import { insertWithinLimits, limitLockKey, TOKEN_LIMIT_REASON } from "@/lib/tokens/token-limit";
import { startTestServer, type TestServer } from "@/test/support/http";
import { call, claimsOf, newClient, unique, type TestClient } from "@/test/tokens/helpers";

/** Issue 17 §1: a limit on active tokens per subject (per API client; per person for TARA sessions). */

let server: TestServer;
let limited: TestClient;
let unlimited: TestClient;

beforeAll(async () => {
  server = await startTestServer();
  limited = await newClient({ scopes: ["tokens:issue", "tokens:validate"], activeTokenLimit: 3 });
  unlimited = await newClient({ scopes: ["tokens:issue", "tokens:validate"] });
});
afterAll(async () => server.close());

async function issue(by: TestClient, sub: string): Promise<string> {
  const res = await call(`${server.url}/jwt/custom/generate`, { json: { content: { sub }, expirationInMinutes: 30 }, auth: by.basic });
  expect(res.status).toBe(200);
  return res.body.token as string;
}

/** The subject's tokens (of `clientId`) in issue order, with their denylist reason (null: active). */
async function standing(subject: string, clientId: string) {
  const prisma = await db();
  return prisma.$queryRaw<{ jti: string; reason: string | null; revoked_by: string | null }[]>`
    SELECT m.jwt_uuid::text AS jti, d.reason, d.revoked_by
      FROM custom.jwt_metadata m LEFT JOIN custom.denylist d ON d.jwt_uuid = m.jwt_uuid
     WHERE m.subject = ${subject} AND m.client_id = ${clientId}
     ORDER BY m.created_at, m.issued_at`;
}

async function activeCount(subject: string, clientId: string): Promise<number> {
  return (await standing(subject, clientId)).filter((t) => t.reason === null).length;
}

describe("custom tokens: per API client", () => {
  test("issuing past the limit revokes the subject's oldest active tokens of that client, reason token_limit", async () => {
    const sub = unique("limit");
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) tokens.push(await issue(limited, sub));
    const rows = await standing(sub, limited.clientId);
    const byJti = new Map(rows.map((r) => [r.jti, r]));
    const [first, second, ...kept] = tokens.map((t) => byJti.get(claimsOf(t).jti)!);
    expect([first.reason, second.reason]).toEqual([TOKEN_LIMIT_REASON, TOKEN_LIMIT_REASON]);
    expect(first.revoked_by).toBe(`client:${limited.clientId}`);
    expect(kept.map((k) => k.reason)).toEqual([null, null, null]);
    // The revoked ones are refused on validation; the newest are valid.
    expect((await validateToken({ token: tokens[0] })).body.valid).toBe(false);
    expect((await validateToken({ token: tokens[4] })).body.valid).toBe(true);
  });

  test("other subjects, and the same subject's tokens from another client, are not counted", async () => {
    const sub = unique("limit");
    for (let i = 0; i < 3; i++) await issue(unlimited, sub);
    for (let i = 0; i < 3; i++) await issue(limited, sub);
    const other = unique("limit");
    await issue(limited, other);
    expect(await activeCount(sub, unlimited.clientId)).toBe(3);
    expect(await activeCount(sub, limited.clientId)).toBe(3);
    expect(await activeCount(other, limited.clientId)).toBe(1);
  });

  test("a client without a limit revokes nothing, however many it issues", async () => {
    const sub = unique("nolimit");
    for (let i = 0; i < 6; i++) await issue(unlimited, sub);
    expect(await activeCount(sub, unlimited.clientId)).toBe(6);
  });

  test("a batch naming one subject more often than the limit is refused whole (400, nothing written)", async () => {
    const sub = unique("limit");
    const res = await call(`${server.url}/jwt/custom/generate/batch`, {
      json: { tokens: Array.from({ length: 4 }, () => ({ content: { sub }, expirationInMinutes: 5 })) },
      auth: limited.basic,
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/at most 3 active tokens per subject/);
    expect(await standing(sub, limited.clientId)).toEqual([]);
  });

  test("a batch within the limit keeps all of its own tokens and revokes older ones", async () => {
    const sub = unique("limit");
    const old = await issue(limited, sub);
    const res = await call(`${server.url}/jwt/custom/generate/batch`, {
      json: { tokens: Array.from({ length: 3 }, () => ({ content: { sub }, expirationInMinutes: 5 })) },
      auth: limited.basic,
    });
    expect(res.status).toBe(200);
    const rows = new Map((await standing(sub, limited.clientId)).map((r) => [r.jti, r.reason]));
    expect(rows.get(claimsOf(old).jti)).toBe(TOKEN_LIMIT_REASON);
    for (const t of res.body.tokens as { token: string }[]) expect(rows.get(claimsOf(t.token).jti)).toBeNull();
  });

  test("concurrent issuances for one subject never leave more than the limit active (HTTP, group commit)", async () => {
    const sub = unique("race");
    const answers = await Promise.all(
      Array.from({ length: 24 }, () => call(`${server.url}/jwt/custom/generate`, { json: { content: { sub }, expirationInMinutes: 30 }, auth: limited.basic })),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const rows = await standing(sub, limited.clientId);
    expect(rows).toHaveLength(24);
    expect(rows.filter((r) => r.reason === null)).toHaveLength(3);
    expect(rows.filter((r) => r.reason === TOKEN_LIMIT_REASON)).toHaveLength(21);
  });

  test("concurrent transactions (one connection each) for one subject never leave more than the limit active", async () => {
    const sub = unique("race-tx");
    const clientId = limited.clientId;
    const now = Date.now();
    const row = () => {
      const jti = randomUUID();
      return {
        jwtUuid: jti,
        claimKeys: "sub",
        issuedAt: new Date(now),
        expiresAt: new Date(now + 3_600_000),
        subject: sub,
        jwtName: null,
        audience: "tim-audience",
        issuer: "TIM",
        originalJwtUuid: jti,
        claimsJson: { sub, jti },
        tokenHash: randomUUID().replace(/-/g, "").padEnd(64, "0"),
        tokenType: "custom_jwt",
        clientId,
      };
    };
    // Each call is its own transaction: on PostgreSQL they run at once on separate pooled connections.
    await Promise.all(
      Array.from({ length: 16 }, () => insertWithinLimits("custom", [row()], [{ clientId, subject: sub, limit: 2, revokedBy: `client:${clientId}` }])),
    );
    const rows = await standing(sub, clientId);
    expect(rows).toHaveLength(16);
    expect(rows.filter((r) => r.reason === null)).toHaveLength(2);
  });

  test("an extension of a limited client's token revokes past the limit in its own transaction", async () => {
    const sub = unique("extend-limit");
    const other = await newClient({ scopes: ["tokens:issue"] });
    // The unlimited client's tokens for the subject, then one taken over by the limited client via extension.
    const theirs = await issue(other, sub);
    for (let i = 0; i < 3; i++) await issue(limited, sub);
    const lowered = await newClient({ scopes: ["tokens:issue", "tokens:revoke:any"], activeTokenLimit: 1 });
    const mine = await issue(lowered, sub);
    const res = await call(`${server.url}/jwt/custom/extend`, { json: { token: theirs, expirationInMinutes: 30 }, auth: lowered.basic });
    expect(res.status).toBe(200);
    const rows = new Map((await standing(sub, lowered.clientId)).map((r) => [r.jti, r.reason]));
    // The extension's new version is the client's one active token; its older one went to the limit.
    expect(rows.get(claimsOf(res.body.token as string).jti)).toBeNull();
    expect(rows.get(claimsOf(mine).jti)).toBe(TOKEN_LIMIT_REASON);
    expect(await activeCount(sub, limited.clientId)).toBe(3);
  });

  test("a token_limit revocation reaches the Shared Signals outbox like any revocation", async () => {
    const prisma = await db();
    // The outbox trigger writes events while a receiver's stream exists.
    const stream = await prisma.ssfStream.create({
      data: { clientId: limited.clientId, audience: "limit-test", deliveryMethod: "urn:ietf:rfc:8936", cursorXid: 0n, cursorSeq: 0n },
    });
    try {
      const sub = unique("limit-ssf");
      const first = await issue(limited, sub);
      for (let i = 0; i < 3; i++) await issue(limited, sub);
      const events = await prisma.ssfEvent.findMany({ where: { jwtUuid: claimsOf(first).jti } });
      expect(events.map((e) => [e.event, e.kind, e.reason])).toEqual([["token-revoked", "custom", TOKEN_LIMIT_REASON]]);
    } finally {
      await prisma.ssfStream.delete({ where: { streamId: stream.streamId } });
    }
  });

  test("changing a client's limit in the console is audited in its transaction", async () => {
    const client = await newClient({ scopes: ["tokens:issue"] });
    await updateClientFromConsole(client.clientId, { activeTokenLimit: 5 }, administratorActor("EE38001085718"), "req-limit-1");
    const prisma = await db();
    expect((await prisma.apiClient.findUnique({ where: { clientId: client.clientId } }))?.activeTokenLimit).toBe(5);
    const audit = await prisma.audit.findFirst({ where: { action: "client.update", requestId: "req-limit-1" } });
    expect(audit?.target).toMatchObject({ client_id: client.clientId, activeTokenLimit: 5 });
    await expect(updateClientFromConsole(client.clientId, { activeTokenLimit: 0 }, administratorActor("EE38001085718"))).rejects.toMatchObject({ status: 400 });
  });
});

const taraState = (): TaraOauthState =>
  ({ state: randomUUID(), nonce: "n", redirectUri: "/me", createdAt: new Date(), expiresAt: new Date(Date.now() + 60_000) }) as TaraOauthState;
const taraIdentity = (sub: string) => ({
  sub,
  givenName: "MARY",
  familyName: "ÄNN",
  dateOfBirth: null,
  amr: ["mID"],
  acr: "high",
  authTime: Math.floor(Date.now() / 1000),
  email: null,
  emailVerified: null,
  phoneNumber: null,
  phoneNumberVerified: null,
});

describe("TARA sessions: per person", () => {
  test("with TIM_TARA_SESSION_LIMIT=2 a third login ends the person's oldest session (reason token_limit)", async () => {
    process.env.TIM_TARA_SESSION_LIMIT = "2";
    resetConfig();
    try {
      expect((await getTaraSessionLimit()).limit).toBe(2);
      const sub = `EE${Math.floor(Math.random() * 1e11)}`;
      const logins = [];
      for (let i = 0; i < 3; i++) logins.push(await issueTaraToken(taraIdentity(sub), taraState()));
      const prisma = await db();
      const denied = await prisma.taraDenylist.findMany({ where: { jwtUuid: { in: logins.map((l) => l.payload.jti) } } });
      expect(denied.map((d) => [d.jwtUuid, d.reason, d.revokedBy])).toEqual([[logins[0].payload.jti, TOKEN_LIMIT_REASON, `user:${sub}`]]);
    } finally {
      delete process.env.TIM_TARA_SESSION_LIMIT;
      resetConfig();
    }
  });

  test("without a limit every login stays live", async () => {
    if ((await getTaraSessionLimit()).limit !== null) return; // another test file's console setting (shared PostgreSQL)
    const sub = `EE${Math.floor(Math.random() * 1e11)}`;
    const logins = [];
    for (let i = 0; i < 3; i++) logins.push(await issueTaraToken(taraIdentity(sub), taraState()));
    const prisma = await db();
    expect(await prisma.taraDenylist.count({ where: { jwtUuid: { in: logins.map((l) => l.payload.jti) } } })).toBe(0);
  });

  test("the console's setting overrides the environment and is audited in its transaction; reset returns to it", async () => {
    const actor = administratorActor("EE38001085718");
    // A limit no test person reaches: other test files share this database on PostgreSQL.
    const set = await setTaraSessionLimit({ limit: 1000 }, actor, { requestId: "req-tara-limit-1" });
    try {
      expect(set).toMatchObject({ limit: 1000, source: "console", updatedBy: "EE38001085718" });
      const prisma = await db();
      const audit = await prisma.audit.findFirst({ where: { action: "settings.tara_session_limit.update", requestId: "req-tara-limit-1" } });
      expect(audit?.target).toMatchObject({ after: { limit: 1000, source: "console" } });
      await expect(setTaraSessionLimit({ limit: 0 }, actor)).rejects.toMatchObject({ status: 400 });
      expect((await getTaraSessionLimit()).limit).toBe(1000);
    } finally {
      expect(await setTaraSessionLimit({ reset: true }, actor)).toMatchObject({ limit: null, source: "default" });
    }
  });
});

/**
 * The race an extension must not win: an issuance in flight holds the subject's lock and is about to revoke
 * its oldest token; an extension of that token must wait for the lock (and then find it revoked), or the
 * extension's new version outlives the revocation as one token over the limit.
 */
describe.runIf(process.env.DATABASE_URL)("extensions wait for the subject's lock (PostgreSQL)", () => {
  /**
   * Holds the advisory lock of (kind, client, subject) on a connection of its own, as an issuing transaction
   * does, starts `run`, and releases the lock only once `run` waits for it (still unsettled): `run`'s answer.
   */
  async function whileLockHeld<T>(kind: "custom" | "tara", clientId: string | null, subject: string, run: () => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    const key = limitLockKey(kind, clientId, subject);
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [key]);
    let settled = false;
    const running = run().finally(() => {
      settled = true;
    });
    try {
      // A bigint key shows in pg_locks as classid (high) and objid (low 32 bits).
      for (let waited = false, i = 0; !waited; i++) {
        if (i === 200) throw new Error("nothing waited for the subject's lock");
        const { rows } = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks
            WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND classid::bigint = (($1::bigint >> 32) & 4294967295) AND objid::bigint = ($1::bigint & 4294967295)`,
          [key],
        );
        waited = rows[0].n > 0;
        if (!waited) await new Promise((r) => setTimeout(r, 25));
      }
      expect(settled).toBe(false);
    } finally {
      await client.query("COMMIT");
      await client.end();
    }
    return running;
  }

  test("a limited client's extension waits for an issuance holding the subject's lock", async () => {
    const sub = unique("extend-lock");
    const token = await issue(limited, sub);
    const extension = await whileLockHeld("custom", limited.clientId, sub, () =>
      call(`${server.url}/jwt/custom/extend`, { json: { token, expirationInMinutes: 30 }, auth: limited.basic }),
    );
    expect(extension.status).toBe(200);
    expect(await activeCount(sub, limited.clientId)).toBe(1);
  });

  test("a TARA session extension waits for a login holding the person's lock when sessions are limited", async () => {
    if ((await getTaraSessionLimit()).source === "console") return; // another test file's console setting (shared PostgreSQL)
    process.env.TIM_TARA_SESSION_LIMIT = "2";
    resetConfig();
    try {
      const sub = `EE${Math.floor(Math.random() * 1e11)}`;
      const login = await issueTaraToken(taraIdentity(sub), taraState());
      const extension = await whileLockHeld("tara", null, sub, () => extendTaraToken(login.token));
      expect(extension.supersedes).toBeTruthy();
    } finally {
      delete process.env.TIM_TARA_SESSION_LIMIT;
      resetConfig();
    }
  });
});
