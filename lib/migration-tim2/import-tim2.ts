import { z } from "zod";
import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { openSqlSession, type SqlSession } from "@/lib/db/sql-session";
import { Prisma } from "@/lib/generated/prisma/client";
import { TimError } from "@/lib/http/errors";
import { checkKeyImport, importRetiredKey, type ImportedKey } from "@/lib/jwt/import-key";
import type { KeyTx } from "@/lib/jwt/key-store";
import { countSourceRows, keyOf, readSourceBatch, type Keyset, type SourceMetadataRow } from "@/lib/migration-tim2/read-source";
import { detectSourceLayout, qualified, type SourceTable } from "@/lib/migration-tim2/source-layout";
import { addCounts, emptyCounts, skippedTotal, writeBatch, type Counts } from "@/lib/migration-tim2/write-batch";
import { IMPORT_SOURCES, KINDS, TOKEN_KINDS, type DbTx } from "@/lib/tokens/kinds";

export const importOptionsSchema = z.object({
  /** Source rows per TIM transaction. */
  batchSize: z.number().int().min(1).max(10_000).default(1_000),
  /** Read and check everything, write nothing (every batch's transaction is rolled back). */
  dryRun: z.boolean().default(false),
  /** The zone TIM 2.0's `timestamp` columns were written in (its JVM's; UTC in its containers). */
  timeZone: z
    .string()
    .regex(/^[A-Za-z0-9_+/-]{1,64}$/, "timeZone must be an IANA zone name such as UTC or Europe/Tallinn")
    .default("UTC"),
  /** TIM API client recorded on imported rows (may then extend and revoke them without tokens:revoke:any). */
  clientId: z.string().min(1).max(200).nullable().default(null),
  /** Ignore an unfinished run's progress and read every table from its start (nothing is imported twice either way). */
  restart: z.boolean().default(false),
});
export type ImportOptions = z.input<typeof importOptionsSchema>;

export type ImportProgress = { table: string; done: number; total: number };

export type ImportInput = ImportOptions & {
  source: SqlSession;
  /** Names the source in progress rows and the audit entry: host, port, database (never a password). */
  sourceName: string;
  /** TIM 2.0's signing key (readSigningKey), imported as a retired verify-only key. */
  key?: ImportedKey;
  actor?: AuditActor;
  onProgress?: (p: ImportProgress) => void;
  /** Aborted: stops after the batch being written; the next run continues there. */
  signal?: AbortSignal;
};

export type TableSummary = { table: string; kind: string; what: string; counts: Counts };

export type ImportSummary = {
  source: string;
  dryRun: boolean;
  /** False when stopped (signal) before the end: run again to continue. */
  finished: boolean;
  /** An earlier run had stopped; its counts are included. */
  resumed: boolean;
  tables: TableSummary[];
  totals: Counts;
  key?: { kid: string; outcome: "imported" | "present" | "would_import"; verifiesUntil: string };
  /** Live imported tokens whose issuer is not TIM_ISSUER: TIM refuses them ("Invalid issuer") until TIM_ISSUER matches. */
  foreignIssuers: Record<string, number>;
  seconds: number;
};

export const IMPORT_ACTOR: AuditActor = { type: "system_job", id: "import:tim2" };
export const IMPORT_AUDIT_ACTION = "tokens.import_tim2";

class RolledBack extends Error {
  constructor(readonly counts: Counts) {
    super("dry run");
  }
}

const TX = { timeout: 120_000, maxWait: 30_000 };

/**
 * `npm run import:tim2`: copies a TIM 2.0 database's tokens into TIM —
 * denylists first (a token TIM 2.0 revoked is never active in TIM, not even
 * between two batches), then metadata, then the signing key (so TIM accepts
 * TIM 2.0's tokens only once their rows are there) — in batches of
 * `batchSize` source rows, one TIM transaction each, read in keyset order.
 * Each batch's transaction also records how far the run got, so an
 * interrupted run continues where it stopped; rows already in TIM are
 * skipped, so running it again imports nothing twice. The run that finishes
 * writes one audit entry (counts include an interrupted run's) in the
 * transaction that clears the progress and imports the key.
 */
export async function importTim2(input: ImportInput): Promise<ImportSummary> {
  const release = await takeImportLock();
  try {
    return await runImport(input);
  } finally {
    await release();
  }
}

/** Imports of this process (PGlite's one session holds an advisory lock re-entrantly, so it alone cannot tell). */
let importing = false;

/**
 * One import at a time against this TIM, from any process: two at once would
 * interleave their progress rows and both write the run's audit entry. A
 * session-level advisory lock, held on a connection of its own for the run
 * (it goes when that session ends, also when the process dies).
 */
async function takeImportLock(): Promise<() => Promise<void>> {
  const refused = () =>
    new TimError(
      "import_running",
      "Another import from TIM 2.0 is running against this TIM; wait for it to finish, then run this one (it continues where that one stopped).",
    );
  if (importing) throw refused();
  importing = true;
  const session = await openSqlSession().catch((err: unknown) => {
    importing = false;
    throw err;
  });
  const unlock = async () => {
    importing = false;
    await session.query("SELECT pg_advisory_unlock(hashtext('tim.import_tim2'))").catch(() => undefined);
    await session.release();
  };
  let locked = false;
  try {
    [{ locked }] = await session.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext('tim.import_tim2')) AS locked");
  } finally {
    if (!locked) {
      importing = false;
      await session.release();
    }
  }
  if (!locked) throw refused();
  return unlock;
}

async function runImport(input: ImportInput): Promise<ImportSummary> {
  const started = performance.now();
  const opts = importOptionsSchema.parse({
    batchSize: input.batchSize,
    dryRun: input.dryRun,
    timeZone: input.timeZone,
    clientId: input.clientId,
    restart: input.restart,
  });
  const prisma = await db();
  if (opts.clientId && !(await prisma.apiClient.findUnique({ where: { clientId: opts.clientId }, select: { clientId: true } }))) {
    throw new TimError("invalid_request", `There is no TIM API client ${opts.clientId} to record on the imported tokens.`);
  }
  const layout = await detectSourceLayout(input.source);
  await input.source.query("SELECT now() AT TIME ZONE $1::text AS checked", [opts.timeZone]).catch(() => {
    throw new TimError("invalid_request", `${opts.timeZone} is not a time zone the source database knows.`);
  });
  const saved = opts.restart ? [] : await prisma.tim2ImportProgress.findMany({ where: { source: input.sourceName } });
  const progress = new Map(saved.map((p) => [p.phase, { after: JSON.parse(p.lastKey) as Keyset | null, counts: p.counts as Counts }]));

  const tables: TableSummary[] = [];
  const seen = { maxExpiry: 0, issuers: new Map<string, number>() };
  let finished = true;
  for (const table of layout) {
    const phase = qualified(table);
    const state = progress.get(phase);
    const summary: TableSummary = { table: phase, kind: table.kind, what: table.what, counts: state?.counts ?? emptyCounts() };
    tables.push(summary);
    if (state && state.after === null) continue; // read to its end by the interrupted run
    let after = state?.after ?? undefined;
    const total = await countSourceRows(input.source, table);
    input.onProgress?.({ table: phase, done: summary.counts.read, total });
    while (!input.signal?.aborted) {
      const rows = await readSourceBatch(input.source, table, after, opts.batchSize, opts.timeZone);
      if (rows.length === 0) break;
      if (table.what === "metadata") noteTokens(seen, rows as SourceMetadataRow[]);
      const nextKey = keyOf(table, rows[rows.length - 1]);
      const batch = await writeInTransaction(table, rows, opts, async (tx, counts) => {
        await saveProgress(tx, input.sourceName, phase, nextKey, addCounts(summary.counts, counts));
      });
      summary.counts = addCounts(summary.counts, batch);
      after = nextKey;
      input.onProgress?.({ table: phase, done: summary.counts.read, total });
      if (rows.length < opts.batchSize) break;
    }
    if (input.signal?.aborted) {
      finished = false;
      break;
    }
    // A table read to its end is not read again by a continuing run.
    if (!opts.dryRun) {
      await prisma.$transaction((tx) => saveProgress(tx, input.sourceName, phase, null, summary.counts), TX);
    }
  }

  const totals = tables.reduce((sum, t) => addCounts(sum, t.counts), emptyCounts());
  const foreignIssuers = Object.fromEntries([...seen.issuers].filter(([iss]) => iss !== config().TIM_ISSUER));
  const result: ImportSummary = {
    source: input.sourceName,
    dryRun: opts.dryRun,
    finished,
    resumed: saved.length > 0,
    tables,
    totals,
    foreignIssuers,
    seconds: 0,
  };
  if (finished) {
    const verifyUntil = new Date(Math.max(seen.maxExpiry, opts.dryRun ? 0 : await latestImportedExpiry(), Date.now()));
    const audit = (tx: KeyTx, kid?: string) => finishRun(tx, input, result, kid);
    if (opts.dryRun) {
      if (input.key) {
        const status = await checkKeyImport(input.key);
        result.key = { kid: input.key.kid, outcome: status === "new" ? "would_import" : "present", verifiesUntil: verifyUntil.toISOString() };
      }
    } else if (input.key) {
      const imported = await importRetiredKey(input.key, verifyUntil, (tx, kid) => audit(tx, kid));
      result.key = { kid: imported.kid, outcome: imported.outcome, verifiesUntil: imported.verifiesUntil.toISOString() };
    } else {
      await prisma.$transaction((tx) => audit(tx), TX);
    }
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

/** Writes one batch in its own transaction (rolled back in a dry run) and returns its counts. */
async function writeInTransaction(
  table: SourceTable,
  rows: Parameters<typeof writeBatch>[2],
  opts: z.output<typeof importOptionsSchema>,
  alsoWithin: (tx: DbTx, counts: Counts) => Promise<void>,
): Promise<Counts> {
  const prisma = await db();
  try {
    return await prisma.$transaction(async (tx) => {
      const counts = await writeBatch(tx, table, rows, { clientId: opts.clientId });
      if (opts.dryRun) throw new RolledBack(counts);
      await alsoWithin(tx, counts);
      return counts;
    }, TX);
  } catch (err) {
    if (err instanceof RolledBack) return err.counts;
    throw err;
  }
}

/** Records how far a table was read (`null`: to its end) and what was done so far. */
async function saveProgress(tx: DbTx, source: string, phase: string, lastKey: Keyset | null, counts: Counts): Promise<void> {
  const key = JSON.stringify(lastKey);
  const json = JSON.stringify(counts);
  await tx.$executeRaw`
    INSERT INTO tim.tim2_import_progress (source, phase, last_key, counts, updated_at)
    VALUES (${source}, ${phase}, ${key}, ${json}::jsonb, now())
    ON CONFLICT (source, phase) DO UPDATE SET last_key = EXCLUDED.last_key, counts = EXCLUDED.counts, updated_at = now()`;
}

/** The latest expiry and the issuers of the live tokens read (for the key's lifetime and the issuer warning). */
function noteTokens(seen: { maxExpiry: number; issuers: Map<string, number> }, rows: SourceMetadataRow[]): void {
  const now = Date.now();
  for (const r of rows) {
    const exp = r.expires_at ? Date.parse(r.expires_at) : 0;
    if (exp > seen.maxExpiry) seen.maxExpiry = exp;
    if (exp > now && r.issuer !== null) seen.issuers.set(r.issuer, (seen.issuers.get(r.issuer) ?? 0) + 1);
  }
}

/** The latest expiry of any imported row (an interrupted run's included). */
async function latestImportedExpiry(): Promise<number> {
  const prisma = await db();
  const parts = TOKEN_KINDS.map((k) => Prisma.sql`SELECT max(expires_at) AS exp FROM ${KINDS[k].sql.metadata} WHERE imported_from = ${IMPORT_SOURCES.tim2}`);
  const [row] = await prisma.$queryRaw<Array<{ exp: Date | null }>>`SELECT max(exp) AS exp FROM (${Prisma.join(parts, " UNION ALL ")}) u`;
  return row?.exp ? row.exp.getTime() : 0;
}

/** The finished run's audit entry; its progress rows go in the same transaction. */
async function finishRun(tx: KeyTx, input: ImportInput, result: ImportSummary, kid?: string): Promise<void> {
  await tx.tim2ImportProgress.deleteMany({ where: { source: input.sourceName } });
  const counts: Record<string, number> = { read: result.totals.read, imported: result.totals.imported, skipped: skippedTotal(result.totals) };
  for (const [reason, n] of Object.entries(result.totals.skipped)) counts[`skipped_${reason}`] = n ?? 0;
  await recordAudit(tx, {
    actor: input.actor ?? IMPORT_ACTOR,
    action: IMPORT_AUDIT_ACTION,
    target: {
      source: input.sourceName,
      tables: result.tables.map((t) => ({ table: t.table, read: t.counts.read, imported: t.counts.imported })),
      ...(kid ? { signing_key: kid } : {}),
      resumed: result.resumed,
    },
    counts,
  });
}
