import { afterEach, describe, expect, test } from "vitest";
import { revokeByQuery } from "@/lib/admin/revoke-by-query";
import { massRevocation, previewRevocationByQuery } from "@/lib/admin/revoke-query";
import { revokeListed } from "@/lib/admin/revoke-listed";
import { anonymousCaller } from "@/lib/clients/scopes";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { beginBulkJob, continueBulkJob, endBulkJob } from "@/lib/jobs/bulk";
import { getJobRun } from "@/lib/jobs/runs";
import { parseTokenQuery } from "@/lib/reporting/filters";
import { issueCustomTokens } from "@/lib/tokens/generate";
import { seedTokens, unique } from "@/test/reporting/seed";

const admin = { actor: { type: "administrator" as const, id: "EE38001085718" }, revokedBy: "admin:EE38001085718" };
const filtersOf = (q: Record<string, string>) => parseTokenQuery(new URLSearchParams(q)).filters;

async function denylisted(jti: string) {
  const prisma = await db();
  return (await prisma.customDenylist.findUnique({ where: { jwtUuid: jti } })) ?? (await prisma.taraDenylist.findUnique({ where: { jwtUuid: jti } }));
}

afterEach(() => {
  delete process.env.TIM_BULK_REVOKE_INLINE_MAX;
  resetConfig();
});

describe("revoking listed tokens", () => {
  test("by jti and by pasted token, one transaction and one audit event; already revoked ones are reported, not touched", async () => {
    const [issued] = await issueCustomTokens([{ JWTName: "console-revoke", content: { sub: "alice" }, expirationInMinutes: 60 }], anonymousCaller);
    const [byJti, tara, already] = await seedTokens([{}, { kind: "tara" }, { revoked: { reason: "earlier" } }]);
    const missing = crypto.randomUUID();
    const before = await denylisted(already.jwtUuid);

    const result = await revokeListed({
      entries: `${byJti.jwtUuid}\n${tara.jwtUuid}, ${issued.token}\n${already.jwtUuid} ${missing} not-a-token`,
      reason: "compromised laptop",
      ...admin,
      requestId: "req-listed",
    });
    expect(new Set(result.revoked)).toEqual(new Set([byJti.jwtUuid, tara.jwtUuid, issued.jti]));
    expect(result.alreadyRevoked).toEqual([already.jwtUuid]);
    expect(result.notFound).toEqual([missing]);
    expect(result.invalid).toHaveLength(1);
    expect(result.invalid[0].entry).toBe("not-a-token");

    expect(await denylisted(tara.jwtUuid)).toMatchObject({ reason: "compromised laptop", revokedBy: "admin:EE38001085718" });
    expect(await denylisted(already.jwtUuid)).toEqual(before);

    const audit = await (await db()).audit.findFirstOrThrow({ where: { requestId: "req-listed" } });
    expect(audit).toMatchObject({
      actorType: "administrator",
      actorId: "EE38001085718",
      action: "tokens.revoke",
      reason: "compromised laptop",
      counts: { revoked: 3, already_revoked: 1, not_found: 1, invalid: 1 },
    });
    expect(new Set((audit.target as { jwt_uuids: string[] }).jwt_uuids)).toEqual(new Set([byJti.jwtUuid, tara.jwtUuid, issued.jti, already.jwtUuid]));
  });

  test("a reason is required and an empty list is refused", async () => {
    await expect(revokeListed({ entries: crypto.randomUUID(), reason: " ", ...admin })).rejects.toMatchObject({ status: 400 });
    await expect(revokeListed({ entries: " \n ", reason: "because", ...admin })).rejects.toMatchObject({ status: 400 });
  });
});

describe("revoking by query", () => {
  test("preview counts only active matches; confirming with that count revokes exactly them, audited", async () => {
    const subject = unique("incident");
    const tokens = await seedTokens([
      { subject, claimKeys: "sub,admin" },
      { subject, claimKeys: "sub,admin", kind: "tara" },
      { subject, claimKeys: "sub,admin", revoked: { reason: "earlier incident" } },
      { subject, claimKeys: "sub,admin", issuedAt: new Date(Date.now() - 7_200_000), expiresAt: new Date(Date.now() - 3_600_000) },
      { subject, claimKeys: "sub,reader" },
    ]);
    const filters = filtersOf({ subject, claim_keys: "admin" });
    const preview = await previewRevocationByQuery(filters);
    expect(preview.matched).toBe(2);
    expect(new Set(preview.sample.map((s) => s.jwt_uuid))).toEqual(new Set([tokens[0].jwtUuid, tokens[1].jwtUuid]));

    await expect(revokeByQuery({ filters, reason: "admin claim leaked", confirmCount: 3, ...admin })).rejects.toMatchObject({
      status: 409,
      body: { matched: 2 },
    });
    expect(await denylisted(tokens[0].jwtUuid)).toBeNull();

    const earlier = await denylisted(tokens[2].jwtUuid);
    const result = await revokeByQuery({ filters, reason: "admin claim leaked", confirmCount: 2, ...admin, requestId: `req-${subject}` });
    expect(result).toEqual({ mode: "done", revoked: 2, auditId: expect.any(String) });
    expect(await denylisted(tokens[0].jwtUuid)).toMatchObject({ reason: "admin claim leaked", revokedBy: "admin:EE38001085718" });
    expect(await denylisted(tokens[1].jwtUuid)).toMatchObject({ reason: "admin claim leaked" });
    expect(await denylisted(tokens[2].jwtUuid)).toEqual(earlier);
    expect(await denylisted(tokens[3].jwtUuid)).toBeNull();
    expect(await denylisted(tokens[4].jwtUuid)).toBeNull();

    const audit = await (await db()).audit.findFirstOrThrow({ where: { requestId: `req-${subject}` } });
    expect(audit).toMatchObject({ action: "tokens.revoke_by_query", target: { query: { subject, claim_keys: "admin" } }, counts: { matched: 2, revoked: 2 } });

    await expect(revokeByQuery({ filters, reason: "again", confirmCount: 2, ...admin })).rejects.toMatchObject({ status: 400 });
  });

  test("a query without filters is refused", async () => {
    await expect(previewRevocationByQuery(filtersOf({}))).rejects.toMatchObject({ status: 400 });
    await expect(revokeByQuery({ filters: filtersOf({ status: "active" }), reason: "everything", confirmCount: 1, ...admin })).rejects.toMatchObject({
      status: 400,
    });
  });

  test("a large set runs as the mass-revocation job, chunk by chunk with progress, each chunk audited", async () => {
    process.env.TIM_BULK_REVOKE_INLINE_MAX = "10";
    resetConfig();
    const jwtName = unique("mass");
    const tokens = await seedTokens(Array.from({ length: 1_203 }, (_, i) => ({ jwtName, kind: i % 5 === 0 ? ("tara" as const) : ("custom" as const) })));
    const filters = filtersOf({ jwt_name: jwtName });
    const result = await revokeByQuery({ filters, reason: "mass incident", confirmCount: 1_203, ...admin, requestId: `req-${jwtName}` });
    expect(result).toMatchObject({ mode: "job", matched: 1_203 });
    const runId = (result as { runId: string }).runId;

    // What the background function does with the run (defineBulkJob in lib/jobs/bulk.ts).
    let state = await beginBulkJob(massRevocation, runId);
    expect((await getJobRun(runId))?.progressTotal).toBe(1_203);
    state = await continueBulkJob(massRevocation, state, 1);
    expect((await getJobRun(runId))?.progressDone).toBe(1_000);
    while (!state.done) state = await continueBulkJob(massRevocation, state, 1);
    await endBulkJob(massRevocation, state);
    expect(await getJobRun(runId)).toMatchObject({ status: "succeeded", progressDone: 1_203 });

    const prisma = await db();
    const ids = tokens.map((t) => t.jwtUuid);
    const revoked =
      (await prisma.customDenylist.count({ where: { jwtUuid: { in: ids }, reason: "mass incident" } })) +
      (await prisma.taraDenylist.count({ where: { jwtUuid: { in: ids }, reason: "mass incident" } }));
    expect(revoked).toBe(1_203);
    const audits = await prisma.audit.findMany({ where: { requestId: `req-${jwtName}` }, orderBy: { seq: "asc" } });
    expect(audits.map((a) => a.action)).toEqual(["tokens.revoke_by_query.queued", "tokens.revoke_by_query", "tokens.revoke_by_query"]);
    expect(audits.slice(1).map((a) => (a.counts as { revoked: number }).revoked)).toEqual([1_000, 203]);
  });

  test("a run interrupted mid-way and resumed from its last saved state revokes every token and counts each exactly once", async () => {
    process.env.TIM_BULK_REVOKE_INLINE_MAX = "10";
    resetConfig();
    const jwtName = unique("resume");
    await seedTokens(Array.from({ length: 3_500 }, (_, i) => ({ jwtName, kind: i % 4 === 0 ? ("tara" as const) : ("custom" as const) })));
    const filters = filtersOf({ jwt_name: jwtName });
    const result = await revokeByQuery({ filters, reason: "resume incident", confirmCount: 3_500, ...admin });
    const runId = (result as { runId: string }).runId;

    const begun = await beginBulkJob(massRevocation, runId);
    // A step that ran two chunks and died before its result was saved: the executor replays from `begun`.
    await continueBulkJob(massRevocation, begun, 2);
    expect((await getJobRun(runId))?.progressDone).toBe(2_000);
    let state = begun;
    while (!state.done) state = await continueBulkJob(massRevocation, state, 1);
    await endBulkJob(massRevocation, state);

    expect(await getJobRun(runId)).toMatchObject({ status: "succeeded", progressDone: 3_500, counts: { processed: 3_500 } });
    const prisma = await db();
    const revoked =
      (await prisma.customDenylist.count({ where: { reason: "resume incident" } })) +
      (await prisma.taraDenylist.count({ where: { reason: "resume incident" } }));
    expect(revoked).toBe(3_500);
  });
});
