/**
 * `npm run bench:denylist`: RSS and validation throughput of a TIM API process (TIM's route
 * handlers over HTTP, heap capped as `npm start` caps it) at 0, 100k, 1M and 2M unexpired revoked
 * tokens on PostgreSQL. Each level starts a fresh process (its first validation loads the denylist),
 * validates a live token for a few seconds and reads VmRSS/VmHWM from /proc.
 * Goal: RSS grows by at most 100 MB from 0 to 2M; validation throughput at 2M ≥ 0.8× at 0.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import pg from "pg";
import { basicAuth, load, stopProcess } from "./lib";
import { freshDatabase } from "@/scripts/lib/fresh-database";

const LEVELS = [0, 100_000, 1_000_000, 2_000_000];
const SECONDS = Number(process.argv[process.argv.indexOf("--seconds") + 1]) || 8;
const HEAP_CAP_MB = Number(process.env.TIM_MAX_OLD_SPACE_MB ?? 256);

if (!process.env.DATABASE_URL) {
  console.error("npm run bench:denylist needs PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres).");
  process.exit(2);
}

const benchDb = await freshDatabase(process.env.DATABASE_URL, "tim_denylist");
process.env.DATABASE_URL = benchDb.url;
(process.env as Record<string, string>).NODE_ENV = "production";
const { migrate } = await import("@/lib/db/migrate");
const { createApiClient } = await import("@/lib/clients/create");
const { SCOPES } = await import("@/lib/clients/scopes");
const { closeDb } = await import("@/lib/db/client");

function memoryMb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: Math.round(kb("VmRSS") / 1024), hwm: Math.round(kb("VmHWM") / 1024) };
}

async function startApi(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_CAP_MB}`, "--import", "tsx", "test/support/api-process.ts"], {
    env: { ...process.env, TIM_LOG_LEVEL: "error", MALLOC_MMAP_THRESHOLD_: "131072" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const ready = /^ready (\S+)/m.exec(output);
    if (ready) return { child, url: ready[1] };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`API process did not start:\n${output.slice(-2000)}`);
}

const admin = new pg.Client({ connectionString: benchDb.url });
try {
  await migrate();
  const created = await createApiClient({ clientId: "bench-denylist", name: "bench", scopes: [...SCOPES] });
  await closeDb();
  await admin.connect();
  const auth = basicAuth(created.clientId, created.clientSecret);
  const headers = { authorization: auth, "content-type": "application/json" };
  console.log(
    `denylist: validation for ${SECONDS} s per level, heap cap ${HEAP_CAP_MB} MB, bound TIM_DENYLIST_MAX_ENTRIES=${process.env.TIM_DENYLIST_MAX_ENTRIES ?? "default"}`,
  );
  console.log("revoked    | RSS MB | peak RSS MB | validate rps | p99 ms | vs 0");
  let revoked = 0;
  let baseline = 0;
  let baseRss = 0;
  for (const level of LEVELS) {
    await admin.query(
      `INSERT INTO custom.denylist (jwt_uuid, expires_at, reason)
       SELECT gen_random_uuid(), now() + interval '2 hours', 'bench' FROM generate_series(1, $1::int)`,
      [level - revoked],
    );
    revoked = level;
    await admin.query("ANALYZE custom.denylist");
    const { child, url } = await startApi();
    try {
      const issued = await fetch(`${url}/jwt/custom/generate`, {
        method: "POST",
        headers,
        body: JSON.stringify({ content: { sub: "bench-denylist" }, expirationInMinutes: 60 }),
      });
      const token = ((await issued.json()) as { token: string }).token;
      const body = JSON.stringify({ token });
      // Warm up: starts the listener; wait for its load to finish before measuring.
      await load(url, { method: "POST", path: "/jwt/custom/validate", headers, body: () => body }, 3, 8);
      const result = await load(url, { method: "POST", path: "/jwt/custom/validate", headers, body: () => body }, SECONDS);
      if (result.non2xx || result.errors) throw new Error(`level ${level}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      const memory = memoryMb(child.pid!);
      if (level === 0) {
        baseline = result.rps;
        baseRss = memory.rss;
      }
      console.log(
        `${String(level).padEnd(10)} | ${String(memory.rss).padStart(6)} | ${String(memory.hwm).padStart(11)} | ` +
          `${result.rps.toFixed(0).padStart(12)} | ${String(result.p99).padStart(6)} | ${(result.rps / baseline).toFixed(2)}x`,
      );
      if (level === LEVELS[LEVELS.length - 1]) {
        console.log(`RSS growth 0 → ${level}: ${memory.rss - baseRss} MB (goal ≤ 100): ${memory.rss - baseRss <= 100 ? "met" : "NOT met"}`);
        console.log(`throughput at ${level}: ${(result.rps / baseline).toFixed(2)}x of 0 (goal ≥ 0.8): ${result.rps / baseline >= 0.8 ? "met" : "NOT met"}`);
      }
    } finally {
      await stopProcess(child);
    }
  }
} finally {
  await admin.end().catch(() => undefined);
  await benchDb.drop();
}
