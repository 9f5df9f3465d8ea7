/**
 * Group commit: callers hand in rows; rows of callers that arrive while a
 * write is in flight go together in the next write (one statement, one
 * commit). Each caller's promise settles with the write that carried its rows:
 * resolved only after they committed, rejected when that write failed.
 */
export type GroupCommitOptions = {
  /** Rows per write (a single caller with more still goes alone). */
  maxRows: number;
  /** Writes in flight at once. */
  maxInFlight: number;
};

type Waiting<Row> = { rows: Row[]; resolve: () => void; reject: (err: unknown) => void };

export function groupCommit<Row>(write: (rows: Row[]) => Promise<void>, options: GroupCommitOptions): (rows: Row[]) => Promise<void> {
  const waiting: Waiting<Row>[] = [];
  let inFlight = 0;
  let scheduled = false;

  function takeBatch(): Waiting<Row>[] {
    const batch: Waiting<Row>[] = [];
    let rows = 0;
    while (waiting.length > 0 && (batch.length === 0 || rows + waiting[0].rows.length <= options.maxRows)) {
      const next = waiting.shift()!;
      rows += next.rows.length;
      batch.push(next);
    }
    return batch;
  }

  function pump(): void {
    scheduled = false;
    while (inFlight < options.maxInFlight && waiting.length > 0) {
      const batch = takeBatch();
      inFlight++;
      write(batch.flatMap((w) => w.rows))
        .then(
          () => batch.forEach((w) => w.resolve()),
          (err) => batch.forEach((w) => w.reject(err)),
        )
        .finally(() => {
          inFlight--;
          pump();
        });
    }
  }

  return (rows) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ rows, resolve, reject });
      // Callers whose signing finished in the same turn of the event loop share a write.
      if (!scheduled && inFlight < options.maxInFlight) {
        scheduled = true;
        setImmediate(pump);
      }
    });
}
