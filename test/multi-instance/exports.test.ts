import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { closeDb } from "@/lib/db/client";
import { getJobRun, type JobRunView } from "@/lib/jobs/runs";
import { streamTokenExport } from "@/lib/reporting/export";
import { requestExportJob } from "@/lib/reporting/request-export-job";
import { tokenFilterSchema } from "@/lib/reporting/filters";
import { seedExportTokens } from "@/test/jobs/export-support";
import { adminSessionCookie } from "@/test/support/admin-session";
import { createClusterDatabase, exited, instanceEnv, startInstance, waitFor, type Cluster, type Instance } from "@/test/multi-instance/cluster";

/**
 * Background exports on three TIM instances on one PostgreSQL database: the
 * file lives in the database (tim.files), so any instance serves it, and a
 * run whose instance dies mid-export is finished by another. This process
 * requests the exports on the cluster's database (as the console would) and
 * downloads them over HTTP as a signed-in administrator.
 *
 * PostgreSQL only: PGlite is one process's embedded database.
 */
const adminUrl = process.env.DATABASE_URL;
const ADMIN = "EE38001085718";
const SECRET = "multi-instance-exports-session-secret-0123456789";
const BIG_ROWS = 60_000;

const cluster: Cluster & { instances: Instance[]; cookie: string } = {} as never;

async function requestExport(jwtName: string): Promise<string> {
  const { runId } = await requestExportJob({
    filters: tokenFilterSchema.parse({ jwt_name: jwtName }),
    format: "csv",
    actor: { type: "administrator", id: ADMIN },
    requestedBy: `admin:${ADMIN}`,
  });
  return runId;
}

const finished = (runId: string, timeoutMs: number) =>
  waitFor(
    async () => {
      const run = await getJobRun(runId);
      return run?.finishedAt ? run : undefined;
    },
    timeoutMs,
    `export ${runId} finished`,
  );

/** A download from one instance, hashed as it streams (never held whole). */
async function download(instance: Instance, runId: string) {
  const res = await fetch(`http://127.0.0.1:${instance.port}/admin/exports/${runId}`, { headers: { cookie: cluster.cookie } });
  const digest = createHash("sha256");
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    digest.update(chunk);
    bytes += chunk.length;
  }
  return { status: res.status, headers: res.headers, sha256: digest.digest("hex"), bytes };
}

async function streamedSha(jwtName: string): Promise<string> {
  const digest = createHash("sha256");
  for await (const chunk of streamTokenExport(tokenFilterSchema.parse({ jwt_name: jwtName }), "csv") as unknown as AsyncIterable<Uint8Array>) {
    digest.update(chunk);
  }
  return digest.digest("hex");
}

describe.runIf(adminUrl)("background exports across three TIM instances", () => {
  beforeAll(async () => {
    Object.assign(cluster, await createClusterDatabase(adminUrl!, "tim_multi_exports"));
    const env = instanceEnv(cluster.url, { NEXTAUTH_SECRET: SECRET, TIM_ADMIN_SUBJECTS: ADMIN });
    const first = await startInstance(env);
    cluster.instances = [first, ...(await Promise.all([startInstance(env), startInstance(env)]))];
    await cluster.sql.connect();
    // this process's lib/ now works on the cluster's database
    process.env.DATABASE_URL = cluster.url;
    await closeDb();
    resetConfig();
    cluster.cookie = await adminSessionCookie(ADMIN, SECRET, true);
  }, 120_000);

  afterAll(async () => {
    for (const i of cluster.instances ?? []) if (i.child.exitCode === null) i.child.kill("SIGKILL");
    await closeDb();
    await cluster.drop?.();
    process.env.DATABASE_URL = adminUrl;
    resetConfig();
  });

  test("an export written by one instance downloads byte-identical from all three", async () => {
    const name = `multi-export-${randomUUID()}`;
    await seedExportTokens(name, 3_000);
    const runId = await requestExport(name);
    const run = await finished(runId, 90_000);
    expect(run.status).toBe("succeeded");
    const { sha256: fileSha, bytes } = run.result as { sha256: string; bytes: number };
    const expected = await streamedSha(name);
    expect(fileSha).toBe(expected);
    for (const instance of cluster.instances) {
      const got = await download(instance, runId);
      expect(got).toMatchObject({ status: 200, sha256: expected, bytes });
      expect(got.headers.get("x-tim-sha256")).toBe(expected);
      expect(got.headers.get("content-length")).toBe(String(bytes));
      expect(got.headers.get("content-disposition")).toBe(`attachment; filename="tim-tokens-${runId}.csv"`);
    }
  }, 180_000);

  test("an export whose instance is killed mid-run is finished by another, complete and correct", async () => {
    const name = `multi-export-big-${randomUUID()}`;
    await cluster.sql.query(
      `INSERT INTO custom.jwt_metadata (jwt_uuid, claim_keys, issued_at, expires_at, subject, jwt_name, original_jwt_uuid, claims_json, token_hash)
       SELECT u, 'sub,role', now() - interval '1 hour', now() + interval '1 day', 'big-' || n, $2, u,
              jsonb_build_object('sub', 'big-' || n, 'role', 'reader'), encode(sha256(u::text::bytea), 'hex')
         FROM (SELECT gen_random_uuid() AS u, n FROM generate_series(1, $1) n) g`,
      [BIG_ROWS, name],
    );
    const runId = await requestExport(name);
    // caught in its first half, with part of the file committed
    const writing = await waitFor(
      async () => {
        const r = await cluster.sql.query<{ owner_name: string; size: string }>(
          `SELECT e.owner_name, f.size::text
             FROM tim.job_executions e, tim.job_runs j, tim.files f
            WHERE e.function_id = 'large-export' AND e.status = 'running'
              AND e.events @> jsonb_build_array(jsonb_build_object('data', jsonb_build_object('run_id', $1::text)))
              AND j.id = $1::uuid AND f.run_id = j.id AND f.size > 0 AND j.progress_done BETWEEN 1 AND $2::int / 2`,
          [runId, BIG_ROWS],
        );
        return r.rows[0];
      },
      120_000,
      "the export being written",
    );
    const victim = cluster.instances.find((i) => writing.owner_name.endsWith(`:${i.child.pid}`))!;
    expect(victim, `owner ${writing.owner_name}`).toBeDefined();
    victim.child.kill("SIGKILL");
    await exited(victim.child);
    const killedAt = Date.now();

    const run: JobRunView = await finished(runId, 240_000);
    const [execution] = (
      await cluster.sql.query<{ owner_name: string; status: string }>(
        `SELECT owner_name, status FROM tim.job_executions
          WHERE function_id = 'large-export' AND events @> jsonb_build_array(jsonb_build_object('data', jsonb_build_object('run_id', $1::text)))`,
        [runId],
      )
    ).rows;
    console.log(
      `export ${runId}: ${writing.size} bytes written by ${writing.owner_name} when killed; ` +
        `finished by ${execution.owner_name} ${Date.now() - killedAt} ms later (${run.progressDone} rows)`,
    );
    expect(execution.owner_name).not.toBe(writing.owner_name);
    expect(run).toMatchObject({ status: "succeeded", error: null, progressDone: BIG_ROWS });
    const expected = await streamedSha(name);
    const { sha256: fileSha, bytes } = run.result as { sha256: string; bytes: number };
    expect(fileSha).toBe(expected);
    for (const instance of cluster.instances.filter((i) => i !== victim)) {
      expect(await download(instance, runId)).toMatchObject({ status: 200, sha256: expected, bytes });
    }
    expect(await cluster.sql.query(`SELECT 1 FROM tim.files WHERE run_id = $1::uuid`, [runId]).then((r) => r.rowCount)).toBe(1);
  }, 400_000);
});
