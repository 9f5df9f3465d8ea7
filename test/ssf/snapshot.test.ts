import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { startTestServer, type TestServer } from "@/test/support/http";
import { unique } from "@/test/reporting/seed";
import { call, newClient, taraTokenFixture, type TestClient } from "@/test/tokens/helpers";

/** GET /ssf/revocations, TIM's revocation snapshot for receivers (lib/ssf/snapshot.ts), over real HTTP. */

let server: TestServer;
let url: (path: string) => string;
let receiver: TestClient;
let issuer: TestClient;

beforeAll(async () => {
  server = await startTestServer();
  url = (p) => `${server.url}${p}`;
  receiver = await newClient({ scopes: ["ssf:receive"] });
  issuer = await newClient({ scopes: ["tokens:issue", "tokens:revoke"] });
});
afterAll(async () => server.close());

type Entry = { kind: string; jti: string; exp: number; sid?: string };
type Page = { revocations: Entry[]; next_cursor: string | null; error?: string; message?: string };
const snapshot = (query: string, client = receiver) => call<Page>(url(`/ssf/revocations${query}`), { auth: client.basic });

async function issueAndRevoke(n: number): Promise<{ jti: string; exp: number }[]> {
  const res = await call(url("/jwt/custom/generate/batch"), {
    json: { tokens: Array.from({ length: n }, () => ({ content: { sub: unique("snap") }, expirationInMinutes: 30 })) },
    auth: issuer.basic,
  });
  expect(res.status, res.text).toBe(200);
  const out = [];
  for (const { token } of res.body.tokens as { token: string }[]) {
    const revoked = await call(url("/jwt/custom/revoke"), { json: { token, reason: "compromised" }, auth: issuer.basic });
    expect(revoked.status, revoked.text).toBe(200);
    const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
    out.push({ jti: claims.jti as string, exp: claims.exp as number });
  }
  return out;
}

/** Every page from the start, `limit` entries each; `during` runs after the first page (revocations that keep coming). */
async function allPages(limit: number, during?: () => Promise<unknown>) {
  const entries: Entry[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await snapshot(`?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.revocations.length).toBeLessThanOrEqual(limit);
    entries.push(...res.body.revocations);
    cursor = res.body.next_cursor;
    if (pages++ === 0) await during?.();
  } while (cursor !== null);
  return { entries, pages };
}

describe("the revocation snapshot", () => {
  test("pages give every unexpired revocation once, custom and TARA, with the session of an ended TARA session; expired ones are absent", async () => {
    const custom = await issueAndRevoke(5);
    const prisma = await db();
    // A revocation of a token that expired an hour ago: nothing to keep.
    const expired = randomUUID();
    await prisma.customDenylist.create({ data: { jwtUuid: expired, expiresAt: new Date(Date.now() - 3_600_000), reason: "old" } });
    // TARA: a session ended (logout) names its sid; the old token of an extension does not (the session lives on).
    const ended = await taraTokenFixture({ allowlist: "live" });
    const extended = await taraTokenFixture({ allowlist: "live" });
    await prisma.taraDenylist.create({ data: { jwtUuid: ended.jti, expiresAt: new Date(ended.payload.exp * 1000), reason: "logout" } });
    await prisma.taraDenylist.create({ data: { jwtUuid: extended.jti, expiresAt: new Date(extended.payload.exp * 1000), reason: "extended" } });

    const later: { jti: string; exp: number }[] = [];
    const { entries, pages } = await allPages(2, async () => later.push(...(await issueAndRevoke(2))));
    expect(pages).toBeGreaterThan(2);
    const jtis = entries.map((e) => e.jti);
    expect(new Set(jtis).size).toBe(jtis.length);
    const byJti = new Map(entries.map((e) => [e.jti, e]));
    for (const c of custom) expect(byJti.get(c.jti)).toEqual({ kind: "custom", jti: c.jti, exp: c.exp });
    expect(byJti.has(expired)).toBe(false);
    expect(byJti.get(ended.jti)).toEqual({ kind: "tara", jti: ended.jti, exp: ended.payload.exp, sid: ended.payload.sid });
    expect(byJti.get(extended.jti)).toEqual({ kind: "tara", jti: extended.jti, exp: extended.payload.exp });
    // Revocations committed while paging come once at most (the receiver's stream owes them anyway).
    for (const l of later) expect(jtis.filter((j) => j === l.jti).length).toBeLessThanOrEqual(1);
    // In order: custom before TARA, each by expiry.
    const kinds = entries.map((e) => e.kind);
    expect(kinds.indexOf("tara")).toBeGreaterThan(kinds.lastIndexOf("custom"));
  });

  test("one page answers at most the limit, and no next cursor on the last page", async () => {
    await issueAndRevoke(1);
    const all = await allPages(10_000);
    expect(all.pages).toBe(1);
    const first = await snapshot("?limit=1");
    expect(first.body.revocations).toHaveLength(1);
    expect(first.body.next_cursor).toEqual(expect.any(String));
  });

  // PGlite has one connection: no transaction can be open beside the request.
  test.runIf(process.env.DATABASE_URL)(
    "the first page waits for a revoking transaction that was running when it was asked for (it may have seen no stream)",
    async () => {
      const other = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await other.connect();
      try {
        const jti = randomUUID();
        await other.query("BEGIN");
        // Expires before any other test's revocation: first in the custom part, so in the first page.
        await other.query("INSERT INTO custom.denylist (jwt_uuid, expires_at, reason) VALUES ($1, now() + interval '1 minute', 'in flight')", [jti]);
        const first = snapshot("?limit=10000");
        await new Promise((r) => setTimeout(r, 300));
        await other.query("COMMIT");
        const res = await first;
        expect(res.status, res.text).toBe(200);
        expect(res.body.revocations.map((e) => e.jti)).toContain(jti);
      } finally {
        await other.end();
      }
    },
  );

  test("a client without ssf:receive is refused", async () => {
    const res = await snapshot("", issuer);
    expect(res.status).toBe(403);
    expect(res.body.error).toBe("insufficient_scope");
  });

  test.each([
    ["a cursor not from TIM", "?cursor=nope"],
    ["a cursor of an unknown kind", "?cursor=other.1.00000000-0000-4000-8000-000000000000"],
    ["a cursor beyond any date", "?cursor=custom.999999999999999999.00000000-0000-4000-8000-000000000000"],
    ["a limit of 0", "?limit=0"],
    ["a limit above 10,000", "?limit=10001"],
    ["a limit that is not a number", "?limit=ten"],
  ])("%s is a 400", async (_, query) => {
    const res = await snapshot(query);
    expect(res.status, res.text).toBe(400);
    expect(res.body).toMatchObject({ error: "invalid_request", message: expect.any(String) });
  });
});
