import { Histogram, Registry, Summary, collectDefaultMetrics } from "prom-client";

/**
 * The process's Prometheus registry. A process-wide slot keeps one registry
 * when Next bundles lib/ into several module graphs.
 */
export type ReportQuery = "search" | "count" | "export" | "stats" | "audit_search";

type Metrics = {
  registry: Registry;
  duration: Histogram<"query">;
  recent: Summary<"query">;
};

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
  return { registry, duration, recent };
}

function metrics(): Metrics {
  const g = globalThis as Record<symbol, unknown>;
  return (g[SLOT] ??= create()) as Metrics;
}

export function metricsRegistry(): Registry {
  return metrics().registry;
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
