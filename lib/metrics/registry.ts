import { Counter, Gauge, Histogram, Registry, Summary, collectDefaultMetrics } from "prom-client";
import { TimError } from "@/lib/http/errors";
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
  http: Histogram<"route" | "method" | "status">;
  tokens: Counter<"operation" | "kind" | "outcome">;
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
  const http = new Histogram({
    name: "tim_http_requests_duration_seconds",
    help: "HTTP requests by route pattern (API) or `page` (Next), method and status, with their latency.",
    labelNames: ["route", "method", "status"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const tokens = new Counter({
    name: "tim_tokens_total",
    help: "Tokens issued, validated, introspected, revoked and extended, by kind and outcome.",
    labelNames: ["operation", "kind", "outcome"],
    registers: [registry],
  });
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
  // Zero series for every operation, kind and outcome: dashboards see them before the first token.
  for (const [operation, outcomes] of Object.entries(TOKEN_OPERATIONS)) {
    for (const kind of METRIC_TOKEN_KINDS) for (const outcome of outcomes) tokens.labels(operation, kind, outcome).inc(0);
  }
  return { registry, duration, recent, http, tokens, rateLimitRefusals, batchSize, retentionRows, retentionProgress, retentionLastSuccess, gauges };
}

function metrics(): Metrics {
  const g = globalThis as Record<symbol, unknown>;
  return (g[SLOT] ??= create()) as Metrics;
}

export function metricsRegistry(): Registry {
  return metrics().registry;
}

type Child = { inc(n?: number): void };
type Observer = { observe(value: number): void };

// Label children resolved once per label set: a request or a token costs a lookup in nested maps, no label object or key string.
const tokenChildren = new Map<string, Map<string, Map<string, Child>>>();
const httpChildren = new Map<string, Map<number, Observer>>();

/** Counts `n` tokens of one operation (see TOKEN_OPERATIONS). */
export function countTokens<O extends TokenOperation>(operation: O, kind: MetricTokenKind, outcome: TokenOutcome<O>, n = 1): void {
  let byKind = tokenChildren.get(operation);
  if (!byKind) tokenChildren.set(operation, (byKind = new Map()));
  let byOutcome = byKind.get(kind);
  if (!byOutcome) byKind.set(kind, (byOutcome = new Map()));
  let child = byOutcome.get(outcome);
  if (!child) byOutcome.set(outcome, (child = metrics().tokens.labels(operation, kind, outcome)));
  child.inc(n);
}

/** A failed operation's outcome: refused (the caller's request, a 4xx) or failed (TIM's side, a 5xx). */
export function failureOutcome(err: unknown): "refused" | "failed" {
  return err instanceof TimError && err.status < 500 ? "refused" : "failed";
}

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/** Records one HTTP request: its route (pattern, never the raw URL), method, status and duration. */
export function observeRequest(route: string, method: string | undefined, status: number, seconds: number): void {
  let byStatus = httpChildren.get(route);
  if (!byStatus) httpChildren.set(route, (byStatus = new Map()));
  // One number per method and status: methods outside the list share one label value.
  const m = METHODS.indexOf(method ?? "GET");
  const key = status * 8 + (m < 0 ? 7 : m);
  let child = byStatus.get(key);
  if (!child) byStatus.set(key, (child = metrics().http.labels(route, m < 0 ? "other" : METHODS[m], String(status))));
  child.observe(seconds);
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
