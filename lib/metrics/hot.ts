import type { Metric, Registry } from "prom-client";

/**
 * Series on the request path, kept as plain numbers per label set and turned into Prometheus values only
 * when scraped: recording is a property increment, where prom-client's own `observe`/`inc` rebuild and
 * hash the label set on every call (~0.3–0.4 µs). A caller resolves its label set's cell once and keeps it.
 */
type Labels = Record<string, string>;
type Value = { labels: Labels; value: number; metricName?: string };

export type CounterCell = { n: number };
export type HistogramCell = { counts: number[]; sum: number; count: number };

function register(registry: Registry, name: string, help: string, type: "counter" | "histogram", values: () => Value[]): void {
  const get = async () => ({ name, help, type, aggregator: "sum", values: values() });
  registry.registerMetric({ name, help, type, aggregator: "sum", get } as unknown as Metric);
}

/** A counter: `cell(labels)` once per label set, then `cell.n += k`. */
export function hotCounter(registry: Registry, name: string, help: string): (labels: Labels) => CounterCell {
  const cells: Array<{ labels: Labels; cell: CounterCell }> = [];
  register(registry, name, help, "counter", () => cells.map(({ labels, cell }) => ({ labels, value: cell.n })));
  return (labels) => {
    const cell = { n: 0 };
    cells.push({ labels, cell });
    return cell;
  };
}

export type HotHistogram = { cell(labels: Labels): HistogramCell; observe(cell: HistogramCell, value: number): void };

/** A histogram over fixed `buckets` (upper bounds, ascending). */
export function hotHistogram(registry: Registry, name: string, help: string, buckets: readonly number[]): HotHistogram {
  const cells: Array<{ labels: Labels; cell: HistogramCell }> = [];
  const bounds = [...buckets.map(String), "+Inf"];
  register(registry, name, help, "histogram", () =>
    cells.flatMap(({ labels, cell }) => {
      let cumulative = 0;
      const values: Value[] = bounds.map((le, i) => ({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: (cumulative += cell.counts[i]) }));
      values.push({ metricName: `${name}_sum`, labels, value: cell.sum }, { metricName: `${name}_count`, labels, value: cell.count });
      return values;
    }),
  );
  return {
    cell(labels) {
      const cell = { counts: new Array<number>(bounds.length).fill(0), sum: 0, count: 0 };
      cells.push({ labels, cell });
      return cell;
    },
    observe(cell, value) {
      let i = 0;
      while (i < buckets.length && value > buckets[i]) i++;
      cell.counts[i]++;
      cell.sum += value;
      cell.count++;
    },
  };
}
