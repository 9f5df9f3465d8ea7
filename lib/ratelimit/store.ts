import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterAbstract } from "rate-limiter-flexible";
import { dbHandles, onDbClose } from "@/lib/db/client";
import { TimError } from "@/lib/http/errors";

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
 */
export function tooManyRequests(message: string, limit: number, resetMs: number): TimError {
  const seconds = String(Math.max(1, Math.ceil(resetMs / 1000)));
  return new TimError("too_many_requests", message, {}, {
    "retry-after": seconds,
    "ratelimit-limit": String(limit),
    "ratelimit-remaining": "0",
    "ratelimit-reset": seconds,
  });
}
