import { config } from "@/lib/config/env";
import { onDbClose } from "@/lib/db/client";
import { sourceAddress } from "@/lib/http/address";
import type { ApiRequest } from "@/lib/http/handler";
import type { TimError } from "@/lib/http/errors";
import { limiter, refuseAfterPause, tooManyRequests } from "@/lib/ratelimit/store";

/** Request limits are per minute. */
const WINDOW_MS = 60_000;
/** How often each instance adds its local counts to the shared store and reads the others'. */
const SYNC_MS = 1_000;
/** The shared store counts; the limit itself is applied here, per key (clients have their own). */
const STORE_POINTS = 2 ** 30;

/** `sending`: counts on their way to the store, still counted here until its total (which holds them) is back. */
type Window = { key: string; shared: number; sending: number; pending: number; resetAt: number };

/**
 * Request counting on the token API's hot path without a database round trip
 * per request: each instance counts locally and, once a second, adds its
 * counts to rate-limiter-flexible's store (PostgreSQL across instances) in one
 * upsert per active key, reading back the total of every instance. A key is
 * refused once the last known total plus this instance's unsynchronised count
 * reaches the limit, so instances together overshoot by at most one second's
 * worth of other instances' traffic.
 */
class SharedWindows {
  private readonly windows = new Map<string, Window>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly keyPrefix: string) {}

  /** Counts one request for `key`; the 429 (with the limit headers) to answer when `limit` per minute is used up. */
  take(key: string, limit: number, message: string): TimError | undefined {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || now >= window.resetAt) {
      window = { key, shared: 0, sending: 0, pending: 0, resetAt: now + WINDOW_MS };
      this.windows.set(key, window);
    }
    this.timer ??= setInterval(() => void this.sync(), SYNC_MS).unref();
    const used = window.shared + window.sending + window.pending;
    if (used >= limit) return tooManyRequests(this.keyPrefix, message, limit, window.resetAt - now);
    window.pending++;
    return undefined;
  }

  /** The synchronisation in flight: one at a time (a slow store must not overlap rounds). */
  private syncing: Promise<void> | undefined;

  sync(): Promise<void> {
    this.syncing ??= this.syncOnce().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const store = await limiter({ keyPrefix: this.keyPrefix, points: STORE_POINTS, durationSeconds: WINDOW_MS / 1000 }).catch(() => undefined);
    if (!store) return;
    const now = Date.now();
    await Promise.all(
      [...this.windows.values()].map(async (window) => {
        if (now >= window.resetAt && window.pending === 0) {
          this.windows.delete(window.key);
          return;
        }
        const added = window.pending;
        window.pending = 0;
        window.sending = added;
        try {
          const res = added > 0 ? await store.penalty(window.key, added) : await store.get(window.key);
          window.shared = res?.consumedPoints ?? 0;
          if (res) window.resetAt = Date.now() + res.msBeforeNext;
        } catch {
          // The store is unreachable: keep counting locally and add these next time.
          window.pending += added;
        } finally {
          window.sending = 0;
        }
      }),
    );
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.windows.clear();
  }
}

const SLOT = Symbol.for("tim.ratelimit-requests");
type Limiters = { byClient: SharedWindows; byAddress: SharedWindows };
const limiters: Limiters = ((globalThis as Record<symbol, unknown>)[SLOT] ??= {
  byClient: new SharedWindows("requests-client"),
  byAddress: new SharedWindows("requests-address"),
}) as Limiters;
onDbClose(async () => {
  limiters.byClient.stop();
  limiters.byAddress.stop();
});

/** Counts a request of an API client against its limit (the console's setting, else the default). */
export async function takeClientRequest(clientId: string, limitPerMinute: number | null): Promise<void> {
  const limit = limitPerMinute ?? config().TIM_CLIENT_RATE_LIMIT_PER_MINUTE;
  const refusal = limiters.byClient.take(clientId, limit, `This API client may make ${limit} requests per minute.`);
  if (refusal) await refuseAfterPause(refusal);
}

/** Basic or `Bearer tim_…` credentials: such requests are limited per client (or per failure) instead. */
const CLIENT_CREDENTIALS = /^\s*(basic\s|bearer\s+tim_)/i;

/**
 * Counts a request that names no API client (JWKS, `list/me`, TARA login, and
 * everything when TIM_API_AUTH=off) against its source address.
 */
export async function takeUncredentialedRequest(req: ApiRequest): Promise<void> {
  if (config().TIM_API_AUTH === "on" && CLIENT_CREDENTIALS.test(req.headers.get("authorization") ?? "")) return;
  const address = sourceAddress(req);
  if (!address) return;
  const limit = config().TIM_ADDRESS_RATE_LIMIT_PER_MINUTE;
  const refusal = limiters.byAddress.take(address, limit, `This address may make ${limit} requests per minute without client credentials.`);
  if (refusal) await refuseAfterPause(refusal);
}

/** Adds this instance's counts to the shared store now (tests, shutdown). */
export async function syncRequestCounts(): Promise<void> {
  await Promise.all([limiters.byClient.sync(), limiters.byAddress.sync()]);
}
