import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { defaultMigrationsDir, migrate, readMigrations } from "@/lib/db/migrate";
import { hash, insertCustomToken, insertTaraToken, usageOf } from "@/test/jobs/support";
import { createScratchDb, type ScratchDb } from "@/test/support/scratch-db";

const MIGRATION = "20261203150000_metadata_insert_only";
const future = () => new Date(Date.now() + 3_600_000);

describe("metadata rows are insert-only (issue 14 §4)", () => {
  // Every column an UPDATE could rewrite, the chain links and the creation time above all.
  const changes = {
    supersedes: `supersedes = gen_random_uuid()`,
    original_jwt_uuid: `original_jwt_uuid = gen_random_uuid()`,
    created_at: `created_at = now() - interval '1 day'`,
    expires_at: `expires_at = expires_at + interval '1 day'`,
  };

  for (const kind of ["custom", "tara"] as const) {
    for (const [column, set] of Object.entries(changes)) {
      test(`${kind}.jwt_metadata refuses an UPDATE of ${column}`, async () => {
        const insert = kind === "custom" ? insertCustomToken : insertTaraToken;
        const row = await insert({ subject: `immutable-${randomUUID()}`, expiresAt: future() });
        const prisma = await db();
        await expect(prisma.$executeRawUnsafe(`UPDATE ${kind}.jwt_metadata SET ${set} WHERE jwt_uuid = $1::uuid`, row.jwtUuid)).rejects.toThrow(
          /insert-only: UPDATE refused/,
        );
        const [after] = await prisma.$queryRawUnsafe<Array<Record<string, unknown>>>(
          `SELECT supersedes, original_jwt_uuid::text, created_at, expires_at FROM ${kind}.jwt_metadata WHERE jwt_uuid = $1::uuid`,
          row.jwtUuid,
        );
        expect(after).toEqual({
          supersedes: null,
          original_jwt_uuid: row.originalJwtUuid,
          created_at: row.createdAt,
          expires_at: row.expiresAt,
        });
      });
    }

    test(`${kind}.jwt_metadata has no usage columns, keeps the default fillfactor, and still allows DELETE`, async () => {
      const prisma = await db();
      const columns = await prisma.$queryRaw<Array<{ column_name: string }>>`
        SELECT column_name FROM information_schema.columns WHERE table_schema = ${kind} AND table_name = 'jwt_metadata'`;
      const names = columns.map((c) => c.column_name);
      expect(names).toContain("supersedes");
      expect(names).not.toContain("use_count");
      expect(names).not.toContain("last_used_at");
      const [rel] = await prisma.$queryRaw<Array<{ reloptions: string[] | null }>>`
        SELECT c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ${kind} AND c.relname = 'jwt_metadata'`;
      expect(rel.reloptions ?? []).not.toContainEqual(expect.stringMatching(/fillfactor/));

      const insert = kind === "custom" ? insertCustomToken : insertTaraToken;
      const row = await insert({ subject: `deletable-${randomUUID()}`, expiresAt: future() });
      await prisma.$executeRawUnsafe(`INSERT INTO ${kind}.token_usage (jwt_uuid, use_count, last_used_at) VALUES ($1::uuid, 3, now())`, row.jwtUuid);
      expect((await usageOf(kind, row.jwtUuid)).useCount).toBe(3);
      // retention's DELETE after archiving: the usage row goes with its token
      expect(await prisma.$executeRawUnsafe(`DELETE FROM ${kind}.jwt_metadata WHERE jwt_uuid = $1::uuid`, row.jwtUuid)).toBe(1);
      expect(await usageOf(kind, row.jwtUuid)).toMatchObject({ useCount: 0, lastUsedAt: null });
    });
  }
});

describe(`migration ${MIGRATION}`, () => {
  let scratch: ScratchDb | undefined;
  afterEach(async () => {
    await scratch?.drop();
    scratch = undefined;
  });

  test("moves the counters of existing rows into token_usage; a never-used token gets no usage row", async () => {
    scratch = await createScratchDb();
    const session = await scratch.session();
    // The project's migrations up to the one before this one, as a database from before it has them.
    const before = mkdtempSync(path.join(tmpdir(), "tim-migrations-before-"));
    const earlier = readMigrations().filter((m) => m.name < MIGRATION);
    for (const m of earlier) cpSync(path.join(defaultMigrationsDir(), m.name), path.join(before, m.name), { recursive: true });
    expect((await migrate({ dir: before, session })).applied).toHaveLength(earlier.length);

    const used = randomUUID();
    const unused = randomUUID();
    const tara = randomUUID();
    const lastUsed = "2026-11-30T10:20:30.000Z";
    const row = (kind: string, uuid: string, useCount: number, at: string | null) =>
      session.query(
        `INSERT INTO ${kind}.jwt_metadata (jwt_uuid, claim_keys, issued_at, expires_at, original_jwt_uuid, claims_json,
                token_hash, use_count, last_used_at)
         VALUES ($1::uuid, 'sub', now(), now() + interval '1 hour', $1::uuid, '{}', $2, $3, $4::timestamptz)`,
        [uuid, hash(uuid), useCount, at],
      );
    await row("custom", used, 41, lastUsed);
    await row("custom", unused, 0, null);
    await row("tara", tara, 7, lastUsed);

    expect((await migrate({ session })).applied).toEqual(
      readMigrations()
        .filter((m) => m.name >= MIGRATION)
        .map((m) => m.name),
    );
    const usage = await session.query<{ kind: string; jwt_uuid: string; use_count: number; last_used_at: Date }>(
      `SELECT 'custom' AS kind, jwt_uuid::text, use_count, last_used_at FROM custom.token_usage
       UNION ALL SELECT 'tara', jwt_uuid::text, use_count, last_used_at FROM tara.token_usage ORDER BY kind`,
    );
    expect(usage.map((u) => ({ ...u, last_used_at: new Date(u.last_used_at).toISOString() }))).toEqual([
      { kind: "custom", jwt_uuid: used, use_count: 41, last_used_at: lastUsed },
      { kind: "tara", jwt_uuid: tara, use_count: 7, last_used_at: lastUsed },
    ]);
    const kept = await session.query<{ n: number }>(`SELECT count(*)::int AS n FROM custom.jwt_metadata`);
    expect(kept[0].n).toBe(2);
  });
});
