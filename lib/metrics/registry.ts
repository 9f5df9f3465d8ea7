import { Counter, Gauge, Histogram, Registry, Summary, collectDefaultMetrics } from "prom-client";
import { TimError } from "@/lib/http/errors";
import { hotCounter, hotHistogram, type CounterCell, type HistogramCell, type HotHistogram } from "@/lib/metrics/hot";
import { TOKEN_KINDS } from "@/lib/tokens/kinds";

/**
 * The process's Prometheus registry. A process-wide slot keeps one registry
 * when Next bundles lib/ into several module graphs.
 */
export type ReportQuery = "search" | "count" | "export" | "stats" | "audit_search";

/**
 * The token operations counted, each with its outcomes (`failed`: an error not the caller's, such as
 * the database being down; `refused`: the caller's request was refused). Label sets stay bounded: kind,
 * operation and outcome, never a client or subject.
 */
export const TOKEN_OPERATIONS = {
  issued: ["ok", "refused", "failed"],
  validated: ["valid", "invalid", "failed"],
  introspected: ["active", "inactive", "failed"],
  revoked: ["revoked", "already_revoked", "not_owned", "failed"],
  extended: ["ok", "refused", "failed"],
} as const;
export type TokenOperation = keyof typeof TOKEN_OPERATIONS;
export type TokenOutcome<O extends TokenOperation> = (typeof TOKEN_OPERATIONS)[O][number];
/** `unknown`: a token whose kind could not be read (not a TIM token). */
export const METRIC_TOKEN_KINDS = [...TOKEN_KINDS, "unknown"] as const;
export type MetricTokenKind = (typeof METRIC_TOKEN_KINDS)[number];

type Metrics = {
  registry: Registry;
  duration: Histogram<"query">;
  recent: Summary<"query">;
  http: HotHistogram;
  /** Per route, per method and status (one number): resolved on first use. */
  httpCells: Map<string, Map<number, HistogramCell>>;
  /** Every operation, kind and outcome, resolved up front. */
  tokenCells: { [O in TokenOperation]: Record<MetricTokenKind, Record<TokenOutcome<O>, CounterCell>> };
  rateLimitRefusals: Counter<"limit">;
  batchSize: Histogram<"group">;
  retentionRows: Counter<"table">;
  retentionProgress: Gauge;
  retentionLastSuccess: Gauge;
  /** Values read at scrape time (denylist listener, job queue), registered by the modules that know them. */
  gauges: Map<string, GaugeSource>;
};

/** A gauge's values at scrape time: one value, or values by their one label. */
type GaugeSource = () => number | Promise<Array<{ label: string; value: number }>>;

const SLOT = Symbol.for("tim.metrics");

function create(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "tim_" });
  const duration = new Histogram({
    name: "tim_report_query_duration_seconds",
    help: "Duration of reporting queries (search page, count, export, dashboard stats).",
    labelNames: ["query"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  // Sliding one-hour window, for the dashboard's p50/p95 "over the last hour".
  const recent = new Summary({
    name: "tim_report_query_duration_recent_seconds",
    help: "Reporting query durations over the last hour (sliding window).",
    labelNames: ["query"],
    percentiles: [0.5, 0.95],
    maxAgeSeconds: 3600,
    ageBuckets: 6,
    registers: [registry],
  });
  const http = hotHistogram(
    registry,
    "tim_http_requests_duration_seconds",
    "HTTP requests by route (API pattern, `unmatched`, or `next`), method and status, with their latency.",
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  );
  const tokenCell = hotCounter(registry, "tim_tokens_total", "Tokens issued, validated, introspected, revoked and extended, by kind and outcome.");
  // Every operation, kind and outcome is a series from the start: dashboards see them before the first token.
  const cellsOf = <O extends TokenOperation>(operation: O) =>
    Object.fromEntries(
      METRIC_TOKEN_KINDS.map((kind) => [
        kind,
        Object.fromEntries(TOKEN_OPERATIONS[operation].map((outcome) => [outcome, tokenCell({ operation, kind, outcome })])),
      ]),
    ) as Record<MetricTokenKind, Record<TokenOutcome<O>, CounterCell>>;
  const tokenCells = Object.fromEntries((Object.keys(TOKEN_OPERATIONS) as TokenOperation[]).map((operation) => [operation, cellsOf(operation)])) as {
    [O in TokenOperation]: Record<MetricTokenKind, Record<TokenOutcome<O>, CounterCell>>;
  };
  const rateLimitRefusals = new Counter({
    name: "tim_rate_limit_refusals_total",
    help: "Requests refused with 429, by limit.",
    labelNames: ["limit"],
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: "tim_group_commit_batch_size",
    help: "Items per grouped database statement (group commits and grouped lookups), by group.",
    labelNames: ["group"],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    registers: [registry],
  });
  const retentionRows = new Counter({
    name: "tim_retention_rows_total",
    help: "Rows archived or deleted by retention runs, by table.",
    labelNames: ["table"],
    registers: [registry],
  });
  const retentionProgress = new Gauge({
    name: "tim_retention_progress_ratio",
    help: "Phases done of the retention run in progress in this process (1: finished).",
    registers: [registry],
  });
  const retentionLastSuccess = new Gauge({
    name: "tim_retention_last_success_timestamp_seconds",
    help: "When a retention run last finished without error in this process.",
    registers: [registry],
  });
  const gauges = new Map<string, GaugeSource>();
  return {
    registry,
    duration,
    recent,
    http,
    httpCells: new Map(),
    tokenCells,
    rateLimitRefusals,
    batchSize,
    retentionRows,
    retentionProgress,
    retentionLastSuccess,
    gauges,
  };
}

function metrics(): Metrics {
  const g = globalThis as Record<symbol, unknown>;
  return (g[SLOT] ??= create()) as Metrics;
}

export function metricsRegistry(): Registry {
  return metrics().registry;
}

type Observer = { observe(value: number): void };

/** Counts `n` tokens of one operation (see TOKEN_OPERATIONS). */
export function countTokens<O extends TokenOperation>(operation: O, kind: MetricTokenKind, outcome: TokenOutcome<O>, n = 1): void {
  (metrics().tokenCells[operation][kind] as Record<TokenOutcome<O>, CounterCell>)[outcome].n += n;
}

/** A failed operation's outcome: refused (the caller's request, a 4xx) or failed (TIM's side, a 5xx). */
export function failureOutcome(err: unknown): "refused" | "failed" {
  return err instanceof TimError && err.status < 500 ? "refused" : "failed";
}

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/** Records one HTTP request: its route (pattern, never the raw URL), method, status and duration. */
export function observeRequest(route: string, method: string | undefined, status: number, seconds: number): void {
  const m = metrics();
  let byStatus = m.httpCells.get(route);
  if (!byStatus) m.httpCells.set(route, (byStatus = new Map()));
  // One number per method and status, no key string: methods outside the list share one label value.
  const index = METHODS.indexOf(method ?? "GET");
  const key = status * 8 + (index < 0 ? 7 : index);
  let cell = byStatus.get(key);
  if (!cell) byStatus.set(key, (cell = m.http.cell({ route, method: index < 0 ? "other" : METHODS[index], status: String(status) })));
  m.http.observe(cell, seconds);
}

/** Counts one 429 of the named limit. */
export function countRateLimitRefusal(limit: string): void {
  metrics().rateLimitRefusals.inc({ limit });
}

/** The observer of one group's batch sizes (resolve it once per group). */
export function batchSizeObserver(group: string): Observer {
  return metrics().batchSize.labels(group);
}

/** Retention: rows done per table since the last report, and the share of phases done. */
export function reportRetention(rows: Record<string, number>, progress: number): void {
  const m = metrics();
  for (const [table, n] of Object.entries(rows)) if (n > 0) m.retentionRows.inc({ table }, n);
  m.retentionProgress.set(progress);
  if (progress >= 1) m.retentionLastSuccess.setToCurrentTime();
}

/**
 * A gauge read when Prometheus scrapes (no work per change): `read` answers one value, or values by
 * `label`. Registered by the module that holds the state; registering again replaces the source.
 */
export function gaugeOnScrape(name: string, help: string, read: () => number): void;
export function gaugeOnScrape(name: string, help: string, read: () => Promise<Array<{ label: string; value: number }>>, label: string): void;
export function gaugeOnScrape(name: string, help: string, read: GaugeSource, label?: string): void {
  const m = metrics();
  const known = m.gauges.has(name);
  m.gauges.set(name, read);
  if (known) return;
  new Gauge({
    name,
    help,
    labelNames: label ? [label] : [],
    registers: [m.registry],
    async collect() {
      const value = await m.gauges.get(name)!();
      if (typeof value === "number") return void this.set(value);
      this.reset();
      for (const v of value) this.set({ [label!]: v.label }, v.value);
    },
  });
}

/** Runs a reporting query and records how long it took, whether it succeeded or failed. */
export async function timedQuery<T>(query: ReportQuery, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    recordQueryDuration(query, (performance.now() - started) / 1000);
  }
}

export function recordQueryDuration(query: ReportQuery, seconds: number): void {
  const m = metrics();
  m.duration.observe({ query }, seconds);
  m.recent.observe({ query }, seconds);
}

export type QueryPerformance = { query: ReportQuery; count: number; p50Ms: number | null; p95Ms: number | null };

/** p50/p95 per query over the last hour, in this process. */
export async function recentQueryPerformance(queries: ReportQuery[]): Promise<QueryPerformance[]> {
  const { values } = await metrics().recent.get();
  return queries.map((query) => {
    const mine = values.filter((v) => v.labels.query === query);
    const quantile = (q: number) => {
      const v = mine.find((x) => (x.labels as Record<string, unknown>).quantile === q)?.value;
      return v === undefined || Number.isNaN(v) ? null : Math.round(v * 100_000) / 100;
    };
    const count = mine.find((x) => x.metricName?.endsWith("_count"))?.value ?? 0;
    return { query, count, p50Ms: quantile(0.5), p95Ms: quantile(0.95) };
  });
}
