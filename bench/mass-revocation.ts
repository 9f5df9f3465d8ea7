/**
 * npm run bench:mass-revocation [-- --sizes 100000,500000,1000000]
 *
 * Revocation by query on large sets (issue 13 point 6): for each size, seeds
 * that many active tokens with their own JWT name into a scratch PostgreSQL
 * database (INSERT ... SELECT generate_series; earlier sizes stay in the table,
 * revoked), runs the mass-revocation job to the end the way its background
 * function does (lib/jobs/bulk.ts), and prints the overall rate and the rate of
 * the first and last tenth of the batches. Each batch should cost the same, so
 * the rate is flat across sizes and within a run. PostgreSQL only
 * (DATABASE_URL); the scratch database is dropped at the end. Not run in CI.
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { revokeByQuery } from "@/lib/admin/revoke-by-query";
import { massRevocation } from "@/lib/admin/revoke-query";
import { resetConfig } from "@/lib/config/env";
import { closeDb } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";
import { beginBulkJob, continueBulkJob, endBulkJob } from "@/lib/jobs/bulk";
import { getJobRun } from "@/lib/jobs/runs";
import { parseTokenQuery } from "@/lib/reporting/filters";
import { freshDatabase } from "@/scripts/lib/fresh-database";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "100000,500000,1000000" } } });
const SIZES = values.sizes!.split(",").map(Number);
const SEED_CHUNK = 100_000;

async function seed(client: pg.Client, jwtName: string, rows: number): Promise<void> {
  for (let offset = 0; offset < rows; offset += SEED_CHUNK) {
    const n = Math.min(SEED_CHUNK, rows - offset);
    await client.query(
      `WITH g AS (SELECT gen_random_uuid() AS u, i FROM generate_series(1, $1::int) AS i)
       INSERT INTO custom.jwt_metadata (jwt_uuid, claim_keys, issued_at, expires_at, subject, jwt_name, audience,
              issuer, original_jwt_uuid, claims_json, token_hash, token_type)
       SELECT u, 'sub,role', now() - interval '1 minute' - i * interval '1 millisecond', now() + interval '1 day',
              'bench-' || (i % 5000), $2, 'tim-audience', 'TIM', u, jsonb_build_object('sub', 'bench-' || i),
              encode(sha256(u::text::bytea), 'hex'), 'custom_jwt'
         FROM g`,
      [n, jwtName],
    );
  }
  await client.query("VACUUM ANALYZE custom.jwt_metadata");
}

type Measured = { seconds: number; revoked: number; counted: number; firstRate: number; lastRate: number };

async function revokeAll(jwtName: string, rows: number): Promise<Measured> {
  const filters = parseTokenQuery(new URLSearchParams({ jwt_name: jwtName })).filters;
  const actor = { type: "administrator" as const, id: "bench" };
  const result = await revokeByQuery({ filters, reason: "bench", confirmCount: rows, actor, revokedBy: "bench" });
  if (result.mode !== "job") throw new Error("expected a background job");
  const started = performance.now();
  const batchTimes: number[] = [];
  let state = await beginBulkJob(massRevocation, result.runId);
  while (!state.done) {
    const t = performance.now();
    state = await continueBulkJob(massRevocation, state, 1);
    batchTimes.push(performance.now() - t);
  }
  await endBulkJob(massRevocation, state);
  const seconds = (performance.now() - started) / 1000;
  const run = await getJobRun(result.runId);
  const tenth = Math.max(1, Math.floor(batchTimes.length / 10));
  const rate = (times: number[]) => (times.length * 1_000) / (times.reduce((a, b) => a + b, 0) / 1000);
  return {
    seconds,
    revoked: state.processed,
    counted: run?.progressDone ?? -1,
    firstRate: rate(batchTimes.slice(0, tenth)),
    lastRate: rate(batchTimes.slice(-tenth - 1, -1)),
  };
}

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl || !/^postgres(ql)?:/.test(adminUrl)) {
    process.stderr.write("bench:mass-revocation needs PostgreSQL: set DATABASE_URL=postgres://user@host:5432/db (a scratch database is created beside it).\n");
    process.exit(1);
  }
  const scratch = await freshDatabase(adminUrl, "tim_bench_mass_revocation");
  process.env.DATABASE_URL = scratch.url;
  process.env.TIM_BULK_REVOKE_INLINE_MAX = "1000";
  resetConfig();
  const client = new pg.Client({ connectionString: scratch.url });
  const lines: string[] = [];
  try {
    await migrate();
    await client.connect();
    for (const size of SIZES) {
      const jwtName = `MASS_${size}`;
      await seed(client, jwtName, size);
      const m = await revokeAll(jwtName, size);
      const line =
        `${size.toLocaleString("en")} tokens: ${m.seconds.toFixed(1)} s, ${Math.round(m.revoked / m.seconds)}/s overall; ` +
        `first tenth of batches ${Math.round(m.firstRate)}/s, last tenth ${Math.round(m.lastRate)}/s; counted ${m.counted} (${m.counted === size ? "exact" : "NOT exact"})`;
      lines.push(line);
      process.stdout.write(`${line}\n`);
    }
    const rates = lines.map((l) => Number(/, (\d+)\/s overall/.exec(l)![1]));
    const spread = Math.max(...rates) / Math.min(...rates) - 1;
    process.stdout.write(`rate spread across sizes: ${(spread * 100).toFixed(1)} % (goal: within 20 %)\n`);
  } finally {
    await client.end().catch(() => undefined);
    await closeDb();
    await scratch.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench:mass-revocation failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
