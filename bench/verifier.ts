/**
 * `npm run bench:verifier [-- --quick] [-- --revocations N]`: TIM (as `npm start` runs it) on PostgreSQL
 * (DATABASE_URL: a database of its own, dropped afterwards) or, without DATABASE_URL, on a PGlite data
 * directory of its own (deleted afterwards), and the verifier package (packages/verify) in this process.
 * (a) Throughput: the verifier's local verification of one token, one caller in a loop — as configured
 *     by default (its verified-token cache) and with `cacheSize: 0` (the signature checked every call) —
 *     against TIM's `POST /jwt/custom/validate` under autocannon (32 connections), in the same run, as
 *     ratios (goal ≥ 20×).
 * (b) Revocation to refusal: for each of N tokens, the time from the 200 of TIM's `/jwt/custom/revoke`
 *     to the first verification the verifier refuses (checked back to back, yielding to its I/O), each
 *     revocation at a random moment of the delivery cycle: with poll delivery at the package's default
 *     interval (goal p99 ≤ 1 s), then with push (RFC 8935: TIM POSTs to the verifier's push handler on
 *     loopback as each revocation's announcement arrives; the ssf-push job keeps its default cron, every
 *     minute, so it plays no part): p50/p95/p99/max.
 * Loopback only, bounded in time (seconds per phase) and count (N).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { createVerifier } from "../packages/verify/src/index";
import { basicAuth, load, startProcess, stopProcess, TIM_START_ARGS, timEnv } from "./lib";
import { freshDatabase } from "@/scripts/lib/fresh-database";

const quick = process.argv.includes("--quick");
const arg = (name: string) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : undefined);
const SECONDS = quick ? 3 : 8;
const REVOCATIONS = Math.min(arg("--revocations") ?? (quick ? 50 : 200), 2_000);
const PORT = 37451;
const CLIENT = { id: "bench-client", secret: "bench-client-secret-0123456789" };
const THROUGHPUT_GOAL = 20;
const P99_GOAL_MS = 1_000;
const POLL_INTERVAL_MS = 500; // the package's default
const PUSH_PORT = 37452;

const postgres = Boolean(process.env.DATABASE_URL);
const benchDb = postgres ? await freshDatabase(process.env.DATABASE_URL!, "tim_verifier") : undefined;
const pgliteDir = postgres ? undefined : mkdtempSync(path.join(tmpdir(), "tim-bench-verifier-"));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  NODE_ENV: "production",
  TIM_LOG_LEVEL: "error",
  // Push to the verifier's receiver on loopback (plain http).
  TIM_SSF_PUSH_ALLOW_INTERNAL: "true",
};
if (benchDb) env.DATABASE_URL = benchDb.url;
else {
  delete env.DATABASE_URL;
  env.TIM_PGLITE_DIR = pgliteDir;
}
const base = `http://127.0.0.1:${PORT}`;
const auth = basicAuth(CLIENT.id, CLIENT.secret);
const headers = { authorization: auth, "content-type": "application/json" };

async function post(p: string, body: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${base}${p}`, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}
async function issue(sub: string): Promise<string> {
  const res = await post("/jwt/custom/generate", { content: { sub }, audience: "bench-rs", expirationInMinutes: 30 });
  if (res.status !== 200) throw new Error(`generate answered ${res.status}`);
  return res.body.token as string;
}
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const yieldToLoop = () => new Promise((r) => setImmediate(r));

let tim: Awaited<ReturnType<typeof startProcess>> | undefined;

/** REVOCATIONS times: issue, see it accepted, revoke at a random moment of the delivery cycle, time until `v` refuses it. */
async function revocations(name: string, v: typeof verifier, cycleMs: number, label: string): Promise<void> {
  const times: number[] = [];
  const polls = v.status().polls;
  const deadline = performance.now() + Math.max(60_000, REVOCATIONS * 3_000);
  for (let n = 0; n < REVOCATIONS; n++) {
    const t = await issue(`bench-${name}-${n}`);
    const before = await v.verify(t);
    if (!before.valid) throw new Error(`${name} ${n}: the verifier refused the fresh token (${before.reason})`);
    // At a random moment of the cycle (else each revocation would follow a delivery by the same few ms).
    await new Promise((r) => setTimeout(r, Math.random() * cycleMs));
    const revoked = await post("/jwt/custom/revoke", { token: t });
    if (revoked.status !== 200) throw new Error(`${name} ${n}: TIM answered ${revoked.status}`);
    const answered = performance.now();
    for (;;) {
      const r = await v.verify(t);
      if (!r.valid) {
        if (r.reason !== "revoked") throw new Error(`${name} ${n}: refused as ${r.reason}, not revoked`);
        times.push(performance.now() - answered);
        break;
      }
      if (performance.now() - answered > 10_000) throw new Error(`${name} ${n}: still accepted 10 s after TIM's 200`);
      await yieldToLoop();
    }
    if (performance.now() > deadline) throw new Error("time bound reached");
  }
  times.sort((x, y) => x - y);
  const p99 = percentile(times, 99);
  const fmt = (ms: number) => `${Math.round(ms)}`;
  console.log(
    `revocation → refusal by ${label}, ${REVOCATIONS} revocations: p50 ${fmt(percentile(times, 50))} ms, ` +
      `p95 ${fmt(percentile(times, 95))} ms, p99 ${fmt(p99)} ms, max ${fmt(times[times.length - 1])} ms` +
      ` (${v.status().polls - polls} polls, ${v.status().pushed} SETs pushed so far)`,
  );
  if (name === "poll") console.log(`target p99 <= ${P99_GOAL_MS} ms: ${p99 <= P99_GOAL_MS ? "met" : "NOT met"}`);
}
const verifierFor = (cacheSize?: number, intervalMs = POLL_INTERVAL_MS) =>
  createVerifier({
    issuer: process.env.TIM_ISSUER ?? "TIM",
    jwksUrl: `${base}/jwt/keys/public`,
    audience: "bench-rs",
    stream: { streamsUrl: `${base}/ssf/streams`, authorization: auth, intervalMs },
    maxSilence: 60_000,
    cacheSize,
    push: { authorization: PUSH_SECRET },
    onError: (err) => console.error(`verifier: ${err.message}`),
  });
const PUSH_SECRET = `Bearer bench-push-${Date.now()}`;
/** As configured by default (the verified-token cache on), and without the cache: every call verifies the signature. */
const verifier = verifierFor();
const uncached = verifierFor(0);
/** Fed by push; it polls only every 30 s, so what refuses a token first is the push. */
const pushed = verifierFor(undefined, 30_000);
const receiver = createServer(pushed.pushHandler());

/** Verifications per second of one caller in a loop for SECONDS. */
async function localRate(v: typeof verifier, token: string): Promise<number> {
  for (let i = 0; i < 2_000; i++) await v.verify(token); // warm-up
  let n = 0;
  let refused = 0;
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) if (!(await v.verify(token)).valid) refused++;
    n += 200;
  }
  if (refused > 0) throw new Error(`${refused} local verifications refused the valid token`);
  return n / ((performance.now() - t0) / 1000);
}

try {
  tim = await startProcess(TIM_START_ARGS, timEnv(env, PORT, CLIENT), `${base}/api/health`);
  await verifier.start();
  await uncached.start();
  await pushed.start();
  await new Promise<void>((resolve) => receiver.listen(PUSH_PORT, "127.0.0.1", resolve));
  const stream = await post("/ssf/streams", {
    delivery: { method: "urn:ietf:rfc:8935", endpoint_url: `http://127.0.0.1:${PUSH_PORT}/ssf`, authorization_header: PUSH_SECRET },
  });
  if (stream.status !== 201) throw new Error(`creating the push stream: ${stream.status} ${JSON.stringify(stream.body)}`);
  console.log(`verifier benchmark (${quick ? "quick" : "full"}) on ${postgres ? "PostgreSQL" : "PGlite"}: TIM on :${PORT}, the verifier in this process`);

  // (a) throughput, the same token again and again (a client reusing its token)
  const token = await issue("bench-throughput");
  const check = await verifier.verify(token);
  if (!check.valid) throw new Error(`the verifier refused a fresh token: ${check.reason}`);
  const cachedRps = await localRate(verifier, token);
  const uncachedRps = await localRate(uncached, token);
  const validate = { method: "POST" as const, path: "/jwt/custom/validate", headers, body: () => JSON.stringify({ token }) };
  await load(base, validate, 1, 32); // warm-up
  const remote = await load(base, validate, SECONDS, 32);
  if (remote.non2xx > 0 || remote.errors > 0) throw new Error(`validate: ${remote.non2xx} non-2xx answers, ${remote.errors} errors`);
  const ratio = cachedRps / remote.rps;
  console.log(`TIM /jwt/custom/validate: ${Math.round(remote.rps)} req/s (32 connections), p50 ${remote.p50} ms, p99 ${remote.p99} ms`);
  console.log(`verifier, default (verified-token cache): ${Math.round(cachedRps)} verifications/s (one caller, one core)`);
  console.log(
    `verifier, cacheSize 0 (RS256 signature checked on every call): ${Math.round(uncachedRps)} verifications/s, ${(uncachedRps / remote.rps).toFixed(1)}x TIM`,
  );
  console.log(`ratio, default verifier to TIM: ${ratio.toFixed(1)}x (goal >= ${THROUGHPUT_GOAL}x): ${ratio >= THROUGHPUT_GOAL ? "met" : "NOT met"}`);

  // (b) revocation → refusal: by poll (the default verifier), then by push (on each revocation's announcement)
  await revocations("poll", verifier, POLL_INTERVAL_MS, `poll every ${POLL_INTERVAL_MS} ms`);
  await revocations("push", pushed, 1_000, "push on each revocation's announcement");
} finally {
  await verifier.close().catch(() => undefined);
  await uncached.close().catch(() => undefined);
  await pushed.close().catch(() => undefined);
  receiver.close();
  if (tim) await stopProcess(tim);
  await benchDb?.drop();
  if (pgliteDir) rmSync(pgliteDir, { recursive: true, force: true });
}
