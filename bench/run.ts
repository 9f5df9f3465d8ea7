/**
 * `npm run bench [-- --quick]`: TIM against the raw limit and the peer
 * (oidc-provider), concurrency 32, systems alternated run by run.
 * Needs PostgreSQL (DATABASE_URL); creates and drops a database of its own.
 */
import { randomUUID } from "node:crypto";
import { cpus, totalmem } from "node:os";
import { writeFileSync } from "node:fs";
import pg from "pg";
import { basicAuth, load, peakRssMb, startProcess, stopProcess, TIM_START_ARGS, timEnv, type RunResult, type Target } from "./lib";
import { freshDatabase } from "@/scripts/lib/fresh-database";

const quick = process.argv.includes("--quick");
const SECONDS = quick ? 3 : 10;
const WARMUP = quick ? 1 : 3;
const ROUNDS = quick ? 1 : 2;
const PORTS = { tim: 3301, raw: 3302, peer: 3303 };
/** Tokens validated and introspected (a tenth of them revoked). */
const VALIDATION_POOL = 5_000;
/** Tokens the extend scenario starts from (each extension returns the next one). */
const EXTEND_POOL = 1_000;
/** Tokens per top-up request (within the 64 KiB body limit). */
const TOP_UP_BATCH = 500;
const TIM_CLIENT = { id: "bench-client", secret: "bench-client-secret-0123456789" };
const PEER_CLIENT = { id: "bench-client", secret: "bench-client-secret-0123456789" };

if (!process.env.DATABASE_URL) {
  console.error("npm run bench needs PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres).");
  process.exit(2);
}

const benchDb = await freshDatabase(process.env.DATABASE_URL, "tim_bench");
const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: benchDb.url, NODE_ENV: "production", TIM_LOG_LEVEL: "error" };

const children: Array<Awaited<ReturnType<typeof startProcess>>> = [];
async function cleanup() {
  for (const c of children) await stopProcess(c);
  await benchDb.drop();
}

try {
  console.log(`TIM benchmark (${quick ? "quick" : "full"}): ${ROUNDS} round(s) of ${SECONDS} s per system and scenario, concurrency 32`);
  const tim = await startProcess(TIM_START_ARGS, timEnv(env, PORTS.tim, TIM_CLIENT), `http://127.0.0.1:${PORTS.tim}/api/health`);
  children.push(tim);
  const startRss = peakRssMb(tim.pid!);
  children.push(await startProcess(["--import", "tsx", "bench/raw-server.ts", "--port", String(PORTS.raw)], env));
  children.push(await startProcess(["--import", "tsx", "bench/peer-server.ts", "--port", String(PORTS.peer)], env));

  const url = (system: keyof typeof PORTS) => `http://127.0.0.1:${PORTS[system]}`;
  const timAuth = { authorization: basicAuth(TIM_CLIENT.id, TIM_CLIENT.secret) };
  const peerAuth = { authorization: basicAuth(PEER_CLIENT.id, PEER_CLIENT.secret) };
  const jsonType = { "content-type": "application/json" };
  const formType = { "content-type": "application/x-www-form-urlencoded" };

  const timTokens: string[] = [];
  const rawTokens: string[] = [];
  const collect = (pool: string[]) => (status: number, body: string) => {
    if (status === 200 && pool.length < 200_000) pool.push(JSON.parse(body).token);
  };
  const issueBody = () => JSON.stringify({ JWTName: "BENCH", content: { sub: `user-${randomUUID().slice(0, 8)}`, role: "reader" }, expirationInMinutes: 60 });
  const pick = (pool: string[]) => pool[Math.floor(Math.random() * Math.min(pool.length, VALIDATION_POOL))];

  const opaque: string[] = [];
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${url("peer")}/token`, {
      method: "POST",
      headers: { ...peerAuth, ...formType },
      body: "grant_type=client_credentials&scope=api&resource=urn%3Atim-bench%3Aopaque",
    });
    opaque.push((await res.json()).access_token);
  }

  const targets: Record<string, Partial<Record<keyof typeof PORTS, Target>>> = {
    issue: {
      tim: { method: "POST", path: "/jwt/custom/generate", headers: { ...timAuth, ...jsonType }, body: issueBody, onBody: collect(timTokens) },
      raw: { method: "POST", path: "/issue", headers: jsonType, body: issueBody, onBody: collect(rawTokens) },
      peer: { method: "POST", path: "/token", headers: { ...peerAuth, ...formType }, body: () => "grant_type=client_credentials&scope=api" },
    },
    validate: {
      tim: { method: "POST", path: "/jwt/custom/validate", headers: { ...timAuth, ...jsonType }, body: () => JSON.stringify({ token: pick(timTokens) }) },
      raw: { method: "POST", path: "/validate", headers: jsonType, body: () => JSON.stringify({ token: pick(rawTokens) }) },
      peer: { method: "POST", path: "/token/introspection", headers: { ...peerAuth, ...formType }, body: () => `token=${pick(opaque)}` },
    },
    introspect: {
      tim: { method: "POST", path: "/introspect", headers: { ...timAuth, ...formType }, body: () => `token=${pick(timTokens)}` },
      raw: { method: "POST", path: "/introspect", headers: formType, body: () => `token=${pick(rawTokens)}` },
      peer: { method: "POST", path: "/token/introspection", headers: { ...peerAuth, ...formType }, body: () => `token=${pick(opaque)}` },
    },
  };

  const avg = (rs: RunResult[] | undefined, k: keyof RunResult) => (rs?.length ? rs.reduce((s, r) => s + r[k], 0) / rs.length : 0);
  const results: Record<string, Partial<Record<keyof typeof PORTS, RunResult[]>>> = {};
  // TIM's peak RSS so far, after each scenario: shows which load raised it.
  const peakAfter: Record<string, number> = {};
  async function measure(scenario: string, order: Array<keyof typeof PORTS>) {
    const byTarget = targets[scenario]!;
    for (const system of order) await load(url(system), byTarget[system]!, WARMUP);
    for (let round = 0; round < ROUNDS; round++) {
      const systems = round % 2 === 0 ? order : [...order].reverse();
      for (const system of systems) {
        const r = await load(url(system), byTarget[system]!, SECONDS);
        ((results[scenario] ??= {})[system] ??= []).push(r);
      }
    }
    peakAfter[scenario] = peakRssMb(tim.pid!);
  }

  await measure("issue", ["tim", "raw", "peer"]);
  // A tenth of each pool revoked, so validation exercises both outcomes.
  const sample = (pool: string[]) => pool.slice(0, Math.min(pool.length, VALIDATION_POOL)).filter((_, i) => i % 10 === 0);
  for (const token of sample(timTokens)) {
    await fetch(`${url("tim")}/jwt/custom/revoke`, { method: "POST", headers: { ...timAuth, ...jsonType }, body: JSON.stringify({ token, reason: "bench" }) });
  }
  const denyDb = new pg.Client({ connectionString: benchDb.url });
  await denyDb.connect();
  for (const token of sample(rawTokens)) {
    const jti = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).jti;
    await denyDb.query("INSERT INTO custom.denylist (jwt_uuid, expires_at, reason) VALUES ($1, now() + interval '1 hour', 'bench')", [jti]);
  }
  await denyDb.end();
  await measure("validate", ["tim", "raw", "peer"]);
  await measure("introspect", ["tim", "raw", "peer"]);

  // Revoke and extend consume tokens: every request must take one never used
  // before, or the scenario measures refusals (409 already revoked, 401).
  // The pool is topped up through the batch endpoint to what the fastest
  // scenario so far could consume in warm-up plus all rounds.
  const fresh = timTokens.slice(VALIDATION_POOL);
  const fastest = Math.max(...Object.values(results).map((r) => avg(r.tim, "rps")));
  const needed = Math.ceil(fastest * (WARMUP + ROUNDS * SECONDS) * 1.25) + EXTEND_POOL;
  const issueBatch = async () => {
    const res = await fetch(`${url("tim")}/jwt/custom/generate/batch`, {
      method: "POST",
      headers: { ...timAuth, ...jsonType },
      body: JSON.stringify({ tokens: Array.from({ length: TOP_UP_BATCH }, () => JSON.parse(issueBody())) }),
    });
    if (res.status !== 200) throw new Error(`topping up the token pool failed: ${res.status}`);
    const body = (await res.json()) as { tokens: Array<{ token: string }> };
    fresh.push(...body.tokens.map((t) => t.token));
  };
  // Two requests at a time, like a modest client, so the top-up does not inflate TIM's peak RSS.
  const topUp = async () => {
    while (fresh.length < needed) await issueBatch();
  };
  await Promise.all([topUp(), topUp()]);
  const exhausted = () => {
    throw new Error("the revoke/extend token pool ran out; the benchmark would measure refusals");
  };
  // An extension answers with the next token of the chain, which goes back in the queue.
  const extendQueue = fresh.splice(0, EXTEND_POOL);
  targets.extend = {
    tim: {
      method: "POST",
      path: "/jwt/custom/extend",
      headers: { ...timAuth, ...jsonType },
      body: () => JSON.stringify({ token: extendQueue.shift() ?? exhausted(), expirationInMinutes: 60 }),
      onBody: (status, body) => void (status === 200 && extendQueue.push(JSON.parse(body).token)),
    },
  };
  targets.revoke = {
    tim: {
      method: "POST",
      path: "/jwt/custom/revoke",
      headers: { ...timAuth, ...jsonType },
      body: () => JSON.stringify({ token: fresh.pop() ?? exhausted(), reason: "bench" }),
    },
  };
  await measure("extend", ["tim"]);
  await measure("revoke", ["tim"]);

  const timRss = peakRssMb(tim.pid!);
  const scenarios = Object.entries(results).map(([name, r]) => {
    const timRps = avg(r.tim, "rps");
    const rawRps = avg(r.raw, "rps");
    const peerRps = avg(r.peer, "rps");
    return {
      name,
      tim_rps: Math.round(timRps),
      raw_rps: rawRps ? Math.round(rawRps) : null,
      peer_rps: peerRps ? Math.round(peerRps) : null,
      ratio_raw: rawRps ? Number((timRps / rawRps).toFixed(2)) : null,
      ratio_peer: peerRps ? Number((timRps / peerRps).toFixed(2)) : null,
      tim_p50_ms: Number(avg(r.tim, "p50").toFixed(1)),
      tim_p99_ms: Number(avg(r.tim, "p99").toFixed(1)),
      tim_non2xx: Math.round(avg(r.tim, "non2xx")),
      tim_errors: Math.round(avg(r.tim, "errors")),
      tim_peak_rss_mb_after: peakAfter[name],
    };
  });
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
  const out = {
    scenarios,
    tim_peak_rss_mb: timRss,
    tim_rss_mb_at_start: startRss,
    machine,
    mode: quick ? "quick" : "full",
    seconds_per_run: SECONDS,
    rounds: ROUNDS,
  };
  writeFileSync("bench/results.json", `${JSON.stringify(out, null, 2)}\n`);

  console.log("\nscenario    TIM req/s   raw req/s  peer req/s  TIM/raw  TIM/peer  TIM p50 ms  TIM p99 ms  non-2xx  RSS MB");
  for (const s of scenarios) {
    console.log(
      `${s.name.padEnd(10)} ${String(s.tim_rps).padStart(10)} ${String(s.raw_rps ?? "-").padStart(11)} ${String(s.peer_rps ?? "-").padStart(11)} ${String(s.ratio_raw ?? "-").padStart(8)} ${String(s.ratio_peer ?? "-").padStart(9)} ${String(s.tim_p50_ms).padStart(11)} ${String(s.tim_p99_ms).padStart(11)} ${String(s.tim_non2xx).padStart(8)} ${String(s.tim_peak_rss_mb_after).padStart(7)}`,
    );
  }
  console.log(`\nTIM peak RSS: ${timRss} MB (${startRss} MB once started, before any load); machine: ${machine}`);
  console.log("peer for validate = oidc-provider's introspection (it has no separate validation endpoint); written to bench/results.json");
} finally {
  await cleanup();
}
