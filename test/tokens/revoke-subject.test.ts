import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { logoutEverywhere } from "@/lib/admin/logout-everywhere";
import { administratorActor } from "@/lib/audit/actors";
import { db } from "@/lib/db/client";
import { startTestServer, type TestServer } from "@/test/support/http";
import { call, claimsOf, expiredCustomToken, newClient, taraTokenFixture, unique, type TestClient } from "@/test/tokens/helpers";

/** Issue 17 §1: log out of every device (custom and TARA), and §1 statistics per subject. */

let server: TestServer;
let url: (path: string) => string;
let owner: TestClient;
let stranger: TestClient;
let any: TestClient;
let sessions: TestClient;
let reporter: TestClient;

beforeAll(async () => {
  server = await startTestServer();
  url = (p) => `${server.url}${p}`;
  owner = await newClient({ scopes: ["tokens:issue", "tokens:revoke"] });
  stranger = await newClient({ scopes: ["tokens:issue", "tokens:revoke"] });
  any = await newClient({ scopes: ["tokens:revoke", "tokens:revoke:any"] });
  sessions = await newClient({ scopes: ["sessions:revoke:subject"] });
  reporter = await newClient({ scopes: ["reports:read"] });
});
afterAll(async () => server.close());

async function issue(by: TestClient, sub: string): Promise<string> {
  const res = await call(url("/jwt/custom/generate"), { json: { content: { sub }, expirationInMinutes: 30 }, auth: by.basic });
  expect(res.status).toBe(200);
  return res.body.token as string;
}

async function reasons(jtis: string[]): Promise<Map<string, string | null>> {
  const prisma = await db();
  const rows = await prisma.customDenylist.findMany({ where: { jwtUuid: { in: jtis } } });
  return new Map(jtis.map((j) => [j, rows.find((r) => r.jwtUuid === j)?.reason ?? null]));
}

const everywhere = (by: TestClient, json: unknown, kind: "custom" | "tara" = "custom") => call(url(`/jwt/${kind}/revoke/subject`), { json, auth: by.basic });

describe("POST /jwt/custom/revoke/subject", () => {
  test("revokes every active token of the subject the client issued, answers the count, audits it in the transaction", async () => {
    const sub = unique("everywhere");
    const mine = [await issue(owner, sub), await issue(owner, sub), await issue(owner, sub)];
    const theirs = await issue(stranger, sub);
    const elsewhere = await issue(owner, unique("everywhere-other"));
    const res = await call(url("/jwt/custom/revoke/subject"), {
      json: { subject: sub, reason: "lost phone" },
      auth: owner.basic,
      headers: { "x-request-id": `req-${sub}` },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "completed", subject: sub, kind: "custom", revoked: 3, not_owned: 1, remaining: 0, reason: "lost phone" });
    const jtis = mine.map((t) => claimsOf(t).jti as string);
    expect([...(res.body.revoked_ids as string[])].sort()).toEqual([...jtis].sort());
    const after = await reasons([...jtis, claimsOf(theirs).jti, claimsOf(elsewhere).jti]);
    expect(jtis.map((j) => after.get(j))).toEqual(["lost phone", "lost phone", "lost phone"]);
    expect(after.get(claimsOf(theirs).jti)).toBeNull();
    expect(after.get(claimsOf(elsewhere).jti)).toBeNull();

    const prisma = await db();
    const audit = await prisma.audit.findFirst({ where: { action: "tokens.revoke", requestId: `req-${sub}` } });
    expect(audit).toMatchObject({ actorType: "api_client", actorId: owner.clientId, reason: "lost phone" });
    expect(audit?.target).toMatchObject({ kind: "custom", subject: sub, scope: "subject" });
    expect([...(audit!.target as { revoked: string[] }).revoked].sort()).toEqual([...jtis].sort());
    expect(audit?.counts).toEqual({ revoked: 3, not_owned: 1, remaining: 0 });

    // Again: nothing left of its own (the other client's token is not its to end) → 403, nothing written.
    const again = await everywhere(owner, { subject: sub });
    expect(again.status).toBe(403);
    expect(again.body).toMatchObject({ error: "token_not_owned", revoked: 0, not_owned: 1 });
    expect((await reasons([claimsOf(theirs).jti])).get(claimsOf(theirs).jti)).toBeNull();
  });

  test("with tokens:revoke:any every client's tokens of the subject; expired and revoked ones are not touched", async () => {
    const sub = unique("everywhere-any");
    const a = await issue(owner, sub);
    const b = await issue(stranger, sub);
    const expired = await expiredCustomToken(sub, owner.clientId);
    const res = await everywhere(any, { subject: sub });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ revoked: 2, not_owned: 0 });
    const after = await reasons([claimsOf(a).jti, claimsOf(b).jti, claimsOf(expired.token).jti]);
    expect(after.get(claimsOf(expired.token).jti)).toBeNull();
    expect(after.get(claimsOf(a).jti)).toBeNull(); // no reason given: the row has none
    const prisma = await db();
    expect(await prisma.customDenylist.count({ where: { jwtUuid: { in: [claimsOf(a).jti, claimsOf(b).jti] } } })).toBe(2);
    // Nothing active left: 200 with a count of 0.
    expect((await everywhere(any, { subject: sub })).body).toMatchObject({ revoked: 0, not_owned: 0, remaining: 0 });
  });

  test("refuses what is no subject (400) and callers without the scope (403)", async () => {
    expect((await everywhere(owner, {})).status).toBe(400);
    expect((await everywhere(owner, { subject: "" })).status).toBe(400);
    expect((await everywhere(owner, { subject: "x".repeat(256) })).status).toBe(400);
    expect((await everywhere(owner, { subject: "nul\u0000" })).status).toBe(400);
    expect((await everywhere(sessions, { subject: "anyone" })).status).toBe(403);
  });
});

describe("POST /jwt/tara/revoke/subject", () => {
  test("ends every live session of the person with its own scope; custom clients without it are refused", async () => {
    const first = await taraTokenFixture({ allowlist: "live" });
    expect((await everywhere(owner, { subject: first.sub }, "tara")).status).toBe(403);
    const res = await everywhere(sessions, { subject: first.sub, reason: "stolen card" }, "tara");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: "tara", subject: first.sub, revoked: 1, revoked_ids: [first.jti] });
    const prisma = await db();
    const row = await prisma.taraDenylist.findUnique({ where: { jwtUuid: first.jti } });
    expect(row).toMatchObject({ reason: "stolen card", revokedBy: `client:${sessions.clientId}` });
    expect(await prisma.taraAllowlist.count({ where: { jwtUuid: first.jti } })).toBe(0);
  });
});

describe("GET /api/reports/subjects/{subject}", () => {
  test("counts active, revoked, superseded and expired apart, per kind and in all", async () => {
    const sub = unique("stats");
    const [a, b, c] = [await issue(owner, sub), await issue(owner, sub), await issue(owner, sub)];
    await issue(owner, sub);
    await expiredCustomToken(sub, owner.clientId);
    const extend = await call(url("/jwt/custom/extend"), {
      json: { token: a, expirationInMinutes: 30 },
      auth: (await newClient({ scopes: ["tokens:issue", "tokens:revoke:any"] })).basic,
    });
    expect(extend.status).toBe(200);
    expect((await call(url("/jwt/custom/revoke/bulk"), { json: { tokens: [b, c] }, auth: owner.basic })).status).toBe(200);

    const res = await call(url(`/api/reports/subjects/${encodeURIComponent(sub)}`), { auth: reporter.basic });
    expect(res.status).toBe(200);
    // a → superseded (its successor active), b, c revoked, one more active, one expired.
    expect(res.body.kinds.custom).toMatchObject({ active: 2, revoked: 2, superseded: 1, expired: 1, total: 6, distinct_addresses: 1 });
    expect(res.body.kinds.tara).toMatchObject({ active: 0, total: 0 });
    expect(res.body.all).toMatchObject({ active: 2, revoked: 2, superseded: 1, expired: 1, total: 6, distinct_addresses: 1 });
    expect(res.body.all.last_issued_at).toEqual(expect.any(String));
  });

  test("a subject with odd characters and a TARA person; unknown subjects answer zeros", async () => {
    const person = await taraTokenFixture({ allowlist: "live" });
    const res = await call(url(`/api/reports/subjects/${person.sub}`), { auth: reporter.basic });
    expect(res.body.kinds.tara).toMatchObject({ active: 1, total: 1 });
    const odd = `${unique("odd")} / ä:%`;
    await issue(owner, odd);
    const oddRes = await call(url(`/api/reports/subjects/${encodeURIComponent(odd)}`), { auth: reporter.basic });
    expect(oddRes.status).toBe(200);
    expect(oddRes.body).toMatchObject({ subject: odd, all: { active: 1 } });
    const none = await call(url(`/api/reports/subjects/${unique("nobody")}`), { auth: reporter.basic });
    expect(none.body.all).toMatchObject({ active: 0, revoked: 0, superseded: 0, expired: 0, total: 0, last_used_at: null });
    expect((await call(url(`/api/reports/subjects/${"x".repeat(300)}`), { auth: reporter.basic })).status).toBe(400);
    expect((await call(url(`/api/reports/subjects/${unique("s")}`), { auth: owner.basic })).status).toBe(403);
  });
});

describe("the console's log out everywhere (lib/admin/logout-everywhere.ts)", () => {
  const admin = { subject: "EE38001085718", name: "Admin", actor: administratorActor("EE38001085718"), revokedBy: "admin:EE38001085718" };

  test("ends every active custom token (any client's) and TARA session of the subject, as the administrator, audited", async () => {
    const person = await taraTokenFixture({ allowlist: "live" });
    const custom = [await issue(owner, person.sub), await issue(stranger, person.sub)];
    await expect(logoutEverywhere({ subject: person.sub, reason: "x", admin })).rejects.toMatchObject({ status: 400 });
    const prisma = await db();
    expect(await prisma.taraDenylist.count({ where: { jwtUuid: person.jti } })).toBe(0);

    const r = await logoutEverywhere({ subject: person.sub, reason: "incident 42", admin, requestId: `req-admin-${person.jti}` });
    expect(r).toEqual({ subject: person.sub, revoked: { custom: 2, tara: 1 }, remaining: { custom: 0, tara: 0 } });
    const rows = await prisma.customDenylist.findMany({ where: { jwtUuid: { in: custom.map((t) => claimsOf(t).jti) } } });
    expect(rows.map((row) => [row.reason, row.revokedBy])).toEqual([
      ["incident 42", admin.revokedBy],
      ["incident 42", admin.revokedBy],
    ]);
    expect(await prisma.taraDenylist.findUnique({ where: { jwtUuid: person.jti } })).toMatchObject({ reason: "incident 42", revokedBy: admin.revokedBy });
    const audits = await prisma.audit.findMany({ where: { requestId: `req-admin-${person.jti}` } });
    expect(audits.map((a) => [a.action, a.actorType, (a.target as { kind: string }).kind]).sort()).toEqual([
      ["tokens.revoke", "administrator", "custom"],
      ["tokens.revoke", "administrator", "tara"],
    ]);
  });
});
