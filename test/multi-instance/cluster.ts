import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import pg from "pg";

/**
 * Real TIM processes (tim-instance.ts) on one PostgreSQL database of the
 * test's own, for the multi-instance test files. PostgreSQL only.
 */
export const CLIENT = { id: "multi-client", secret: "multi-client-secret-0123456789" };

export type Instance = { child: ChildProcess; port: number; output: () => string };
export type Cluster = { url: string; sql: pg.Client; drop: () => Promise<void> };

/** A fresh database named `<prefix>_<now>` under the admin URL; drop() removes it. */
export async function createClusterDatabase(adminUrl: string, prefix: string): Promise<Cluster> {
  const name = `${prefix}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`); // a constant prefix and a number
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = new pg.Client({ connectionString: url.toString() });
  return {
    url: url.toString(),
    sql,
    drop: async () => {
      await sql.end().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    },
  };
}

export function instanceEnv(url: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url,
    TIM_LOG_LEVEL: "warn",
    TARA_ISSUER: "https://tara-test.ria.ee",
    TIM_BOOTSTRAP_CLIENT_ID: CLIENT.id,
    TIM_BOOTSTRAP_CLIENT_SECRET: CLIENT.secret,
    ...extra,
    NODE_ENV: "production",
  };
  for (const k of ["INNGEST_EVENT_KEY", "INNGEST_SIGNING_KEY", "INNGEST_BASE_URL", "INNGEST_SERVE_ORIGIN"]) if (!(k in extra)) delete env[k];
  return env;
}

export function spawnInstance(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const script = path.resolve(import.meta.dirname, "tim-instance.ts");
  const child = spawn(process.execPath, ["--import", "tsx", script], { env, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  return { child, output: () => output };
}

export async function startInstance(env: NodeJS.ProcessEnv): Promise<Instance> {
  const { child, output } = spawnInstance(env);
  const m = await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`instance exited:\n${output().slice(-2000)}`);
      return /^ready (\d+)$/m.exec(output()) ?? undefined;
    },
    45_000,
    "instance ready",
  );
  return { child, port: Number(m[1]), output };
}

export const exited = (child: ChildProcess) =>
  child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise<number | null>((r) => child.once("exit", (code) => r(code)));

/** Sends a control line (tim-instance.ts) and waits for its answer line starting with `answer`. */
export async function control(instance: Instance, command: string, answer: string): Promise<string> {
  const before = instance.output().length;
  instance.child.stdin!.write(`${command}\n`);
  const re = new RegExp(`^(${answer}|${command} failed) (.*)$`, "m");
  const m = await waitFor(async () => re.exec(instance.output().slice(before)) ?? undefined, 15_000, `answer to ${command}`);
  if (m[1] !== answer) throw new Error(`${command} failed: ${m[2]}`);
  return m[2];
}

export async function post(instance: Instance, route: string, body: unknown) {
  const res = await fetch(`http://127.0.0.1:${instance.port}${route}`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString("base64")}`,
      "content-type": "application/json",
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function get(instance: Instance, route: string) {
  const res = await fetch(`http://127.0.0.1:${instance.port}${route}`);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

export async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
