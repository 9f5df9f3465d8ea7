/**
 * `npm run bench:revocation-propagation`: two TIM instances on one PostgreSQL
 * database. Each trial issues a token on A, sees it valid on B, revokes it on
 * A and then validates on B back to back until B refuses it. The propagation
 * time runs from A's revocation answer to the answer of B's first refusal
 * (an upper bound: it includes that last request's round trip).
 */
import { basicAuth, startProcess, stopProcess, TIM_START_ARGS, timEnv } from "./lib";
import { freshDatabase } from "@/scripts/lib/fresh-database";

const TRIALS = Number(process.argv[process.argv.indexOf("--trials") + 1]) || 300;
const PORTS = { a: 3311, b: 3312 };
const CLIENT = { id: "bench-client", secret: "bench-client-secret-0123456789" };
const TARGET_MS = 50;

if (!process.env.DATABASE_URL) {
  console.error("npm run bench:revocation-propagation needs PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres).");
  process.exit(2);
}

const benchDb = await freshDatabase(process.env.DATABASE_URL, "tim_propagation");
const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: benchDb.url, NODE_ENV: "production", TIM_LOG_LEVEL: "error" };
const children: Array<Awaited<ReturnType<typeof startProcess>>> = [];
const headers = { authorization: basicAuth(CLIENT.id, CLIENT.secret), "content-type": "application/json" };

async function post(port: number, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

try {
  // One after the other: the first start builds the web application if needed.
  for (const port of [PORTS.a, PORTS.b]) {
    children.push(await startProcess(TIM_START_ARGS, timEnv(env, port, CLIENT), `http://127.0.0.1:${port}/api/health`));
  }
  console.log(`revocation propagation: ${TRIALS} trials, revoke on :${PORTS.a}, validate on :${PORTS.b}`);
  const times: number[] = [];
  let refusedAtFirstCheck = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    const issued = await post(PORTS.a, "/jwt/custom/generate", { content: { sub: `propagation-${trial}` }, expirationInMinutes: 10 });
    const token = issued.body.token as string;
    const before = await post(PORTS.b, "/jwt/custom/validate", { token });
    if (before.status !== 200) throw new Error(`trial ${trial}: B did not accept the fresh token (${before.status})`);
    const revoked = await post(PORTS.a, "/jwt/custom/revoke", { token });
    if (revoked.status !== 200) throw new Error(`trial ${trial}: revocation on A failed (${revoked.status})`);
    const committed = performance.now();
    for (let check = 0; ; check++) {
      const seen = await post(PORTS.b, "/jwt/custom/validate", { token });
      if (seen.status === 401) {
        times.push(performance.now() - committed);
        if (check === 0) refusedAtFirstCheck++;
        break;
      }
      if (performance.now() - committed > 10_000) throw new Error(`trial ${trial}: B still accepts the token after 10 s`);
    }
  }
  times.sort((x, y) => x - y);
  const p99 = percentile(times, 99);
  console.log(
    `propagation ms: p50 ${percentile(times, 50).toFixed(2)}, p99 ${p99.toFixed(2)}, max ${times[times.length - 1].toFixed(2)}; ` +
      `refused at B's first check after A answered: ${refusedAtFirstCheck}/${TRIALS}`,
  );
  console.log(`target p99 ≤ ${TARGET_MS} ms: ${p99 <= TARGET_MS ? "met" : "NOT met"}`);
} finally {
  for (const child of children) await stopProcess(child);
  await benchDb.drop();
}
