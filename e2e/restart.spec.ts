import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import pg from "pg";

/**
 * `npm start` survives a restart with its data intact: a token issued before
 * a restart still validates after it (same signing key, same metadata row),
 * on the embedded database and, when the run has one, on PostgreSQL.
 */
// Beside the suite's server (TIM_E2E_PORT), so parallel checkouts can run e2e at once.
const PORT = Number(process.env.TIM_E2E_PORT ?? 3100) + 10;
const BASE = `http://127.0.0.1:${PORT}`;
const CLIENT = { id: "restart-client", secret: "restart-client-secret-0123456789" };
const auth = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString("base64")}`;

async function startTim(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    env: {
      ...process.env,
      PORT: String(PORT),
      HOST: "127.0.0.1",
      TIM_BOOTSTRAP_CLIENT_ID: CLIENT.id,
      TIM_BOOTSTRAP_CLIENT_SECRET: CLIENT.secret,
      TIM_LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`TIM exited:\n${out}`);
    if (
      await fetch(`${BASE}/api/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { child, output: () => out };
    await new Promise((r) => setTimeout(r, 500));
  }
  child.kill("SIGKILL");
  throw new Error(`TIM did not start:\n${out}`);
}

async function stopTim(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

async function restartKeepsData(env: Record<string, string>) {
  const first = await startTim(env);
  const issued = await fetch(`${BASE}/jwt/custom/generate`, {
    method: "POST",
    headers: { authorization: auth, "content-type": "application/json" },
    body: JSON.stringify({ JWTName: "RESTART", content: { sub: "restart-user" }, expirationInMinutes: 30 }),
  });
  expect(issued.status).toBe(200);
  const { token } = await issued.json();
  await stopTim(first.child);
  expect(first.output()).toContain("shutting down");

  const second = await startTim(env);
  try {
    expect(second.output()).toMatch(/migrations: 0 applied now/);
    const res = await fetch(`${BASE}/jwt/custom/validate`, {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json" },
      body: JSON.stringify({ token }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ valid: true, subject: "restart-user" });
  } finally {
    await stopTim(second.child);
  }
}

test("the embedded database keeps its data across a restart", async () => {
  test.setTimeout(180_000);
  const dir = mkdtempSync(path.join(tmpdir(), "tim-restart-"));
  try {
    await restartKeepsData({ TIM_DATA_DIR: dir, DATABASE_URL: "" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("PostgreSQL keeps its data across a restart", async () => {
  const serverUrl = process.env.TIM_E2E_DATABASE_URL;
  test.skip(!serverUrl, "this run has no PostgreSQL server (DATABASE_URL unset); CI runs it");
  test.setTimeout(180_000);
  const name = `tim_restart_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl!);
  url.pathname = `/${name}`;
  try {
    await restartKeepsData({ DATABASE_URL: url.toString() });
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
});
