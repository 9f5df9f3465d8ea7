import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLITE_EXTENSIONS } from "@/lib/db/pglite-extensions";
import { amcheck } from "@electric-sql/pglite/contrib/amcheck";
import { afterAll, describe, expect, test } from "vitest";
import { lockDataDir, lockFileOf, unlockDataDir } from "@/lib/db/data-dir-lock";

/**
 * One writer per embedded database (issue 13 point 2): with a process holding
 * the PGlite directory, every command-line entry point is refused with a
 * message naming the holder, the holder's data stays consistent (amcheck), and
 * the lock goes with the holder. Child processes run on PGlite whatever
 * database the suite uses (the lock guards PGlite directories only).
 */
const root = mkdtempSync(path.join(tmpdir(), "tim-lock-"));
const pgliteDir = path.join(root, "pglite");
const env = { ...process.env, TIM_PGLITE_DIR: pgliteDir, TIM_DATA_DIR: root, DATABASE_URL: "" };
delete (env as Record<string, string | undefined>).DATABASE_URL;

type Ran = { code: number | null; out: string };

function run(script: string, args: string[] = []): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) => resolve({ code, out }));
  });
}

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the embedded database directory lock", () => {
  test("while a process holds the directory, db:migrate, jobs, audit:verify and seed:bulk are refused; indexes stay consistent", async () => {
    const holder = spawn(process.execPath, ["--import", "tsx", "test/db/fixtures/hold-pglite.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let holderOut = "";
    holder.stdout.on("data", (d) => (holderOut += d));
    holder.stderr.on("data", (d) => (holderOut += d));
    try {
      await expect.poll(() => holderOut, { timeout: 120_000, interval: 200 }).toMatch(/^ready/m);

      const refusals = await Promise.all([
        run("scripts/migrate.ts"),
        run("scripts/jobs.ts", ["retention"]),
        run("scripts/audit-verify.ts"),
        run("scripts/seed-bulk.ts", ["--rows", "2000"]),
      ]);
      for (const r of refusals) {
        expect(r.code, r.out).not.toBe(0);
        expect(r.out).toContain(`is in use by process ${holder.pid}`);
        expect(r.out).toContain("stop that process");
      }
    } finally {
      const exited = new Promise((r) => holder.once("exit", r));
      holder.kill("SIGTERM");
      await exited;
    }

    // The holder released the lock on its way out: the next command runs.
    const verified = await run("scripts/audit-verify.ts");
    expect(verified.out).toMatch(/Audit trail intact/);
    expect(verified.code).toBe(0);

    const lite = await PGlite.create(pgliteDir, { extensions: { ...PGLITE_EXTENSIONS, amcheck } });
    try {
      await lite.exec("CREATE EXTENSION IF NOT EXISTS amcheck");
      const indexes = await lite.query<{ name: string }>(`
        SELECT c.oid::regclass::text AS name
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
          JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE a.amname = 'btree' AND n.nspname IN ('custom', 'tara', 'tim')`);
      expect(indexes.rows.length).toBeGreaterThan(10);
      for (const { name } of indexes.rows) {
        await lite.query("SELECT bt_index_parent_check($1::regclass, heapallindexed => true)", [name]);
      }
      const rows = await lite.query<{ n: number }>("SELECT count(*)::int AS n FROM custom.jwt_metadata WHERE jwt_name = 'lock-holder'");
      expect(rows.rows[0].n).toBe(20);
    } finally {
      await lite.close();
    }
  }, 300_000);

  test("a lock left by a process that is gone is taken over; a live one is not", () => {
    const dir = path.join(root, "stale");
    writeFileSync(lockFileOf(dir), JSON.stringify({ pid: 2 ** 22 + 12345, started: "earlier", command: "dead" }));
    lockDataDir(dir);
    unlockDataDir(dir);

    writeFileSync(lockFileOf(dir), JSON.stringify({ pid: process.ppid, started: "now", command: "parent" }));
    expect(() => lockDataDir(dir)).toThrow(`in use by process ${process.ppid}`);
  });
});
