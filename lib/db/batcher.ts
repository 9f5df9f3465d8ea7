/**
 * Micro-batching of database work: requests that arrive while a batch is in
 * flight go together in the next one (one statement, one round trip). Each
 * caller's promise settles with the batch that carried its request: resolved
 * with its own result once that batch succeeded, rejected when it failed.
 */
export type BatchOptions<Item> = {
  /** Size of a batch (a single larger item still goes alone). */
  maxSize: number;
  /** Batches in flight at once. */
  maxInFlight: number;
  /** Size of one item (default 1). */
  sizeOf?: (item: Item) => number;
};

type Waiting<Item, Result> = { item: Item; resolve: (result: Result) => void; reject: (err: unknown) => void };

export function batcher<Item, Result>(
  run: (items: Item[]) => Promise<Result[]>,
  options: BatchOptions<Item>,
): (item: Item) => Promise<Result> {
  const sizeOf = options.sizeOf ?? (() => 1);
  const waiting: Waiting<Item, Result>[] = [];
  let inFlight = 0;
  let scheduled = false;

  function takeBatch(): Waiting<Item, Result>[] {
    const batch: Waiting<Item, Result>[] = [];
    let size = 0;
    while (waiting.length > 0 && (batch.length === 0 || size + sizeOf(waiting[0].item) <= options.maxSize)) {
      const next = waiting.shift()!;
      size += sizeOf(next.item);
      batch.push(next);
    }
    return batch;
  }

  function pump(): void {
    scheduled = false;
    while (inFlight < options.maxInFlight && waiting.length > 0) {
      const batch = takeBatch();
      inFlight++;
      run(batch.map((w) => w.item))
        .then(
          (results) => batch.forEach((w, i) => w.resolve(results[i])),
          (err) => batch.forEach((w) => w.reject(err)),
        )
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

/**
 * Group commit: each caller's rows are written together with those of
 * concurrent callers by `write` (one statement, one commit); a caller is
 * answered only after the write carrying its rows committed.
 */
export function groupCommit<Row>(
  write: (rows: Row[]) => Promise<void>,
  options: { maxRows: number; maxInFlight: number },
): (rows: Row[]) => Promise<void> {
  return batcher<Row[], void>(
    async (groups) => {
      await write(groups.flat());
      return groups.map(() => undefined);
    },
    { maxSize: options.maxRows, maxInFlight: options.maxInFlight, sizeOf: (rows) => rows.length },
  );
}
