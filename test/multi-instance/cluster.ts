import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import pg from "pg";

/**
 * Real TIM processes (tim-instance.ts: the start-up of `npm start` without
 * the Next pages) on one PostgreSQL database of a test's own: what the
 * multi-instance tests share.
 */
export type Instance = { child: ChildProcess; port: number; output: () => string };

/** A new database beside DATABASE_URL's; `drop` removes it. */
export async function createClusterDb(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`); // a constant prefix and a number
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    },
  };
}

/** An instance's environment on `url`: production mode, in-process jobs unless `extra` configures Inngest. */
export function instanceEnv(url: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url,
    TIM_LOG_LEVEL: "warn",
    TARA_ISSUER: "https://tara-test.ria.ee",
    ...extra,
    NODE_ENV: "production",
  };
  for (const k of ["INNGEST_EVENT_KEY", "INNGEST_SIGNING_KEY", "INNGEST_BASE_URL", "INNGEST_SERVE_ORIGIN"]) if (!(k in extra)) delete env[k];
  return env;
}

export function spawnInstance(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const script = path.resolve(import.meta.dirname, "tim-instance.ts");
  const child = spawn(process.execPath, ["--import", "tsx", script], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  return { child, output: () => output };
}

export async function startInstance(env: NodeJS.ProcessEnv): Promise<Instance> {
  const { child, output } = spawnInstance(env);
  const deadline = Date.now() + 45_000;
  for (;;) {
    const m = /^ready (\d+)$/m.exec(output());
    if (m) return { child, port: Number(m[1]), output };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`instance did not start:\n${output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const exited = (child: ChildProcess) =>
  child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise<number | null>((r) => child.once("exit", (code) => r(code)));

export async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
