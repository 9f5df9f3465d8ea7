/**
 * `npm run import:tim2 -- --from <TIM 2.0 PostgreSQL URL> [--signing-key <file>] [--dry-run]`:
 * imports a TIM 2.0 database's tokens and its signing key (lib/migration-tim2/). See README, "Migrating from TIM 2.0".
 */
import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import pg from "pg";
import { closeDb } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";
import { pgSession } from "@/lib/db/sql-session";
import { TimError } from "@/lib/http/errors";
import { IMPORT_ACTOR, importTim2, type ImportProgress, type ImportSummary } from "@/lib/migration-tim2/import-tim2";
import { KeyFileError, readSigningKey, TIM2_KEY_ALIAS } from "@/lib/migration-tim2/read-signing-key";
import { SourceError } from "@/lib/migration-tim2/source-layout";
import { SKIP_REASONS, type SkipReason } from "@/lib/migration-tim2/write-batch";

const USAGE = `usage: npm run import:tim2 -- --from <postgres://user@host:5432/tim> [options]
  --signing-key <file>            TIM 2.0's jwtkeystore.jks (JKS or PKCS#12), a PEM key or certificate, or its JWKS
  --keystore-password-file <file> the keystore's password (jwt.signature.key-store-password), first line of the file
  --key-alias <alias>             keystore entry and kid (default ${TIM2_KEY_ALIAS})
  --dry-run                       read and check everything, write nothing
  --batch-size <n>                source rows per transaction (default 1000)
  --source-time-zone <zone>       zone of TIM 2.0's timestamp columns (default UTC)
  --client-id <id>                TIM API client recorded on the imported tokens
  --restart                       ignore an interrupted run's progress and read from the start`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

let values: ReturnType<typeof parse>["values"];
function parse() {
  return parseArgs({
    options: {
      from: { type: "string" },
      "signing-key": { type: "string" },
      "keystore-password-file": { type: "string" },
      "key-alias": { type: "string", default: TIM2_KEY_ALIAS },
      "dry-run": { type: "boolean", default: false },
      "batch-size": { type: "string", default: "1000" },
      "source-time-zone": { type: "string", default: "UTC" },
      "client-id": { type: "string" },
      restart: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
}
try {
  ({ values } = parse());
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`);
}
if (values.help) fail(USAGE, 0);
if (!values.from) fail(`--from is required.\n${USAGE}`);
const batchSize = Number(values["batch-size"]);
if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) fail("--batch-size must be a whole number from 1 to 10000.");

/** host:port/database of the source: what progress rows and the audit entry name (no user, no password). */
function sourceName(url: string): string {
  try {
    const u = new URL(url);
    if (!u.protocol.startsWith("postgres")) throw new Error();
    return `${u.hostname}:${u.port || "5432"}${u.pathname || "/"}`;
  } catch {
    return fail("--from must be a PostgreSQL URL (postgres://user:password@host:5432/database).");
  }
}
const source = sourceName(values.from);

let key;
if (values["signing-key"]) {
  try {
    const password = values["keystore-password-file"] ? readFileSync(values["keystore-password-file"], "utf8").split(/\r?\n/)[0] : undefined;
    key = readSigningKey(values["signing-key"], { alias: values["key-alias"], password });
  } catch (err) {
    fail(err instanceof KeyFileError ? err.message : `Cannot read the signing key: ${(err as Error).message}`);
  }
}

const tty = process.stderr.isTTY;
const bars = tty
  ? new cliProgress.MultiBar({ format: " {table} [{bar}] {value}/{total} rows", hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic)
  : undefined;
const barOf = new Map<string, cliProgress.SingleBar>();
const lastLine = new Map<string, number>();
function onProgress(p: ImportProgress): void {
  if (bars) {
    let bar = barOf.get(p.table);
    if (!bar) barOf.set(p.table, (bar = bars.create(p.total, p.done, { table: p.table.padEnd(22) })));
    bar.setTotal(Math.max(p.total, p.done));
    bar.update(p.done);
    return;
  }
  // Not a terminal: a line at the start, every 10,000 rows and at the end of each table.
  const last = lastLine.get(p.table);
  if (last === undefined || p.done - last >= 10_000 || p.done >= p.total) {
    if (last === p.done) return;
    lastLine.set(p.table, p.done);
    console.log(`  ${p.table}: ${p.done.toLocaleString("en")} / ${p.total.toLocaleString("en")} rows`);
  }
}

// Ctrl-C: stop after the batch being written (its progress is saved); a second one ends the process at once.
const stop = new AbortController();
process.on("SIGINT", () => {
  if (stop.signal.aborted) process.exit(130);
  stop.abort();
  console.error("\nStopping after the current batch; run the same command again to continue.");
});

function report(s: ImportSummary): void {
  const n = (x: number) => x.toLocaleString("en");
  console.log(`\nTIM 2.0 import from ${s.source}${s.dryRun ? " (dry run: nothing written)" : ""}${s.resumed ? " (continued an interrupted run)" : ""}`);
  for (const t of s.tables) {
    const skipped = Object.entries(t.counts.skipped)
      .map(([r, c]) => `${n(c ?? 0)} ${r}`)
      .join(", ");
    console.log(
      `  ${t.table.padEnd(22)} read ${n(t.counts.read)}, ${s.dryRun ? "would import" : "imported"} ${n(t.counts.imported)}${skipped ? `, skipped ${skipped}` : ""}`,
    );
  }
  const reasons = Object.keys(s.totals.skipped) as SkipReason[];
  if (reasons.length) {
    console.log("  skipped because:");
    for (const r of reasons) console.log(`    ${r}: ${SKIP_REASONS[r]}`);
  }
  if (s.key) console.log(`  signing key ${s.key.kid}: ${s.key.outcome.replace("_", " ")} (verify-only, published until ${s.key.verifiesUntil})`);
  for (const [iss, count] of Object.entries(s.foreignIssuers)) {
    console.log(`  WARNING: ${n(count)} live tokens have issuer "${iss}", not TIM_ISSUER: TIM refuses them until TIM_ISSUER=${iss}.`);
  }
  const rate = s.seconds > 0 ? Math.round(s.totals.read / s.seconds) : 0;
  console.log(`  ${n(s.totals.read)} rows in ${s.seconds.toFixed(1)} s (${n(rate)} rows/s)${s.finished ? "" : "; stopped early: run again to continue"}`);
}

const client = new pg.Client({ connectionString: values.from, connectionTimeoutMillis: 10_000 });
try {
  // TIM's database first: an embedded one in use by a running TIM is refused before anything is read.
  await migrate();
  try {
    await client.connect();
  } catch (err) {
    throw new SourceError(`Cannot connect to the TIM 2.0 database ${source}: ${(err as Error).message}`);
  }
  // Read only: nothing this command does can change TIM 2.0's database.
  await client.query("SET default_transaction_read_only = on");
  const summary = await importTim2({
    source: pgSession(client, () => client.end()),
    sourceName: source,
    key,
    batchSize,
    dryRun: values["dry-run"],
    timeZone: values["source-time-zone"],
    clientId: values["client-id"] ?? null,
    restart: values.restart,
    actor: { ...IMPORT_ACTOR, id: `import:tim2 (${userInfo().username})` },
    onProgress,
    signal: stop.signal,
  });
  bars?.stop();
  report(summary);
  if (!summary.finished) process.exitCode = 130;
} catch (err) {
  bars?.stop();
  const known = err instanceof TimError || err instanceof SourceError;
  console.error(`import:tim2 failed: ${known ? err.message : (err as Error).message}`);
  process.exitCode = 1;
} finally {
  await client.end().catch(() => undefined);
  await closeDb().catch(() => undefined);
}
