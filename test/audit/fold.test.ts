import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, test } from "vitest";
import { administratorActor } from "@/lib/audit/actors";
import { FOLD_CLOCK_MARGIN_MS, foldTokenChanges } from "@/lib/audit/fold-token-changes";
import { auditEventsForToken } from "@/lib/audit/search";
import { verifyAuditChain } from "@/lib/audit/verify";
import { revokeListed } from "@/lib/admin/revoke-listed";
import { db } from "@/lib/db/client";
import { onPostgres } from "@/test/support/scratch-db";
import { useApi } from "@/test/support/use-api";
import { call, claimsOf, taraTokenFixture, unique } from "@/test/tokens/helpers";

const api = useApi();
const url = api.url;

async function issue(n: number): Promise<{ token: string; jti: string }[]> {
  const res = await call(url("/jwt/custom/generate/batch"), {
    json: { tokens: Array.from({ length: n }, () => ({ content: { sub: unique("fold") }, expirationInMinutes: 30 })) },
    auth: api.client.basic,
  });
  expect(res.status).toBe(200);
  return res.body.tokens.map((t: { token: string }) => ({ token: t.token, jti: claimsOf(t.token).jti }));
}

/** Revokes through the token API; the request id TIM answered with. */
async function revoke(token: string, reason: string): Promise<string> {
  const res = await call(url("/jwt/custom/revoke"), { json: { token, reason }, auth: api.client.basic });
  expect(res.status).toBe(200);
  return res.headers.get("x-request-id")!;
}

/** The fold leaves the newest second alone (clock margin): let the changes age past it. */
const pastMargin = () => sleep(FOLD_CLOCK_MARGIN_MS + 50);

async function watermark(): Promise<string> {
  const [row] = await (await db()).$queryRaw<[{ t: string }]>`
    SELECT folded_to::text AS t FROM tim.audit_fold_watermark WHERE name = 'token_changes'`;
  return row.t;
}

describe("folding token-API changes into the audit trail", () => {
  test("revocation, RFC 7009 revocation, extensions and a TARA logout each become exactly one event with actor, target, reason and time", async () => {
    const prisma = await db();
    const [revoked, rfc7009, extended, bulk, byAdmin] = await issue(5);
    const revokeRequest = await revoke(revoked.token, "key leaked");
    const rfc7009Answer = await call(url("/revoke"), {
      form: { token: rfc7009.token },
      auth: api.client.basic,
      headers: { "x-request-id": unique("req-7009") },
    });
    expect(rfc7009Answer.status).toBe(200);
    const ext = await call(url("/jwt/custom/extend"), { json: { token: extended.token, expirationInMinutes: 10 }, auth: api.client.basic });
    expect(ext.status).toBe(200);
    const successor = claimsOf(ext.body.token).jti;
    // Audited when they happen: must not be folded a second time.
    expect((await call(url("/jwt/custom/revoke/bulk"), { json: { tokens: [bulk.token] }, auth: api.client.basic })).status).toBe(200);
    await revokeListed({ entries: byAdmin.jti, reason: "fold test", actor: administratorActor("EE-fold"), revokedBy: "admin:EE-fold" });

    const tara = await taraTokenFixture({ allowlist: "live" });
    const taraExt = await call(url("/jwt/tara/extend"), { json: { token: tara.token } });
    expect(taraExt.status).toBe(200);
    const taraSuccessor = claimsOf(taraExt.body.token).jti;
    const logout = await call(url("/auth/logout"), { method: "POST", headers: { cookie: `TIM_TARA_JWT=${taraExt.body.token}` } });
    // Each folded event names its request and the caller's address (kept on the denylist row; loopback here).
    const from = (res: { headers: Headers }) => ({ requestId: res.headers.get("x-request-id"), sourceAddress: "127.0.0.1" });
    expect(logout.body).toMatchObject({ revoked: 1 });

    await pastMargin();
    const first = await foldTokenChanges();
    expect(first.folded).toBeGreaterThanOrEqual(5);

    const only = async (jti: string) => {
      const events = await auditEventsForToken(jti);
      expect(events).toHaveLength(1);
      return events[0];
    };
    const denied = (jti: string) => prisma.customDenylist.findUniqueOrThrow({ where: { jwtUuid: jti } });
    const apiClient = { actorType: "api_client", actorId: api.client.clientId };

    expect(await only(revoked.jti)).toMatchObject({
      ...apiClient,
      action: "tokens.revoke",
      reason: "key leaked",
      target: { kind: "custom", jwt_uuids: [revoked.jti] },
      counts: { revoked: 1 },
      at: (await denied(revoked.jti)).denylistedAt,
      requestId: revokeRequest,
      sourceAddress: "127.0.0.1",
    });
    expect(await only(rfc7009.jti)).toMatchObject({ ...apiClient, action: "tokens.revoke", reason: "rfc7009_revocation", ...from(rfc7009Answer) });

    const extension = await only(extended.jti);
    expect(extension).toMatchObject({
      ...apiClient,
      action: "tokens.extend",
      target: { kind: "custom", jwt_uuids: [extended.jti, successor], extended: extended.jti, successor },
      at: (await prisma.customJwtMetadata.findUniqueOrThrow({ where: { jwtUuid: successor } })).createdAt,
      ...from(ext),
    });
    expect((await only(successor)).id).toBe(extension.id);

    expect(await only(bulk.jti)).toMatchObject({ ...apiClient, action: "tokens.revoke", counts: { revoked: 1, already_revoked: 0, failed: 0 } });
    expect(await only(byAdmin.jti)).toMatchObject({ actorType: "administrator", actorId: "EE-fold", action: "tokens.revoke", reason: "fold test" });

    const taraEnd = { actorType: "end_user", actorId: tara.sub };
    expect(await only(tara.jti)).toMatchObject({
      ...taraEnd,
      action: "tokens.extend",
      target: { kind: "tara", jwt_uuids: [tara.jti, taraSuccessor] },
      ...from(taraExt),
    });
    expect((await auditEventsForToken(taraSuccessor)).map((e) => e.action).sort()).toEqual(["tara.logout", "tokens.extend"]);
    expect((await auditEventsForToken(taraSuccessor)).find((e) => e.action === "tara.logout")).toMatchObject({
      ...taraEnd,
      reason: "logout",
      target: { kind: "tara", jwt_uuids: [taraSuccessor] },
      at: (await prisma.taraDenylist.findUniqueOrThrow({ where: { jwtUuid: taraSuccessor } })).denylistedAt,
      ...from(logout),
    });

    // A second run finds nothing of this again (on PostgreSQL other test files may have made new changes meanwhile).
    const second = await foldTokenChanges();
    if (!onPostgres) expect(second.folded).toBe(0);
    for (const jti of [revoked.jti, rfc7009.jti, extended.jti, bulk.jti, byAdmin.jti]) expect(await auditEventsForToken(jti)).toHaveLength(1);
    expect(await auditEventsForToken(taraSuccessor)).toHaveLength(2);
    expect((await verifyAuditChain()).ok).toBe(true);
  });

  test("a token revoked singly and then named again in a bulk request before the fold keeps its own event", async () => {
    const [token] = await issue(1);
    await revoke(token.token, "single first");
    const res = await call(url("/jwt/custom/revoke/bulk"), { json: { tokens: [token.token] }, auth: api.client.basic });
    expect(res.status).toBe(409);
    await pastMargin();
    await foldTokenChanges();
    const events = await auditEventsForToken(token.jti);
    // the bulk request's own event (it revoked nothing) and the folded single revocation
    expect(events).toHaveLength(2);
    expect(events.map((e) => e.counts)).toEqual(expect.arrayContaining([{ revoked: 0, already_revoked: 1, failed: 0 }, { revoked: 1 }]));
    expect(events.find((e) => e.reason === "single first")).toBeDefined();
  });

  test("concurrent runs audit each change once", async () => {
    const tokens = await issue(6);
    for (const t of tokens) await revoke(t.token, "concurrent fold");
    await pastMargin();
    await Promise.all([foldTokenChanges(), foldTokenChanges(), foldTokenChanges()]);
    for (const t of tokens) expect(await auditEventsForToken(t.jti)).toHaveLength(1);
    expect((await verifyAuditChain()).ok).toBe(true);
  });

  test("a failure in the middle of a fold leaves the watermark and the trail as they were; the next run folds the change once", async () => {
    const prisma = await db();
    const [victim] = await issue(1);
    await revoke(victim.token, "failing fold");
    await pastMargin();
    const before = await watermark();
    // A real failure after the events were inserted, at the watermark update.
    await prisma.$executeRawUnsafe(`
      CREATE FUNCTION tim.fold_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected fold failure'; END $$`);
    await prisma.$executeRawUnsafe(
      `CREATE TRIGGER fold_test_fail BEFORE UPDATE ON tim.audit_fold_watermark FOR EACH ROW EXECUTE FUNCTION tim.fold_test_fail()`,
    );
    try {
      await expect(foldTokenChanges()).rejects.toThrow(/injected fold failure/);
    } finally {
      await prisma.$executeRawUnsafe(`DROP TRIGGER fold_test_fail ON tim.audit_fold_watermark`);
      await prisma.$executeRawUnsafe(`DROP FUNCTION tim.fold_test_fail()`);
    }
    expect(await watermark()).toBe(before);
    expect(await auditEventsForToken(victim.jti)).toHaveLength(0);

    await foldTokenChanges();
    expect(await auditEventsForToken(victim.jti)).toHaveLength(1);
    expect(await watermark()).not.toBe(before);
    expect((await verifyAuditChain()).ok).toBe(true);
  });
});
