import { isDataRefusal } from "@/lib/http/errors";
import { batchSizeObserver } from "@/lib/metrics/registry";

/**
 * Micro-batching of database work: requests that arrive while a batch is in
 * flight go together in the next one (one statement, one round trip). Each
 * caller's promise settles with the batch that carried its request: resolved
 * with its own result once that batch succeeded, rejected when it failed for
 * a reason shared by all (database unreachable). When it failed for one
 * item's own data, only that item's caller sees the error (runIsolating).
 */
export type BatchOptions<Item> = {
  /** The group's name in the batch-size metric (tim_group_commit_batch_size). */
  name: string;
  /** Size of a batch (a single larger item still goes alone). */
  maxSize: number;
  /** Batches in flight at once. */
  maxInFlight: number;
  /** Size of one item (default 1). */
  sizeOf?: (item: Item) => number;
  /** Errors that belong to one item rather than to the batch (default: isDataRefusal). */
  isolates?: (err: unknown) => boolean;
};

type Waiting<Item, Result> = { item: Item; resolve: (result: Result) => void; reject: (err: unknown) => void };

/**
 * Runs `items` as one batch. If the batch fails with an error that `isolates`
 * says belongs to an item (a row the database refused), the batch is split in
 * halves and each half run again, down to single items: the items that fail
 * alone get their error, every other item commits. A bad item among n costs
 * about 2·log2(n) extra runs, and only when one occurs. Any other error fails
 * the items of the run it happened in.
 */
export async function runIsolating<Item, Result>(
  items: Item[],
  run: (items: Item[]) => Promise<Result[]>,
  isolates: (err: unknown) => boolean = isDataRefusal,
): Promise<PromiseSettledResult<Result>[]> {
  try {
    const results = await run(items);
    return results.map((value) => ({ status: "fulfilled", value }));
  } catch (reason) {
    if (items.length === 1 || !isolates(reason)) return items.map(() => ({ status: "rejected", reason }));
    const half = Math.ceil(items.length / 2);
    const first = await runIsolating(items.slice(0, half), run, isolates);
    return [...first, ...(await runIsolating(items.slice(half), run, isolates))];
  }
}

export function batcher<Item, Result>(run: (items: Item[]) => Promise<Result[]>, options: BatchOptions<Item>): (item: Item) => Promise<Result> {
  const sizeOf = options.sizeOf ?? (() => 1);
  const waiting: Waiting<Item, Result>[] = [];
  let inFlight = 0;
  let scheduled = false;
  let sizes: { observe(size: number): void } | undefined;

  function takeBatch(): Waiting<Item, Result>[] {
    const batch: Waiting<Item, Result>[] = [];
    let size = 0;
    while (waiting.length > 0 && (batch.length === 0 || size + sizeOf(waiting[0].item) <= options.maxSize)) {
      const next = waiting.shift()!;
      size += sizeOf(next.item);
      batch.push(next);
    }
    (sizes ??= batchSizeObserver(options.name)).observe(size);
    return batch;
  }

  function pump(): void {
    scheduled = false;
    while (inFlight < options.maxInFlight && waiting.length > 0) {
      const batch = takeBatch();
      inFlight++;
      runIsolating(
        batch.map((w) => w.item),
        run,
        options.isolates,
      )
        .then((settled) => {
          for (const [i, s] of settled.entries()) {
            if (s.status === "fulfilled") batch[i].resolve(s.value);
            else batch[i].reject(s.reason);
          }
        })
        .finally(() => {
          inFlight--;
          pump();
        });
    }
  }

  return (item) =>
    new Promise<Result>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      // Requests that arrive in the same turn of the event loop share a batch.
      if (!scheduled && inFlight < options.maxInFlight) {
        scheduled = true;
        setImmediate(pump);
      }
    });
}
