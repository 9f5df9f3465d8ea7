/**
 * `npm run bench:abuse [-- --quick]` (PostgreSQL): TIM on a fresh database; a
 * legitimate client validates tokens at steady concurrency, first alone, then
 * during a flood of wrong secrets from another loopback address (127.0.0.2),
 * then during a generate flood from another client whose console rate limit is
 * set (NOISY_LIMIT_PER_MINUTE). Printed as ratios to the idle figures; the goal is at least
 * 0.5x idle throughput and a p99 of at most 2x idle. Loopback only, bounded in
 * time and in count.
 */
import { Agent, request } from "node:http";
import { basicAuth, load, startProcess, stopProcess, TIM_START_ARGS, timEnv, type RunResult, type Target } from "./lib";
import { freshDatabase } from "@/scripts/lib/fresh-database";

const quick = process.argv.includes("--quick");
const SECONDS = quick ? 5 : 10;
const PORT = 3331;
const FLOOD_CONCURRENCY = 20;
const FLOOD_MAX_REQUESTS = 50_000;
const NOISY_LIMIT_PER_MINUTE = 1_200;
const LEGIT = { id: "bench-client", secret: "bench-client-secret-0123456789" };

if (!process.env.DATABASE_URL) {
  console.error("npm run bench:abuse needs PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres).");
  process.exit(2);
}

const benchDb = await freshDatabase(process.env.DATABASE_URL, "tim_abuse");
const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: benchDb.url, NODE_ENV: "production", TIM_LOG_LEVEL: "error" };
const base = `http://127.0.0.1:${PORT}`;
let tim: Awaited<ReturnType<typeof startProcess>> | undefined;

type FloodResult = { sent: number; statuses: Record<number, number> };

/** `FLOOD_CONCURRENCY` loops of POSTs from `from` until `stop` or the count bound, tallying statuses. */
function flood(from: string, path: string, auth: string, body: () => string, stop: Promise<void>): Promise<FloodResult> {
  const agent = new Agent({ keepAlive: true, localAddress: from, maxSockets: FLOOD_CONCURRENCY });
  const result: FloodResult = { sent: 0, statuses: {} };
  let stopped = false;
  void stop.then(() => (stopped = true));
  const one = () =>
    new Promise<void>((resolve) => {
      const req = request(`${base}${path}`, { method: "POST", agent, headers: { authorization: auth, "content-type": "application/json" } }, (res) => {
        res.resume();
        res.once("end", () => {
          result.statuses[res.statusCode!] = (result.statuses[res.statusCode!] ?? 0) + 1;
          resolve();
        });
      });
      req.once("error", () => {
        result.statuses[0] = (result.statuses[0] ?? 0) + 1;
        resolve();
      });
      req.end(body());
    });
  const worker = async () => {
    while (!stopped && result.sent < FLOOD_MAX_REQUESTS) {
      result.sent++;
      await one();
    }
  };
  return Promise.all(Array.from({ length: FLOOD_CONCURRENCY }, worker)).then(() => {
    agent.destroy();
    return result;
  });
}

/** The legitimate caller's load while `during` runs (stopped when the measurement ends). */
async function measure(target: Target, during?: (stop: Promise<void>) => Promise<FloodResult>): Promise<{ run: RunResult; flood?: FloodResult }> {
  let end!: () => void;
  const stop = new Promise<void>((resolve) => (end = resolve));
  const flooding = during?.(stop);
  if (flooding) await new Promise((r) => setTimeout(r, 500)); // the flood is under way first
  const run = await load(base, target, SECONDS, 8);
  end();
  return { run, flood: await flooding };
}

const fmt = (r: RunResult) => `${Math.round(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}`;

try {
  tim = await startProcess(TIM_START_ARGS, timEnv(env, PORT, LEGIT), `${base}/api/health`);
  // The flooding client, made as the console makes it, with a request limit set.
  process.env.DATABASE_URL = benchDb.url;
  const { createApiClient } = await import("@/lib/clients/create");
  const { closeDb } = await import("@/lib/db/client");
  const noisy = await createApiClient({ clientId: "noisy-client", name: "noisy", scopes: ["tokens:issue"], rateLimitPerMinute: NOISY_LIMIT_PER_MINUTE });
  await closeDb();

  const legitAuth = basicAuth(LEGIT.id, LEGIT.secret);
  const issued = await fetch(`${base}/jwt/custom/generate`, {
    method: "POST",
    headers: { authorization: legitAuth, "content-type": "application/json" },
    body: JSON.stringify({ content: { sub: "abuse-bench" }, expirationInMinutes: 60 }),
  });
  const { token } = (await issued.json()) as { token: string };
  const validate: Target = {
    method: "POST",
    path: "/jwt/custom/validate",
    headers: { authorization: legitAuth, "content-type": "application/json" },
    body: () => JSON.stringify({ token }),
  };
  console.log(
    `abuse benchmark (${quick ? "quick" : "full"}): legitimate validate at concurrency 8 for ${SECONDS} s per phase; floods at concurrency ${FLOOD_CONCURRENCY}`,
  );
  await load(base, validate, 1, 8); // warm-up

  const idle = await measure(validate);
  const wrongSecrets = await measure(validate, (stop) =>
    flood("127.0.0.2", "/jwt/custom/generate", basicAuth(LEGIT.id, "wrong-secret-guess"), () => JSON.stringify({ content: { sub: "x" } }), stop),
  );
  const generateFlood = await measure(validate, (stop) =>
    flood("127.0.0.3", "/jwt/custom/generate", `Bearer ${noisy.apiKey}`, () => JSON.stringify({ content: { sub: "noisy" }, expirationInMinutes: 5 }), stop),
  );

  console.log(`idle:               ${fmt(idle.run)}`);
  for (const [name, phase] of [
    ["wrong-secret flood", wrongSecrets],
    ["generate flood", generateFlood],
  ] as const) {
    const rps = phase.run.rps / idle.run.rps;
    const p99 = phase.run.p99 / Math.max(1, idle.run.p99);
    console.log(`${`${name}:`.padEnd(20)}${fmt(phase.run)}`);
    console.log(`  flood answers: ${JSON.stringify(phase.flood?.statuses)} of ${phase.flood?.sent} sent`);
    console.log(
      `  ratios: throughput ${rps.toFixed(2)}x idle (goal >= 0.5), p99 ${p99.toFixed(2)}x idle (goal <= 2): ${rps >= 0.5 && p99 <= 2 ? "met" : "NOT met"}`,
    );
  }
} finally {
  if (tim) await stopProcess(tim);
  await benchDb.drop();
}
