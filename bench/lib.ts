import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import autocannon from "autocannon";

/** How `npm start` runs TIM (package.json): node with its heap cap, tsx, scripts/start.ts. */
export const TIM_START_ARGS = [`--max-old-space-size=${process.env.TIM_MAX_OLD_SPACE_MB ?? 256}`, "--import", "tsx", "scripts/start.ts"];

/** Environment of a TIM instance under benchmark (production mode, bootstrap client, no TARA stand-in). */
export function timEnv(base: NodeJS.ProcessEnv, port: number, client: { id: string; secret: string }): NodeJS.ProcessEnv {
  return {
    ...base,
    PORT: String(port),
    HOST: "127.0.0.1",
    TARA_ISSUER: "https://tara-test.ria.ee",
    TIM_BOOTSTRAP_CLIENT_ID: client.id,
    TIM_BOOTSTRAP_CLIENT_SECRET: client.secret,
    // as `npm start` sets it (package.json): freed argon2 buffers go back to the system
    MALLOC_MMAP_THRESHOLD_: "131072",
  };
}

export type Target = { method: "POST"; path: string; headers: Record<string, string>; body: () => string; onBody?: (status: number, body: string) => void };
export type RunResult = { rps: number; p50: number; p99: number; non2xx: number; errors: number };

/** Starts a child process and resolves once it prints `ready` or its URL answers. */
export async function startProcess(args: string[], env: NodeJS.ProcessEnv, readyUrl?: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited early:\n${output.slice(-2000)}`);
    if (readyUrl) {
      const ok = await fetch(readyUrl).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return child;
    } else if (/^ready/m.test(output)) return child;
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill();
  throw new Error(`process did not become ready:\n${output.slice(-2000)}`);
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill("SIGKILL");
}

/** Peak resident set size of a process in MB (Linux VmHWM). */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

export async function load(url: string, target: Target, seconds: number, connections = 32): Promise<RunResult> {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: target.method,
        path: target.path,
        headers: target.headers,
        setupRequest: (req: autocannon.Request) => ({ ...req, body: target.body() }),
        onResponse: target.onBody ? (status: number, body: string) => target.onBody!(status, body) : undefined,
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

export const basicAuth = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;
