/**
 * `npm run bench:reports`: reporting performance on the database in
 * DATABASE_URL after `npm run seed:bulk -- --rows 1000000`.
 *  - p50/p95 of a filtered search page (50 rows, first and deep pages) and of its count query;
 *  - p50/p95 of the dashboard figures (GET /api/reports/stats), after the daily
 *    rollup of closed days exists (the first call makes it; its time is printed too);
 *  - a full export (CSV) streamed to nowhere while the process RSS is sampled,
 *    in a process of its own (as a server process serving one export).
 *  - per search shape of issues 17 and 19 (subject/name prefix and contains, client address and CIDR range,
 *    status superseded, revocation reason): p50/p95 of the first page and of the console's bounded count;
 * Targets (issue 4): page p95 < 100 ms on PostgreSQL; dashboard well under 1 s; export RSS < 300 MB.
 * `-- --search-only`: the searches only (no dashboard, no export).
 */
import { spawnSync } from "node:child_process";
import { closeDb } from "@/lib/db/client";
import { config } from "@/lib/config/env";
import { countTokens, countTokensBounded } from "@/lib/reporting/count";
import { streamTokenExport } from "@/lib/reporting/export";
import { parseTokenQuery, type TokenFilters } from "@/lib/reporting/filters";
import { searchTokens } from "@/lib/reporting/search";
import { dashboardStats } from "@/lib/reporting/stats";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const DEEP_PAGES = 10;
const STATS_ROUNDS = Number(process.env.BENCH_STATS_ROUNDS ?? 20);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const ms = (v: number) => `${v.toFixed(1)} ms`;

/** Filters an administrator would type, over the seeded data (bulk-* names). */
function filterSet(i: number): Record<string, string> {
  const day = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString().slice(0, 10);
  const sets: Record<string, string>[] = [
    { jwt_name: `bulk-name-${i % 20}`, status: "active" },
    { subject: `bulk-subject-${(i * 131) % 50_000}` },
    { client_id: `bulk-client-${i % 10}`, issued_from: day(20 + (i % 10)), issued_to: day(10 + (i % 10)) },
    { claim_keys: "department", status: "revoked" },
    { type: "tara", auth_method: ["mID", "smartid", "idcard", "eidas"][i % 4], loa: "high" },
    { jwt_name: `bulk-name-${i % 20}`, sort: "expires_at", order: "asc" },
  ];
  return sets[i % sets.length];
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
}

async function benchSearch() {
  const first: number[] = [];
  const deep: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const { filters, page } = parseTokenQuery(new URLSearchParams(filterSet(i)));
    const [result, t] = await timed(() => searchTokens(filters, page));
    first.push(t);
    let cursor = result.next_cursor;
    for (let p = 0; p < DEEP_PAGES && cursor; p++) {
      const [next, td] = await timed(() => searchTokens(filters, { ...page, cursor: cursor! }));
      deep.push(td);
      cursor = next.next_cursor;
    }
    const [, tc] = await timed(() => countTokens(filters));
    counts.push(tc);
  }
  return { first, deep, counts };
}

const SHAPE_ROUNDS = Number(process.env.BENCH_SHAPE_ROUNDS ?? 20);

/** The search shapes of issues 17 §1 and 19 §2, each with values that vary by round (bulk seed: lib/reporting/bulk-seed.ts). */
const SHAPES: [name: string, filters: (i: number) => Record<string, string>][] = [
  ["subject exact", (i) => ({ subject: `bulk-subject-${(i * 131) % 50_000}` })],
  ["subject prefix (~11 subjects)", (i) => ({ subject: `bulk-subject-${((i * 37) % 4_000) + 1_000}`, subject_match: "prefix" })],
  ["subject prefix (broad, ~5,500 subjects)", (i) => ({ subject: `bulk-subject-${1 + (i % 9)}`, subject_match: "prefix" })],
  ["subject contains (~11 subjects)", (i) => ({ subject: `ject-${((i * 37) % 4_000) + 1_000}`, subject_match: "contains" })],
  // TARA subjects are EE300000nnnnn: the digits after EE find one person's tokens (~4)
  ["subject contains, TARA code", (i) => ({ subject: `300000${String((i * 7919) % 50_000).padStart(5, "0")}`, subject_match: "contains" })],
  ["name prefix", (i) => ({ jwt_name: `bulk-name-${1 + (i % 9)}`, name_match: "prefix" })],
  ["name contains", (i) => ({ jwt_name: `name-1${i % 10}`, name_match: "contains" })],
  // a seeded address (lib/reporting/bulk-seed.ts: 10.(g % 8).(g / 8 % 50).(g / 400 % 50), about 45 tokens each)
  ["address (one)", (i) => ({ address: `10.${i % 8}.${(i * 7) % 50}.${(i * 13) % 50}` })],
  ["address /24 (public range)", () => ({ address: "198.51.100.0/24" })],
  ["address /16 + status active", (i) => ({ address: `10.${i % 8}.0.0/16`, status: "active" })],
  ["status superseded", () => ({ status: "superseded" })],
  ["revocation reason contains", () => ({ reason: "seed" })],
  ["subject prefix + status revoked", (i) => ({ subject: `bulk-subject-${((i * 37) % 4_000) + 1_000}`, subject_match: "prefix", status: "revoked" })],
];

async function benchShapes() {
  console.log(`\nSearch shapes (issues 17, 19), ${SHAPE_ROUNDS} queries each: first page (50 rows) and bounded count (console, API):`);
  console.log(
    `  ${"shape".padEnd(42)} ${"page p50".padStart(10)} ${"page p95".padStart(10)} ${"count p50".padStart(10)} ${"count p95".padStart(10)}  matches (last)`,
  );
  for (const [name, make] of SHAPES) {
    const pages: number[] = [];
    const totals: number[] = [];
    let matches = "";
    for (let i = 0; i < SHAPE_ROUNDS + 2; i++) {
      const { filters, page } = parseTokenQuery(new URLSearchParams(make(i)));
      const [, tp] = await timed(() => searchTokens(filters, page));
      const [count, tc] = await timed(() => countTokensBounded(filters));
      // the first two rounds warm plans and caches
      if (i >= 2) {
        pages.push(tp);
        totals.push(tc);
      }
      matches = `${count.estimated ? "~" : ""}${count.value.toLocaleString("en")}`;
    }
    console.log(
      `  ${name.padEnd(42)} ${ms(percentile(pages, 50)).padStart(10)} ${ms(percentile(pages, 95)).padStart(10)} ${ms(percentile(totals, 50)).padStart(10)} ${ms(percentile(totals, 95)).padStart(10)}  ${matches}`,
    );
  }
}

async function benchExport(filters: TokenFilters) {
  let peak = process.memoryUsage().rss;
  const baseline = peak;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const started = performance.now();
  let bytes = 0;
  let lines = 0;
  const reader = streamTokenExport(filters, "csv").getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    for (const b of value) if (b === 10) lines++;
  }
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { seconds: (performance.now() - started) / 1000, bytes, rows: lines - 1, baselineMb: baseline / 2 ** 20, peakMb: peak / 2 ** 20 };
}

if (process.argv.includes("--export-only")) {
  const result = await benchExport(parseTokenQuery(new URLSearchParams()).filters);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await closeDb();
  process.exit(0);
}

const cfg = config();
if (cfg.databaseKind !== "postgres") console.warn("WARNING: DATABASE_URL is not set; the targets are for PostgreSQL.");
const all = parseTokenQuery(new URLSearchParams()).filters;
const total = await countTokens(all);
console.log(
  `Token metadata rows (custom + TARA): ${total.toLocaleString("en")}${total < 900_000 ? "  (seed 1M first: npm run seed:bulk -- --rows 1000000)" : ""}`,
);

await benchSearch(); // warm-up: plans, caches, connections
const { first, deep, counts } = await benchSearch();
console.log(`\nFiltered search page (50 rows), ${ROUNDS} queries over 6 filter shapes:`);
console.log(`  first page      p50 ${ms(percentile(first, 50))}  p95 ${ms(percentile(first, 95))}  max ${ms(Math.max(...first))}`);
console.log(`  deeper pages    p50 ${ms(percentile(deep, 50))}  p95 ${ms(percentile(deep, 95))}  (${deep.length} keyset pages, up to ${DEEP_PAGES} deep)`);
console.log(
  `  total count     p50 ${ms(percentile(counts, 50))}  p95 ${ms(percentile(counts, 95))}  (first page of the API and console only; streamed in after the rows)`,
);
const pageP95 = percentile([...first, ...deep], 95);
console.log(`  target page p95 < 100 ms: ${pageP95 < 100 ? "MET" : "NOT MET"} (${ms(pageP95)})`);

await benchShapes();
if (process.argv.includes("--search-only")) {
  await closeDb();
  process.exit(0);
}

const [, firstStats] = await timed(() => dashboardStats());
const stats: number[] = [];
for (let i = 0; i < STATS_ROUNDS; i++) stats.push((await timed(() => dashboardStats()))[1]);
console.log(`\nDashboard figures (GET /api/reports/stats), ${STATS_ROUNDS} calls:`);
console.log(`  first call      ${ms(firstStats)}  (rolls up the closed days not yet in tim.stats_daily)`);
console.log(`  then            p50 ${ms(percentile(stats, 50))}  p95 ${ms(percentile(stats, 95))}  max ${ms(Math.max(...stats))}`);
console.log(`  target p95 < 1 s: ${percentile(stats, 95) < 1000 ? "MET" : "NOT MET"}`);
await closeDb();

const child = spawnSync(process.execPath, ["--import", "tsx", "bench/reports.ts", "--export-only"], { env: process.env, encoding: "utf8", maxBuffer: 1 << 20 });
if (child.status !== 0) {
  console.error(`export run failed: ${child.stderr}`);
  process.exit(1);
}
const exported = JSON.parse(child.stdout.trim().split("\n").pop()!) as Awaited<ReturnType<typeof benchExport>>;
console.log(`\nFull export (CSV, every row, streamed, in a process of its own):`);
console.log(
  `  ${exported.rows.toLocaleString("en")} rows, ${(exported.bytes / 2 ** 20).toFixed(0)} MiB in ${exported.seconds.toFixed(1)} s (${Math.round(exported.rows / exported.seconds).toLocaleString("en")} rows/s)`,
);
console.log(`  process RSS: ${exported.baselineMb.toFixed(0)} MB before, peak ${exported.peakMb.toFixed(0)} MB during`);
console.log(`  target RSS < 300 MB: ${exported.peakMb < 300 ? "MET" : "NOT MET"}`);
