import { describe, expect, test } from "vitest";
import { createClientFromConsole, listApiClients, rotateClientSecretFromConsole, updateClientFromConsole } from "@/lib/admin/clients";
import { listSigningKeys, prepareKey, retireKeyFromConsole, rotateKeyEmergency, rotateKeyNow } from "@/lib/admin/keys";
import { revokeListed } from "@/lib/admin/revoke-listed";
import { parseAuditQuery, searchAudit } from "@/lib/audit/search";
import { db } from "@/lib/db/client";
import { publishLeadMs } from "@/lib/jwt/key-store";
import { ensureSigningKey } from "@/lib/jwt/keys";
import { tokenDetail } from "@/lib/reporting/token-detail";
import { seedTokens, unique } from "@/test/reporting/seed";

const actor = { type: "administrator" as const, id: "EE38001085718" };

describe("token detail", () => {
  test("a 3-version chain: metadata, claims, revocation, chain with the current version, and its audit events", async () => {
    const [v1] = await seedTokens([{ jwtName: "chain", claims: { sub: "alice", role: "admin" } }]);
    const [v2] = await seedTokens([{ jwtName: "chain", extends: v1 }]);
    const [v3] = await seedTokens([{ jwtName: "chain", extends: v2 }]);
    const prisma = await db();
    await prisma.customDenylist.createMany({ data: [v1, v2].map((v) => ({ jwtUuid: v.jwtUuid, expiresAt: v.expiresAt, reason: "extended" })) });
    await revokeListed({ entries: v3.jwtUuid, reason: "test detail", actor, revokedBy: "admin:EE38001085718" });

    const detail = (await tokenDetail(v2.jwtUuid))!;
    expect(detail.kind).toBe("custom");
    expect(detail.status).toBe("superseded");
    expect(detail.revocation?.reason).toBe("extended");
    expect(detail.metadata).not.toHaveProperty("tokenHash");
    expect(detail.chain.chain.map((c) => c.jwt_uuid)).toEqual([v1.jwtUuid, v2.jwtUuid, v3.jwtUuid]);
    expect(detail.chain.current_jwt_uuid).toBe(v3.jwtUuid);
    expect(detail.chain.chain[2].supersedes).toBe(v2.id);

    const last = (await tokenDetail(v3.jwtUuid))!;
    expect(last.audit.map((a) => a.action)).toEqual(["tokens.revoke"]);
    expect((await tokenDetail(v1.jwtUuid))!.claims).toEqual({ sub: "alice", role: "admin" });
    expect(await tokenDetail(crypto.randomUUID())).toBeUndefined();
    await expect(tokenDetail("nope")).rejects.toMatchObject({ status: 400 });
  });
});

describe("audit log search", () => {
  test("filters by actor, action prefix, token and pages by seq", async () => {
    const me = { type: "administrator" as const, id: unique("EE") };
    const tokens = await seedTokens([{}, {}, {}]);
    for (const t of tokens) await revokeListed({ entries: t.jwtUuid, reason: "audit search", actor: me, revokedBy: `admin:${me.id}` });
    const first = await searchAudit(parseAuditQuery({ actor: me.id, action: "tokens.", limit: "2" }));
    expect(first.rows).toHaveLength(2);
    expect(first.nextBefore).not.toBeNull();
    const second = await searchAudit(parseAuditQuery({ actor: me.id, before: first.nextBefore! }));
    expect(second.rows).toHaveLength(1);
    expect(Number(first.rows[0].seq)).toBeGreaterThan(Number(second.rows[0].seq));
    const byToken = await searchAudit(parseAuditQuery({ jwt_uuid: tokens[1].jwtUuid }));
    expect(byToken.rows.map((r) => r.actorId)).toEqual([me.id]);
    expect(() => parseAuditQuery({ from: "yesterday" })).toThrow(/from/);
  });
});

describe("keys and API clients from the console", () => {
  test("rotate now schedules a fresh key after the publish lead (asking again keeps it); an emergency rotation switches at once; both audited", async () => {
    await ensureSigningKey();
    const before = await listSigningKeys();
    const oldActive = before.keys.find((k) => k.status === "active")!;
    const rotation = await rotateKeyNow(actor, "req-rotate");
    expect(rotation.immediate).toBe(false);
    const scheduled = (await listSigningKeys()).keys.find((k) => k.kid === rotation.kid)!;
    expect(scheduled).toMatchObject({ status: "next", published: true });
    // Default lead: the JWKS max-age (300 s) plus the margin.
    expect(scheduled.activatesAt!.getTime() - scheduled.createdAt.getTime()).toBe(publishLeadMs());
    expect(publishLeadMs()).toBeGreaterThan(300_000);
    expect(await rotateKeyNow(actor, "req-rotate")).toEqual(rotation);
    expect((await listSigningKeys()).keys.find((k) => k.status === "active")?.kid).toBe(oldActive.kid);

    const kid = await rotateKeyEmergency(actor, "req-rotate");
    expect(kid).toBe(rotation.kid);
    const after = await listSigningKeys();
    expect(after.keys.find((k) => k.status === "active")?.kid).toBe(kid);
    expect(after.keys.find((k) => k.kid === oldActive.kid)?.status).toBe("retired");
    expect(after.jwks.keys.map((k) => (k as { kid: string }).kid)).toContain(kid);
    const audits = await (await db()).audit.findMany({ where: { requestId: "req-rotate" }, orderBy: { seq: "asc" } });
    const at = rotation.activatesAt.toISOString();
    expect(audits.map((a) => [a.action, a.target])).toEqual([
      ["key.rotate", { kid, activates_at: at }],
      ["key.rotate", { kid, activates_at: at }],
      ["key.rotate_emergency", { kid }],
    ]);
  });

  test("retire a published next key: it stops being a candidate, leaves the JWKS (it never signed) and is audited", async () => {
    await ensureSigningKey();
    const requestId = unique("req-retire");
    const kid = await prepareKey(actor, requestId);
    const { retired, active } = await retireKeyFromConsole(kid, actor, requestId);
    expect(retired).toBe(kid);
    const after = await listSigningKeys();
    expect(active).toBe(after.keys.find((k) => k.status === "active")?.kid);
    expect(after.keys.find((k) => k.kid === kid)).toMatchObject({ status: "retired", published: false });
    const audits = await (await db()).audit.findMany({ where: { requestId }, orderBy: { seq: "asc" } });
    expect(audits.map((a) => [a.action, a.target])).toEqual([
      ["key.prepare", { kid, signs_from: expect.any(String) }],
      ["key.retire", { kid }],
    ]);
    await expect(retireKeyFromConsole(kid, actor)).rejects.toMatchObject({ status: 409 });
  });

  test("create (secret returned once, stored hashed), change scopes, disable: each audited", async () => {
    const clientId = unique("console-client");
    const created = await createClientFromConsole(
      { clientId, name: "Console test", scopes: ["reports:read"], allowedAudiences: ["svc-a"], maxLifetimeMinutes: 30 },
      actor,
      `req-${clientId}`,
    );
    expect(created.clientSecret.length).toBeGreaterThan(20);
    const row = await (await db()).apiClient.findUniqueOrThrow({ where: { clientId } });
    expect(row.secretHash).not.toContain(created.clientSecret);
    await updateClientFromConsole(clientId, { scopes: ["reports:read", "tokens:issue"] }, actor, `req-${clientId}`);
    await updateClientFromConsole(clientId, { disabled: true }, actor, `req-${clientId}`);
    const listed = (await listApiClients()).find((c) => c.clientId === clientId)!;
    expect(listed).toMatchObject({ scopes: ["reports:read", "tokens:issue"], allowedAudiences: ["svc-a"], maxLifetimeMinutes: 30 });
    expect(listed.disabledAt).not.toBeNull();
    const audits = await (await db()).audit.findMany({ where: { requestId: `req-${clientId}` }, orderBy: { seq: "asc" } });
    expect(audits.map((a) => a.action)).toEqual(["client.create", "client.update", "client.disable"]);
    expect(JSON.stringify(audits.map((a) => ({ ...a, seq: String(a.seq) })))).not.toContain(created.clientSecret);
    await expect(createClientFromConsole({ name: "", scopes: [], allowedAudiences: [] }, actor)).rejects.toMatchObject({ status: 400 });
  });

  test("a client change and its audit event commit together: a failing audit write undoes the change", async () => {
    const prisma = await db();
    const clientId = unique("atomic-client");
    // A request id over 200 characters is refused by the audit write, which runs after the change in its transaction.
    const badRequestId = "r".repeat(201);
    const input = { clientId, name: "Atomic", scopes: ["reports:read"], allowedAudiences: [] };
    await expect(createClientFromConsole(input, actor, badRequestId)).rejects.toThrow();
    expect(await prisma.apiClient.findUnique({ where: { clientId } })).toBeNull();

    await createClientFromConsole(input, actor, `req-${clientId}`);
    const before = await prisma.apiClient.findUniqueOrThrow({ where: { clientId } });
    await expect(updateClientFromConsole(clientId, { scopes: ["tokens:issue"] }, actor, badRequestId)).rejects.toThrow();
    await expect(updateClientFromConsole(clientId, { disabled: true }, actor, badRequestId)).rejects.toThrow();
    await expect(rotateClientSecretFromConsole(clientId, actor, badRequestId)).rejects.toThrow();
    const after = await prisma.apiClient.findUniqueOrThrow({ where: { clientId } });
    expect(after).toEqual(before);

    await rotateClientSecretFromConsole(clientId, actor, `req-${clientId}`);
    expect((await prisma.apiClient.findUniqueOrThrow({ where: { clientId } })).secretHash).not.toBe(before.secretHash);
    const audits = await prisma.audit.findMany({ where: { target: { path: ["client_id"], equals: clientId } }, orderBy: { seq: "asc" } });
    expect(audits.map((a) => [a.action, a.requestId])).toEqual([
      ["client.create", `req-${clientId}`],
      ["client.rotate_secret", `req-${clientId}`],
    ]);
    await expect(updateClientFromConsole(unique("no-such-client"), { disabled: true }, actor)).rejects.toMatchObject({ status: 404 });
  });
});
