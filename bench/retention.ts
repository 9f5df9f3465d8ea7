/**
 * npm run bench:retention [-- --rows 1000000 --concurrency 8 --idle-seconds 10]
 *
 * Seeds expired metadata rows into a scratch PostgreSQL database, measures the
 * p99 latency of token issuance (lib/tokens issueCustomTokens) while idle, then
 * again while retention archives every seeded row, and prints both. PostgreSQL
 * only (DATABASE_URL): the scratch database is created next to the one named
 * there and dropped at the end. Not run in CI.
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { anonymousCaller } from "@/lib/clients/scopes";
import { resetConfig } from "@/lib/config/env";
import { closeDb } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";
import { ensureSigningKey } from "@/lib/jwt/keys";
import { runRetention } from "@/lib/retention/run";
import { issueCustomTokens } from "@/lib/tokens/generate";
import { freshDatabase } from "@/scripts/lib/fresh-database";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    concurrency: { type: "string", default: "8" },
    "idle-seconds": { type: "string", default: "10" },
  },
});
const ROWS = Number(values.rows);
const CONCURRENCY = Number(values.concurrency);
const IDLE_MS = Number(values["idle-seconds"]) * 1000;
const SEED_CHUNK = 100_000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** Issues one token per call from `CONCURRENCY` loops until `until()` says stop; returns latencies in ms. */
async function issueWhile(until: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  const request = { content: { sub: "bench-user", role: "bench" }, expirationInMinutes: 60 };
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (!until()) {
        const start = performance.now();
        await issueCustomTokens([request], anonymousCaller);
        latencies.push(performance.now() - start);
      }
    }),
  );
  return latencies;
}

/** Expired rows generated inside PostgreSQL: 80 % custom, 20 % TARA, 1 % of them allowlisted. */
async function seed(client: pg.Client): Promise<void> {
  const taraRows = Math.floor(ROWS / 5);
  const customRows = ROWS - taraRows;
  const started = Date.now();
  for (const [table, total] of [
    ["custom", customRows],
    ["tara", taraRows],
  ] as const) {
    for (let offset = 0; offset < total; offset += SEED_CHUNK) {
      const n = Math.min(SEED_CHUNK, total - offset);
      const tokenType = table === "custom" ? "custom_jwt" : "tara_jwt";
      await client.query(
        `WITH g AS (SELECT gen_random_uuid() AS u, i FROM generate_series(1, $1::int) AS i)
         INSERT INTO ${table}.jwt_metadata (jwt_uuid, claim_keys, issued_at, expires_at, subject, jwt_name, audience,
                issuer, original_jwt_uuid, claims_json, token_hash, token_type)
         SELECT u, 'sub,role', now() - interval '400 days' - i * interval '1 second' - interval '1 hour',
                now() - interval '400 days' - i * interval '1 second',
                'bench-' || (i % 5000), 'BENCH', 'tim-audience', 'TIM', u, jsonb_build_object('sub', 'bench-' || i),
                encode(sha256(u::text::bytea), 'hex'), $2
           FROM g`,
        [n, tokenType],
      );
      process.stdout.write(`\rseeded ${table}: ${Math.min(offset + n, total)}/${total}   `);
    }
    await client.query(
      `INSERT INTO ${table}.allowlist (jwt_hash, jwt_uuid, expires_at)
       SELECT token_hash, jwt_uuid, expires_at FROM ${table}.jwt_metadata TABLESAMPLE BERNOULLI (1)`,
    );
  }
  // settle autovacuum's work on the fresh rows before measuring the idle baseline
  await client.query("VACUUM ANALYZE custom.jwt_metadata");
  await client.query("VACUUM ANALYZE tara.jwt_metadata");
  process.stdout.write(`\nseeded ${ROWS} expired rows in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl || !/^postgres(ql)?:/.test(adminUrl)) {
    process.stderr.write("bench:retention needs PostgreSQL: set DATABASE_URL=postgres://user@host:5432/db (a scratch database is created beside it).\n");
    process.exit(1);
  }
  const database = await freshDatabase(adminUrl, "tim_bench_retention");
  process.env.DATABASE_URL = database.url;
  resetConfig();
  const client = new pg.Client({ connectionString: database.url });
  try {
    await migrate();
    await ensureSigningKey();
    await client.connect();
    await seed(client);

    await issueWhile(
      (
        (end) => () =>
          Date.now() > end
      )(Date.now() + 2_000),
    ); // warm-up
    const idle = summary(
      await issueWhile(
        (
          (end) => () =>
            Date.now() > end
        )(Date.now() + IDLE_MS),
      ),
    );

    let retentionDone = false;
    const started = Date.now();
    const retention = runRetention({ trigger: "manual", requestedBy: "bench" }).finally(() => {
      retentionDone = true;
    });
    const during = summary(await issueWhile(() => retentionDone));
    const state = await retention;
    const seconds = (Date.now() - started) / 1000;

    const archived = state.counts["custom.jwt_metadata"] + state.counts["tara.jwt_metadata"];
    const ratio = during.p99 / idle.p99;
    process.stdout.write(
      [
        `retention: archived ${archived} rows (custom ${state.counts["custom.jwt_metadata"]}, tara ${state.counts["tara.jwt_metadata"]}; allowlisted kept) in ${seconds.toFixed(1)} s`,
        `issuance idle:            p50 ${idle.p50.toFixed(2)} ms  p99 ${idle.p99.toFixed(2)} ms  (${idle.count} tokens, concurrency ${CONCURRENCY})`,
        `issuance during retention: p50 ${during.p50.toFixed(2)} ms  p99 ${during.p99.toFixed(2)} ms  (${during.count} tokens)`,
        `p99 ratio ${ratio.toFixed(2)} — ${ratio < 2 ? "under" : "NOT under"} twice the idle p99`,
        "",
      ].join("\n"),
    );
  } finally {
    await client.end().catch(() => undefined);
    await closeDb();
    await database.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench:retention failed: ${(err as Error).message}\n`);
  process.exit(1);
});
