import { createHash, createHmac, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import canonicalize from "canonicalize";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { TestServer } from "@/test/support/http";

/**
 * TIM's /api/inngest in Inngest mode, over real HTTP, called the way an Inngest
 * server calls it: signed in-band sync (PUT) and signed function calls (POST)
 * that carry the event and the results of completed steps, repeated until the
 * function returns. No Inngest server can be installed here (the inngest-cli
 * package downloads its binary from GitHub), so a small HTTP server in this
 * file stands in for Inngest's event and register APIs; TIM's code runs
 * unchanged against the real database.
 */
const SIGNING_KEY = `signkey-test-${"5a".repeat(32)}`;
const EVENT_KEY = "tim-test-event-key";
const SERVE_ORIGIN = "https://tim.example.test";
const dataDir = mkdtempSync(path.join(tmpdir(), "tim-inngest-cloud-"));

type Received = { method: string; url: string; authorization: string | undefined; body: unknown };
const received: Received[] = [];
let inngestApi: Server;
let tim: TestServer;
let lib: {
  db: typeof import("@/lib/db/client").db;
  config: typeof import("@/lib/config/env").config;
  sendEvents: typeof import("@/lib/jobs/send").sendEvents;
  getJobRun: typeof import("@/lib/jobs/runs").getJobRun;
  requestExportJob: typeof import("@/lib/reporting/request-export-job").requestExportJob;
  storedFileContent: typeof import("@/test/support/stored-files").storedFileContent;
  insertTokenRows: typeof import("@/test/support/token-row").insertTokenRows;
  streamTokenExport: typeof import("@/lib/reporting/export").streamTokenExport;
  tokenFilterSchema: typeof import("@/lib/reporting/filters").tokenFilterSchema;
};

beforeAll(async () => {
  inngestApi = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      const body = text ? JSON.parse(text) : undefined;
      received.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization, body });
      res.setHeader("content-type", "application/json");
      if (req.url?.startsWith("/e/")) res.end(JSON.stringify({ ids: (body as unknown[]).map(() => randomUUID()), status: 200 }));
      else if (req.url?.startsWith("/fn/register")) res.end(JSON.stringify({ ok: true, modified: true }));
      else res.writeHead(404).end("{}");
    });
  });
  await new Promise<void>((resolve) => inngestApi.listen(0, "127.0.0.1", resolve));
  // The Inngest client reads its settings when it is created: set them before TIM's modules load.
  process.env.INNGEST_SIGNING_KEY = SIGNING_KEY;
  process.env.INNGEST_EVENT_KEY = EVENT_KEY;
  process.env.INNGEST_BASE_URL = `http://127.0.0.1:${(inngestApi.address() as AddressInfo).port}`;
  process.env.INNGEST_SERVE_ORIGIN = SERVE_ORIGIN;
  // INNGEST_ENABLE_UNAUTHED_SYNC is left unset: TIM's default (refuse unsigned syncs) is what is tested.
  process.env.TIM_DATA_DIR = dataDir;
  (await import("@/lib/config/env")).resetConfig();
  const [client, mode, send, runs, job, exp, filters, http] = await Promise.all([
    import("@/lib/db/client"),
    import("@/lib/config/env"),
    import("@/lib/jobs/send"),
    import("@/lib/jobs/runs"),
    import("@/lib/reporting/request-export-job"),
    import("@/lib/reporting/export"),
    import("@/lib/reporting/filters"),
    import("@/test/support/http"),
  ]);
  const stored = await import("@/test/support/stored-files");
  const rows = await import("@/test/support/token-row");
  lib = {
    db: client.db,
    config: mode.config,
    sendEvents: send.sendEvents,
    getJobRun: runs.getJobRun,
    requestExportJob: job.requestExportJob,
    storedFileContent: stored.storedFileContent,
    insertTokenRows: rows.insertTokenRows,
    streamTokenExport: exp.streamTokenExport,
    tokenFilterSchema: filters.tokenFilterSchema,
  };
  tim = await http.startTestServer();
});

afterAll(async () => {
  await tim?.close();
  await new Promise<void>((resolve) => inngestApi.close(() => resolve()));
  rmSync(dataDir, { recursive: true, force: true });
  for (const k of ["INNGEST_SIGNING_KEY", "INNGEST_EVENT_KEY", "INNGEST_BASE_URL", "INNGEST_SERVE_ORIGIN", "INNGEST_ENABLE_UNAUTHED_SYNC"]) {
    delete process.env[k];
  }
});

/** Inngest's request signature: HMAC-SHA256 (key without its `signkey-<env>-` prefix) over the body and the time. */
function signature(body: string, key = SIGNING_KEY, ts = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac("sha256", key.replace(/^signkey-\w+-/, ""))
    .update(body + ts)
    .digest("hex");
  return `t=${ts}&s=${mac}`;
}

/** The SDK checks the signature over the canonical JSON of the body it parsed; Inngest sends it that way. */
async function call(method: "PUT" | "POST", query: string, payload: unknown, headers: Record<string, string> = {}) {
  const body = canonicalize(payload)!;
  return fetch(`${tim.url}/api/inngest${query}`, {
    method,
    body,
    headers: { "content-type": "application/json", ...headers },
  });
}

type Op = { id: string; op: string; data?: unknown; error?: unknown };

/**
 * Runs a function to completion the way the Inngest executor does: each call
 * returns the step it ran (206) and the next call carries every completed
 * step's result, until the function's own result comes back (200).
 */
async function runFunction(fnId: string, event: { name: string; data: unknown }) {
  const runId = `01J${randomUUID().replace(/-/g, "").slice(0, 23).toUpperCase()}`;
  const steps: Record<string, { type: "data"; data: unknown }> = {};
  const stack: string[] = [];
  const seen: string[] = [];
  const ev = { ...event, id: randomUUID(), ts: Date.now() };
  for (let i = 0; i < 200; i++) {
    const payload = {
      event: ev,
      events: [ev],
      steps,
      ctx: { run_id: runId, attempt: 0, disable_immediate_execution: false, use_api: false, stack: { stack, current: stack.length } },
      version: 2,
    };
    const body = canonicalize(payload)!;
    const res = await call("POST", `?fnId=${fnId}&stepId=step`, payload, { "x-inngest-signature": signature(body) });
    const text = await res.text();
    // TIM's answer is signed with the same key, so Inngest can trust it
    const sig = new URLSearchParams(res.headers.get("x-inngest-signature") ?? "");
    expect(sig.get("s")).toBe(signature(text, SIGNING_KEY, Number(sig.get("t"))).split("&s=")[1]);
    if (res.status === 200) return { result: JSON.parse(text), seen };
    expect(res.status, text).toBe(206);
    for (const op of JSON.parse(text) as Op[]) {
      expect(op.op, text).toBe("StepRun");
      steps[op.id] = { type: "data", data: op.data };
      stack.push(op.id);
      seen.push(op.id);
    }
  }
  throw new Error("the function did not finish in 200 calls");
}

test("the mode is Inngest (self-hosted: INNGEST_BASE_URL), and sendEvents posts to its event API with the event key", async () => {
  expect(lib.config().jobMode).toBe("inngest-self-hosted");
  const before = received.length;
  await lib.sendEvents([{ name: "tim/retention.requested", data: { requested_by: "cloud-test" } }]);
  const posts = received.slice(before);
  expect(posts).toHaveLength(1);
  expect(posts[0]).toMatchObject({ method: "POST", url: `/e/${EVENT_KEY}` });
  expect(posts[0].body).toEqual([expect.objectContaining({ name: "tim/retention.requested", data: { requested_by: "cloud-test" } })]);
});

test("unsigned or wrongly signed calls are refused: sync, function calls", async () => {
  const payload = { url: `${SERVE_ORIGIN}/api/inngest` };
  const unsignedSync = await call("PUT", "", payload, { "x-inngest-sync-kind": "in_band" });
  expect(unsignedSync.status).toBe(401);
  const outOfBand = await call("PUT", "", {});
  expect(outOfBand.status).toBe(401);
  expect(received.some((r) => r.url.startsWith("/fn/register"))).toBe(false);

  const run = {
    event: { name: "tim/retention.requested", data: { requested_by: "intruder" } },
    events: [],
    steps: {},
    ctx: { run_id: "r", attempt: 0, stack: { stack: [], current: 0 } },
    version: 2,
  };
  const unsigned = await call("POST", "?fnId=tim-retention&stepId=step", run);
  expect(unsigned.status).toBe(401);
  const wrongKey = await call("POST", "?fnId=tim-retention&stepId=step", run, {
    "x-inngest-signature": signature(canonicalize(run)!, `signkey-test-${"00".repeat(32)}`),
  });
  expect(wrongKey.status).toBe(401);
  const stale = await call("POST", "?fnId=tim-retention&stepId=step", run, {
    "x-inngest-signature": signature(canonicalize(run)!, SIGNING_KEY, Math.floor(Date.now() / 1000) - 3_600),
  });
  expect(stale.status).toBe(401);
  expect(await (await lib.db()).jobRun.count({ where: { requestedBy: "intruder" } })).toBe(0);
});

/** A PUT with a Host header of the caller's choosing (fetch does not let a caller set Host). */
function putWithHost(host: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(tim.url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: "/api/inngest", method: "PUT", headers: { host, "content-type": "application/json", ...headers } }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

test("an unsigned PUT with a foreign Host does not make TIM register anywhere (unauthenticated sync is off by default)", async () => {
  const before = received.length;
  const outOfBand = await putWithHost("attacker.example", "{}");
  expect(outOfBand.status).toBe(401);
  const inBand = await putWithHost("attacker.example", canonicalize({ url: "https://attacker.example/api/inngest" })!, { "x-inngest-sync-kind": "in_band" });
  expect(inBand.status).toBe(401);
  expect(inBand.text).not.toContain("attacker.example");
  expect(received.slice(before).filter((r) => r.url.startsWith("/fn/register"))).toEqual([]);
});

test("a signed sync sent with a foreign Host still registers TIM at INNGEST_SERVE_ORIGIN", async () => {
  const before = received.length;
  const res = await putWithHost("attacker.example", "{}", { "x-inngest-signature": signature("{}") });
  expect(res.status, res.text).toBe(200);
  const register = received.slice(before).find((r) => r.url.startsWith("/fn/register"));
  expect(register!.body).toMatchObject({ url: `${SERVE_ORIGIN}/api/inngest` });
  expect(JSON.stringify(register!.body)).not.toContain("attacker.example");
});

test("Inngest mode without INNGEST_SERVE_ORIGIN is refused at start-up with a message naming it", async () => {
  const { config, resetConfig } = await import("@/lib/config/env");
  delete process.env.INNGEST_SERVE_ORIGIN;
  try {
    resetConfig();
    expect(() => config()).toThrow(/Invalid configuration: INNGEST_SERVE_ORIGIN: Inngest mode .* needs INNGEST_SERVE_ORIGIN/);
  } finally {
    process.env.INNGEST_SERVE_ORIGIN = SERVE_ORIGIN;
    resetConfig();
  }
  expect(config().INNGEST_SERVE_ORIGIN).toBe(SERVE_ORIGIN);
});

test("a signed in-band sync answers every function with its trigger at the configured origin", async () => {
  const payload = { url: `${SERVE_ORIGIN}/api/inngest` };
  const res = await call("PUT", "", payload, { "x-inngest-sync-kind": "in_band", "x-inngest-signature": signature(canonicalize(payload)!) });
  expect(res.status).toBe(200);
  const body = await res.json();
  const fns = body.functions as Array<{ id: string; triggers: unknown[]; steps: Record<string, { runtime: { url: string } }> }>;
  const ids = fns.map((f) => f.id);
  for (const id of ["token-usage", "read-audit", "persist-metadata", "retention", "archive-purge", "large-export", "mass-revocation"]) {
    expect(ids).toContain(`tim-${id}`);
  }
  const exportFn = fns.find((f) => f.id === "tim-large-export")!;
  expect(exportFn.triggers).toEqual([{ event: "tim/export.requested" }]);
  expect(Object.values(exportFn.steps)[0].runtime.url).toMatch(new RegExp(`^${SERVE_ORIGIN}/api/inngest\\?fnId=tim-large-export`));
});

test("a signed out-of-band sync registers TIM with Inngest's API, authenticated by the hashed signing key", async () => {
  const res = await call("PUT", "", {}, { "x-inngest-signature": signature(canonicalize({})!) });
  expect(res.status).toBe(200);
  const register = received.find((r) => r.url.startsWith("/fn/register"));
  const hashed = `signkey-test-${createHash("sha256")
    .update(Buffer.from("5a".repeat(32), "hex"))
    .digest("hex")}`;
  expect(register).toMatchObject({ method: "POST", authorization: `Bearer ${hashed}` });
  expect(register!.body).toMatchObject({ appName: "tim", url: `${SERVE_ORIGIN}/api/inngest` });
});

test("a background export requested in the console goes to Inngest as an event; Inngest's signed calls run it against the database", async () => {
  const name = `cloud-export-${randomUUID()}`;
  const client = await lib.db();
  await lib.insertTokenRows(
    "custom",
    Array.from({ length: 1_203 }, (_, i) => ({
      issuedAt: new Date(Date.UTC(2026, 0, 1) + i * 1_000),
      expiresAt: new Date(Date.now() + 86_400_000),
      subject: `${name}-${i}`,
      jwtName: name,
      audience: null,
      issuer: null,
      claimsJson: { sub: `${name}-${i}` },
    })),
    client,
  );
  const before = received.length;
  const filters = lib.tokenFilterSchema.parse({ jwt_name: name });
  const { runId } = await lib.requestExportJob({
    filters,
    format: "csv",
    actor: { type: "administrator", id: "EE38001085718" },
    requestedBy: "admin:EE38001085718",
  });
  const [sent] = received.slice(before);
  expect(sent).toMatchObject({ method: "POST", url: `/e/${EVENT_KEY}` });
  const [event] = sent.body as Array<{ name: string; data: unknown }>;
  expect(event).toMatchObject({ name: "tim/export.requested", data: { run_id: runId } });
  expect(await lib.getJobRun(runId)).toMatchObject({ status: "queued" });

  const { result, seen } = await runFunction("tim-large-export", event);
  expect(result).toEqual({ runId, processed: 1_203 });
  expect(seen.length).toBeGreaterThanOrEqual(3); // begin, chunks, finish: one step per call
  const run = await lib.getJobRun(runId);
  expect(run).toMatchObject({ status: "succeeded", progressDone: 1_203, progressTotal: 1_203 });
  const content = (await lib.storedFileContent(runId, `tim-tokens-${runId}.csv`)).toString("utf8");
  expect(content).toBe(await new Response(lib.streamTokenExport(filters, "csv")).text());
});
