/**
 * What operators look at, from a TIM process of its own over real HTTP: its JSON log output (the
 * access log among it, no credential in any line) and /api/metrics after a short load.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";

const run = randomBytes(4).toString("hex");
const CLIENT_ID = `observability-${run}`;
const CLIENT_SECRET = `secret-${randomBytes(12).toString("hex")}`;
const METRICS_TOKEN = `metrics-${randomBytes(12).toString("hex")}`;
const ADDRESS_LIMIT = 10;
// Addresses of this run's own (documentation ranges): on PostgreSQL the per-address counters are shared rows, and
// earlier test files' requests from 127.0.0.1 in the same minute count against this instance's low limit.
const octet = (i: number) => 1 + (parseInt(run.slice(2 * i, 2 * i + 2), 16) % 250);
const FLOOD_FROM = `203.0.113.${octet(0)}`;
const SCRAPER_FROM = `198.51.100.${octet(1)}`;
const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`;

let child: ChildProcess;
let url: string;
let output = "";
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "tim-observability-"));
  child = spawn(process.execPath, ["--import", "tsx", "test/support/api-process.ts", "--runtime"], {
    env: {
      ...process.env,
      TIM_LOG_LEVEL: "info",
      TIM_DATA_DIR: dataDir,
      TIM_BOOTSTRAP_CLIENT_ID: CLIENT_ID,
      TIM_BOOTSTRAP_CLIENT_SECRET: CLIENT_SECRET,
      TIM_METRICS_TOKEN: METRICS_TOKEN,
      // The refusals come from a forwarded address of their own; TIM trusts the loopback proxy.
      TIM_TRUSTED_PROXIES: "127.0.0.1",
      TIM_ADDRESS_RATE_LIMIT_PER_MINUTE: String(ADDRESS_LIMIT),
      // A configured TARA (not reachable; no login happens here) rather than the stand-in, whose
      // oidc-provider prints its own plain-text warnings (Node 20 unsupported, in-memory adapter).
      TARA_ISSUER: "http://127.0.0.1:3413",
      TARA_CLIENT_ID: "tim-observability",
      TARA_CLIENT_SECRET: `tara-${randomBytes(12).toString("hex")}`,
      TARA_REDIRECT_URI: "http://localhost:3410/auth/callback/tara",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const ready = /^ready (\S+)/m.exec(output);
    if (ready) {
      url = ready[1];
      return;
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`TIM did not start:\n${output.slice(-2000)}`);
}, 120_000);

afterAll(async () => {
  if (child?.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

async function post(pathname: string, body: unknown, auth = basic) {
  const res = await fetch(`${url}${pathname}`, {
    method: "POST",
    headers: { authorization: auth, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function issue(): Promise<string> {
  const res = await post("/jwt/custom/generate", { JWTName: "OBSERVED", content: { sub: `subject-${run}` }, expirationInMinutes: 30 });
  expect(res.status).toBe(200);
  return res.body.token as string;
}

/** The lines TIM wrote since `from`, each parsed (a line that is not JSON fails the test). */
function linesSince(from: number): Array<Record<string, unknown>> {
  return output
    .slice(from)
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("ready "))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON log line: ${l}`);
      }
    });
}

/** Waits until the access log holds a line for `request_id` (stdout is written asynchronously). */
async function accessLine(requestId: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 50; i++) {
    const line = linesSince(0).find((l) => l.msg === "request" && l.request_id === requestId);
    if (line) return line;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no access-log line for ${requestId}:\n${output.slice(-3000)}`);
}

test("one JSON access-log line per request: method, route pattern, status, duration, client id, request id", async () => {
  const res = await fetch(`${url}/jwt/custom/generate`, {
    method: "POST",
    headers: { authorization: basic, "content-type": "application/json", "x-request-id": `req-${run}-1` },
    body: JSON.stringify({ content: { sub: "a" } }),
  });
  expect(res.status).toBe(200);
  const line = await accessLine(`req-${run}-1`);
  expect(line).toMatchObject({ level: "info", msg: "request", method: "POST", route: "/jwt/custom/generate", status: 200, client_id: CLIENT_ID });
  expect(line.duration_ms).toBeGreaterThan(0);
  expect(Date.parse(line.time as string)).toBeLessThanOrEqual(Date.now());
  // A route with a path parameter is logged by its pattern.
  await fetch(`${url}/jwt/custom/extension-chain/00000000-0000-4000-8000-000000000000`, { headers: { authorization: basic, "x-request-id": `req-${run}-2` } });
  expect((await accessLine(`req-${run}-2`)).route).toBe("/jwt/custom/extension-chain/[originalJwtUuid]");
});

test("no token, client secret or authorization header appears in any log line, and every line is JSON", async () => {
  const from = output.length;
  const token = await issue();
  // A token in the body (validate, introspect with the client's secret posted in the form), a Basic header
  // with a wrong secret, a token in a query string, a TARA callback's code and state.
  await post("/jwt/custom/validate", { token });
  const form = new URLSearchParams({ token, client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
  await fetch(`${url}/introspect`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form });
  const wrongSecret = `wrong-${randomBytes(8).toString("hex")}`;
  await post("/jwt/custom/validate", { token }, `Basic ${Buffer.from(`${CLIENT_ID}:${wrongSecret}`).toString("base64")}`);
  await fetch(`${url}/api/health?access_token=${token}`, { headers: { authorization: `Bearer ${token}`, "x-request-id": `req-${run}-3` } });
  const code = `code-${randomBytes(8).toString("hex")}`;
  await fetch(`${url}/auth/callback/tara?code=${code}&state=state-${run}`, { redirect: "manual" });
  await post("/jwt/custom/revoke", { token });
  expect((await accessLine(`req-${run}-3`)).route).toBe("/api/health");
  await new Promise((r) => setTimeout(r, 200));

  const lines = linesSince(from);
  expect(lines.filter((l) => l.msg === "request").length).toBeGreaterThanOrEqual(7);
  const written = output.slice(from);
  for (const secret of [token, token.split(".")[2], CLIENT_SECRET, wrongSecret, code, Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")]) {
    expect(written).not.toContain(secret);
  }
  expect(written).not.toMatch(/access_token=|Basic [A-Za-z0-9+/=]{8,}/);
});

/** The samples of one metric, with their labels. */
function samples(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const found: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    found.push({ labels, value: Number(m[3]) });
  }
  return found;
}

function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return samples(text, name).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

test("/api/metrics shows requests, tokens, refusals, batch sizes, listener, job queue and retention series after a short load", async () => {
  const LOAD = 12;
  const tokens = await Promise.all(Array.from({ length: LOAD }, () => issue()));
  await Promise.all(tokens.map((token) => post("/jwt/custom/validate", { token })));
  await Promise.all(
    tokens.map((token) =>
      fetch(`${url}/introspect`, {
        method: "POST",
        headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token }),
      }),
    ),
  );
  await post("/jwt/custom/validate", { token: "not-a-token" });
  const extended = await post("/jwt/custom/extend", { token: tokens[0], expirationInMinutes: 20 });
  expect(extended.status).toBe(200);
  await post("/jwt/custom/revoke", { token: tokens[1] });
  // Past the per-address limit (requests without client credentials), from an address of their own.
  const statuses = await Promise.all(
    Array.from({ length: ADDRESS_LIMIT + 2 }, async () => (await fetch(`${url}/jwt/keys/public`, { headers: { "x-forwarded-for": FLOOD_FROM } })).status),
  );
  expect(statuses).toContain(429);

  const res = await fetch(`${url}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}`, "x-forwarded-for": SCRAPER_FROM } });
  expect(res.status).toBe(200);
  const text = await res.text();

  const requests = (route: string, status: string) => value(text, "tim_http_requests_duration_seconds_count", { route, method: "POST", status }) ?? 0;
  expect(requests("/jwt/custom/generate", "200")).toBeGreaterThanOrEqual(LOAD);
  expect(requests("/jwt/custom/validate", "200")).toBeGreaterThanOrEqual(LOAD);
  expect(requests("/jwt/custom/validate", "401")).toBeGreaterThanOrEqual(1);
  expect(requests("/introspect", "200")).toBeGreaterThanOrEqual(LOAD);
  expect(value(text, "tim_http_requests_duration_seconds_bucket", { route: "/jwt/custom/generate", status: "200", le: "+Inf" })).toBeGreaterThanOrEqual(LOAD);
  // Labels are patterns and codes, never raw URLs or callers.
  for (const s of samples(text, "tim_http_requests_duration_seconds_count")) expect(s.labels.route).not.toMatch(/\?|[0-9a-f]{8}-[0-9a-f]{4}/);

  const tokensTotal = (operation: string, outcome: string, kind = "custom") => value(text, "tim_tokens_total", { operation, kind, outcome }) ?? 0;
  expect(tokensTotal("issued", "ok")).toBeGreaterThanOrEqual(LOAD);
  expect(tokensTotal("validated", "valid")).toBeGreaterThanOrEqual(LOAD);
  expect(tokensTotal("validated", "invalid", "unknown")).toBeGreaterThanOrEqual(1);
  expect(tokensTotal("introspected", "active")).toBeGreaterThanOrEqual(LOAD - 2);
  expect(tokensTotal("revoked", "revoked")).toBeGreaterThanOrEqual(1);
  expect(tokensTotal("extended", "ok")).toBeGreaterThanOrEqual(1);
  // Every operation, kind and outcome is a series from the start.
  expect(value(text, "tim_tokens_total", { operation: "extended", kind: "tara", outcome: "failed" })).toBe(0);

  expect(value(text, "tim_rate_limit_refusals_total", { limit: "requests-address" })).toBeGreaterThanOrEqual(1);
  expect(value(text, "tim_group_commit_batch_size_count", { group: "issue" })).toBeGreaterThanOrEqual(1);
  expect(value(text, "tim_group_commit_batch_size_sum", { group: "issue" })).toBeGreaterThanOrEqual(LOAD);
  expect([0, 1]).toContain(value(text, "tim_denylist_listener_up"));
  expect(value(text, "tim_job_queue_depth", { function: "retention" })).toBeGreaterThanOrEqual(0);
  expect(value(text, "tim_job_queue_lag_seconds", { function: "retention" })).toBeGreaterThanOrEqual(0);
  expect(text).toMatch(/^# TYPE tim_retention_rows_total counter$/m);
  expect(value(text, "tim_retention_progress_ratio")).toBeDefined();

  // The Grafana dashboard asks only for series TIM serves.
  const dashboard = readFileSync("docs/grafana/tim-dashboard.json", "utf8");
  const asked = new Set([...dashboard.matchAll(/\btim_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, "")));
  for (const name of asked) expect(text, name).toMatch(new RegExp(`^# TYPE ${name} `, "m"));
});
