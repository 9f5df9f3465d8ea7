import { setTimeout as sleep } from "node:timers/promises";
import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterAbstract } from "rate-limiter-flexible";
import { dbHandles, onDbClose } from "@/lib/db/client";
import { TimError } from "@/lib/http/errors";
import { countRateLimitRefusal } from "@/lib/metrics/registry";

export type LimiterOptions = { keyPrefix: string; points: number; durationSeconds: number };

const SLOT = Symbol.for("tim.ratelimit-stores");
const stores: Map<string, Promise<RateLimiterAbstract>> = ((globalThis as Record<symbol, unknown>)[SLOT] ??= new Map()) as Map<
  string,
  Promise<RateLimiterAbstract>
>;
onDbClose(async () => stores.clear());

/**
 * A rate-limiter-flexible limiter: its PostgreSQL store on PostgreSQL, so every
 * instance counts against the same rows (tim.rate_limits, made by a migration),
 * and its memory store on PGlite, which only one process can open anyway.
 */
export function limiter(options: LimiterOptions): Promise<RateLimiterAbstract> {
  const id = `${options.keyPrefix}:${options.points}:${options.durationSeconds}`;
  let store = stores.get(id);
  if (!store) {
    store = dbHandles().then(({ pool }) => {
      const common = { keyPrefix: options.keyPrefix, points: options.points, duration: options.durationSeconds };
      if (!pool) return new RateLimiterMemory(common);
      return new RateLimiterPostgres({
        ...common,
        storeClient: pool,
        storeType: "pool",
        schemaName: "tim",
        tableName: "rate_limits",
        tableCreated: true,
        // Its hourly sweep keeps a timer alive; the rows are one per key and reused.
        clearExpiredByTimeout: false,
      });
    });
    store.catch(() => stores.delete(id));
    stores.set(id, store);
  }
  return store;
}

/**
 * 429 with Retry-After and the limit headers in the three-field form of the
 * IETF draft (draft-ietf-httpapi-ratelimit-headers, as most clients read it).
 * Counted in the metrics by `name`, the limit's store key prefix.
 */
export function tooManyRequests(name: string, message: string, limit: number, resetMs: number): TimError {
  countRateLimitRefusal(name);
  const seconds = String(Math.max(1, Math.ceil(resetMs / 1000)));
  return new TimError(
    "too_many_requests",
    message,
    {},
    {
      "retry-after": seconds,
      "ratelimit-limit": String(limit),
      "ratelimit-remaining": "0",
      "ratelimit-reset": seconds,
    },
  );
}

/** A refusal is answered after this pause (backoff). */
const REFUSAL_PAUSE_MS = 1_000;
/** At most this many refusals wait at once (each holds a socket and a timer); beyond that they are answered at once. */
const MAX_PAUSED_REFUSALS = 10_000;
let pausedRefusals = 0;

/**
 * Throws `refusal` (a 429) after a pause: a flood that waits for its answers,
 * as retry loops and most tools do, then sends a few requests a second per
 * connection instead of taking the CPU from every other caller.
 */
export async function refuseAfterPause(refusal: TimError): Promise<never> {
  if (pausedRefusals < MAX_PAUSED_REFUSALS) {
    pausedRefusals++;
    try {
      await sleep(REFUSAL_PAUSE_MS);
    } finally {
      pausedRefusals--;
    }
  }
  throw refusal;
}
