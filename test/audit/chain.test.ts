import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, describe, expect, test } from "vitest";
import { GENESIS_HASH, chainHash } from "@/lib/audit/event";
import { recordAudit } from "@/lib/audit/record";
import { verifyAuditChain } from "@/lib/audit/verify";
import { db } from "@/lib/db/client";
import { writeAuditEntries } from "@/lib/audit/write-entries";
import { createScratchTim, type ScratchTim } from "@/test/audit/scratch-tim";

const run = promisify(execFile);
const admin = (id: string) => ({ type: "administrator" as const, id });

let scratch: ScratchTim | undefined;
afterEach(async () => {
  await scratch?.drop();
  scratch = undefined;
});

describe("recording", () => {
  test("an event is written in the caller's transaction and linked to the previous row", async () => {
    const prisma = await db();
    const uuid = crypto.randomUUID();
    const [recorded] = await prisma.$transaction((tx) =>
      recordAudit(tx, {
        actor: admin("EE-chain-1"),
        action: "token.revoke",
        target: { jwt_uuids: [uuid] },
        reason: "test",
        counts: { revoked: 1 },
        requestId: "req-1",
      }),
    );
    const row = await prisma.audit.findUniqueOrThrow({ where: { id: recorded.id } });
    expect(row).toMatchObject({ actorType: "administrator", actorId: "EE-chain-1", action: "token.revoke", reason: "test", requestId: "req-1" });
    expect(row.target).toEqual({ jwt_uuids: [uuid] });
    expect(row.counts).toEqual({ revoked: 1 });
    const previous = await prisma.audit.findFirst({ where: { seq: { lt: row.seq } }, orderBy: { seq: "desc" } });
    expect(row.prevHash).toBe(previous?.hash ?? GENESIS_HASH);
    expect(row.hash).toBe(chainHash(row.prevHash, row));
  });

  test("a rolled-back change leaves no audit row", async () => {
    const prisma = await db();
    const actor = admin(`EE-rollback-${crypto.randomUUID()}`);
    await expect(
      prisma.$transaction(async (tx) => {
        await recordAudit(tx, { actor, action: "client.create" });
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await prisma.audit.count({ where: { actorId: actor.id } })).toBe(0);
  });

  test("the database refuses UPDATE, DELETE and TRUNCATE of audit rows", async () => {
    const prisma = await db();
    const [r] = await prisma.$transaction((tx) => recordAudit(tx, { actor: admin("EE-immutable"), action: "key.rotate" }));
    await expect(prisma.audit.update({ where: { id: r.id }, data: { reason: "edited" } })).rejects.toThrow();
    await expect(prisma.audit.delete({ where: { id: r.id } })).rejects.toThrow();
    await expect(prisma.$executeRaw`TRUNCATE tim.audit`).rejects.toThrow();
    expect((await prisma.audit.findUniqueOrThrow({ where: { id: r.id } })).reason).toBeNull();
  });

  test("concurrent transactions keep one linear chain", async () => {
    const prisma = await db();
    const actorId = `EE-concurrent-${crypto.randomUUID()}`;
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        prisma.$transaction((tx) =>
          recordAudit(tx, [
            { actor: admin(actorId), action: "token.revoke", counts: { revoked: i } },
            { actor: admin(actorId), action: "token.revoke", counts: { revoked: i + 100 } },
          ]),
        ),
      ),
    );
    expect(await prisma.audit.count({ where: { actorId } })).toBe(24);
    const result = await verifyAuditChain();
    expect(result).toMatchObject({ ok: true });
  });

  test("audit entries of jobs and settings are written through the chain", async () => {
    const prisma = await db();
    const actor = `job-${crypto.randomUUID()}`;
    await prisma.$transaction((tx) =>
      writeAuditEntries(tx, [{ actor, actorKind: "system_job", action: "retention.run", counts: { deleted: 3 }, target: { table: "custom.jwt_metadata" } }]),
    );
    const row = await prisma.audit.findFirstOrThrow({ where: { actorId: actor } });
    expect(row).toMatchObject({ actorType: "system_job", action: "retention.run", counts: { deleted: 3 } });
  });

  test("outside a transaction and with invalid input nothing is written", async () => {
    const prisma = await db();
    await expect(recordAudit(prisma, { actor: admin("EE-x"), action: "x" })).rejects.toThrow(/transaction/);
    await expect(prisma.$transaction((tx) => recordAudit(tx, { actor: admin("EE-x"), action: "x", reason: "nul\u0000byte" }))).rejects.toThrow(/NUL/);
    expect(await prisma.audit.count({ where: { actorId: "EE-x" } })).toBe(0);
  });
});

describe("verification (on a database of its own)", () => {
  async function seedChain(s: ScratchTim, n: number) {
    for (let i = 0; i < n; i++) {
      await s.prisma.$transaction((tx) =>
        recordAudit(tx, { actor: admin("EE38001085718"), action: "token.revoke", target: { jwt_uuids: [crypto.randomUUID()] }, counts: { revoked: 1 } }),
      );
    }
    return s.prisma.audit.findMany({ orderBy: { seq: "asc" } });
  }

  test("an intact chain verifies", async () => {
    scratch = await createScratchTim();
    const rows = await seedChain(scratch, 5);
    const result = await verifyAuditChain(scratch.prisma);
    expect(result).toMatchObject({ ok: true, rows: 5, lastSeq: rows[4].seq.toString(), lastHash: rows[4].hash });
  });

  test("an edited row is reported as the first broken link", async () => {
    scratch = await createScratchTim();
    const rows = await seedChain(scratch, 5);
    await scratch.exec(`ALTER TABLE tim.audit DISABLE TRIGGER audit_insert_only`);
    await scratch.exec(`UPDATE tim.audit SET counts = '{"revoked": 0}' WHERE seq = ${rows[2].seq}`);
    const result = await verifyAuditChain(scratch.prisma);
    expect(result).toMatchObject({ ok: false, rows: 2, brokenAt: { seq: rows[2].seq.toString(), kind: "altered" } });
  });

  test("a source address is covered by its row's hash: rows with and without one verify, an altered or dropped address is caught", async () => {
    scratch = await createScratchTim();
    await seedChain(scratch, 2);
    await scratch.prisma.$transaction((tx) =>
      recordAudit(tx, { actor: { ...admin("EE38001085718"), address: "203.0.113.7" }, action: "client.disable", target: { client_id: "c-1" } }),
    );
    await seedChain(scratch, 1);
    const rows = await scratch.prisma.audit.findMany({ orderBy: { seq: "asc" } });
    expect(rows.map((r) => r.sourceAddress)).toEqual([null, null, "203.0.113.7", null]);
    expect(await verifyAuditChain(scratch.prisma)).toMatchObject({ ok: true, rows: 4 });

    await scratch.exec(`ALTER TABLE tim.audit DISABLE TRIGGER audit_insert_only`);
    await scratch.exec(`UPDATE tim.audit SET source_address = '198.51.100.1' WHERE seq = ${rows[2].seq}`);
    expect(await verifyAuditChain(scratch.prisma)).toMatchObject({ ok: false, rows: 2, brokenAt: { seq: rows[2].seq.toString(), kind: "altered" } });
    await scratch.exec(`UPDATE tim.audit SET source_address = NULL WHERE seq = ${rows[2].seq}`);
    expect(await verifyAuditChain(scratch.prisma)).toMatchObject({ ok: false, rows: 2, brokenAt: { kind: "altered" } });
  });

  test("an address that is not one is refused, and nothing is written", async () => {
    scratch = await createScratchTim();
    await expect(
      scratch.prisma.$transaction((tx) => recordAudit(tx, { actor: { ...admin("EE38001085718"), address: "not-an-address" }, action: "client.disable" })),
    ).rejects.toThrow();
    expect(await scratch.prisma.audit.count()).toBe(0);
  });

  test("a removed row breaks the link of the row after it", async () => {
    scratch = await createScratchTim();
    const rows = await seedChain(scratch, 5);
    await scratch.exec(`ALTER TABLE tim.audit DISABLE TRIGGER audit_insert_only`);
    await scratch.exec(`DELETE FROM tim.audit WHERE seq = ${rows[1].seq}`);
    const result = await verifyAuditChain(scratch.prisma);
    expect(result).toMatchObject({ ok: false, rows: 1, brokenAt: { seq: rows[2].seq.toString(), kind: "link" } });
  });

  test("a re-hashed edit still breaks the next link", async () => {
    scratch = await createScratchTim();
    const rows = await seedChain(scratch, 4);
    const edited = { ...rows[1], reason: "covered up" };
    await scratch.exec(`ALTER TABLE tim.audit DISABLE TRIGGER audit_insert_only`);
    await scratch.exec(`UPDATE tim.audit SET reason = 'covered up', hash = '${chainHash(edited.prevHash, edited)}' WHERE seq = ${rows[1].seq}`);
    const result = await verifyAuditChain(scratch.prisma);
    expect(result).toMatchObject({ ok: false, brokenAt: { seq: rows[2].seq.toString(), kind: "link" } });
  });

  test("npm run audit:verify exits 0 on an intact trail and 1 naming the edited row", async () => {
    scratch = await createScratchTim({ forChildProcess: true });
    const rows = await seedChain(scratch, 3);
    await scratch.release();
    const env: NodeJS.ProcessEnv = { ...process.env, ...scratch.env, NODE_ENV: "production", TIM_LOG_LEVEL: "error" };
    const ok = await run("npx", ["tsx", "scripts/audit-verify.ts"], { env });
    expect(ok.stdout).toMatch(/intact: 3 row\(s\)/);

    const tamper = await createScratchTimAgain(scratch);
    await tamper(`ALTER TABLE tim.audit DISABLE TRIGGER audit_insert_only; UPDATE tim.audit SET actor_id = 'someone-else' WHERE seq = ${rows[1].seq}`);
    const broken = await run("npx", ["tsx", "scripts/audit-verify.ts"], { env }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(broken?.code).toBe(1);
    expect(broken?.stderr).toMatch(new RegExp(`seq ${rows[1].seq}`));
  });
});

/** Runs SQL on a released scratch database (PGlite: reopen the directory; PostgreSQL: a new connection). */
async function createScratchTimAgain(s: ScratchTim) {
  return async (sql: string) => {
    if (s.env.TIM_PGLITE_DIR) {
      const { PGlite } = await import("@electric-sql/pglite");
      const { PGLITE_EXTENSIONS } = await import("@/lib/db/pglite-extensions");
      const lite = await PGlite.create(s.env.TIM_PGLITE_DIR, { extensions: PGLITE_EXTENSIONS });
      await lite.exec(sql);
      await lite.close();
    } else {
      await s.exec(sql);
    }
  };
}
