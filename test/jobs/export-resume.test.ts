import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { JobRunView } from "@/lib/jobs/runs";

/**
 * A background export whose writing process is killed mid-run (SIGKILL, no
 * clean-up) is finished by another process from what the first committed:
 * the stored file ends byte-identical to the same export streamed, with no
 * row twice. Real processes (test/jobs/export-process.ts) on a database of
 * this file's own: a PostgreSQL database, or an on-disk PGlite directory
 * opened by one process after the other.
 */
const ROWS = 5_000;
/** The first writer dies right after its 4th batch of 500 rows committed, inside the runner's first step of 10. */
const KILL_AFTER_CHUNKS = 4;
const onPostgres = Boolean(process.env.DATABASE_URL);
const dir = mkdtempSync(path.join(tmpdir(), "tim-export-resume-"));
let env: NodeJS.ProcessEnv;
let drop: () => Promise<void> = async () => {};

beforeAll(async () => {
  env = { ...process.env, NODE_ENV: "test", TIM_LOG_LEVEL: "error", TIM_DATA_DIR: path.join(dir, "data") };
  if (onPostgres) {
    const name = `tim_export_resume_${Date.now()}`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${name}`;
    env.DATABASE_URL = url.toString();
    drop = async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    };
  } else {
    delete env.DATABASE_URL;
    env.TIM_PGLITE_DIR = path.join(dir, "pglite");
  }
});
afterAll(async () => {
  await drop();
  rmSync(dir, { recursive: true, force: true });
});

function spawnWriter(args: string[]): { child: ChildProcess; lines: () => string[]; output: () => string } {
  const script = path.resolve(import.meta.dirname, "export-process.ts");
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  return { child, lines: () => output.split("\n"), output: () => output };
}

async function waitForLine(p: ReturnType<typeof spawnWriter>, match: (line: string) => boolean, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = p.lines().find(match);
    if (line) return line;
    if (p.child.exitCode !== null || Date.now() > deadline) throw new Error(`no such line; output:\n${p.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once("exit", () => r()));

test("an export whose writer is killed mid-run is finished by another process, byte-identical, no row twice", async () => {
  const started = performance.now();
  const first = spawnWriter(["start", `resume-${randomUUID()}`, String(ROWS), String(KILL_AFTER_CHUNKS)]);
  const runId = (await waitForLine(first, (l) => l.startsWith("run "), 120_000)).slice(4);
  await exited(first.child);
  expect(first.child.signalCode).toBe("SIGKILL");
  const killedAt = performance.now();

  const second = spawnWriter(["resume", runId]);
  const [, leftBytes, leftRows] = (await waitForLine(second, (l) => l.startsWith("left "), 60_000)).split(" ").map(Number);
  const result = JSON.parse((await waitForLine(second, (l) => l.startsWith("result "), 180_000)).slice(7)) as {
    run: JobRunView & { result: { sha256: string; bytes: number; rows: number } };
    stored: string;
    streamed: string;
    size: number;
  };
  await exited(second.child);
  console.log(
    `export resume (${onPostgres ? "PostgreSQL" : "PGlite"}): killed after ${leftRows} rows / ${leftBytes} bytes, ` +
      `first writer ${Math.round(killedAt - started)} ms, finished by the second in ${Math.round(performance.now() - killedAt)} ms`,
  );

  // the killed writer had committed its 4 batches; the resumed step replays from the start of the step
  // (its result was never recorded) but continues after them
  expect(leftRows).toBe(KILL_AFTER_CHUNKS * 500);
  expect(leftBytes).toBeGreaterThan(0);
  expect(result.run).toMatchObject({ status: "succeeded", error: null, progressDone: ROWS + 3 });
  expect(result.stored).toBe(result.streamed);
  expect(result.run.result).toMatchObject({ rows: ROWS + 3, bytes: result.size, sha256: result.stored });
}, 400_000);
