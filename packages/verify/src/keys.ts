import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput, type CryptoKey } from "jose";

export type KeyCacheOptions = {
  jwksUrl: string;
  /** Refetch the JWKS in the background once it is this old (ms). Default 300,000: TIM's JWKS max-age. */
  maxAgeMs?: number;
  /**
   * At most one JWKS fetch per this many ms, whatever asks for it: a token with an unknown `kid`
   * (a key rotated in), the periodic refresh, a retry after a failure. A flood of tokens with made-up
   * kids therefore costs TIM one request per interval. Default 10,000.
   */
  cooldownMs?: number;
  /** Per-request timeout (ms). Default 5,000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  onError?: (err: Error) => void;
};

type Resolver = ReturnType<typeof createLocalJWKSet>;

/**
 * TIM's published keys, fetched once and kept: verification never waits on TIM except when a token
 * names a key the cache does not hold (then one fetch, rate-limited by `cooldownMs`). A failed fetch
 * keeps the keys already held.
 */
export class KeyCache {
  private resolver: Resolver | undefined;
  private kids = new Set<string>();
  private fetchedAt = 0;
  private lastAttempt = -Infinity;
  private pending: Promise<void> | undefined;
  private published: string | undefined;
  /** Called when a fetch finds the published keys changed. */
  onChange: (() => void) | undefined;
  /** JWKS requests sent (successful or not): for status and tests. */
  fetches = 0;
  lastError: string | undefined;

  constructor(private readonly opts: KeyCacheOptions) {}

  private get cooldownMs() {
    return this.opts.cooldownMs ?? 10_000;
  }

  /** Fetches the JWKS now unless a fetch ran within the cooldown (then waits for that one, if in flight). */
  refresh(): Promise<void> {
    if (this.pending) return this.pending;
    if (Date.now() - this.lastAttempt < this.cooldownMs) return Promise.resolve();
    this.lastAttempt = Date.now();
    this.pending = this.load().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async load(): Promise<void> {
    this.fetches++;
    try {
      const res = await (this.opts.fetch ?? fetch)(this.opts.jwksUrl, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000),
        redirect: "error",
      });
      if (!res.ok) throw new Error(`JWKS answered ${res.status}`);
      const jwks = (await res.json()) as JSONWebKeySet;
      if (!jwks || !Array.isArray(jwks.keys)) throw new Error("JWKS answer has no keys array");
      const published = JSON.stringify(jwks.keys);
      this.resolver = createLocalJWKSet(jwks);
      this.kids = new Set(jwks.keys.map((k) => k.kid).filter((k): k is string => typeof k === "string"));
      // A key withdrawn (or replaced under its kid) must not stay trusted through tokens verified with it.
      if (this.published !== undefined && published !== this.published) this.onChange?.();
      this.published = published;
      this.fetchedAt = Date.now();
      this.lastError = undefined;
    } catch (err) {
      // Keep the keys held: a TIM that is briefly away must not stop verification of what it signed.
      this.lastError = err instanceof Error ? err.message : String(err);
      this.opts.onError?.(new Error(`JWKS fetch failed: ${this.lastError}`));
    }
  }

  get loaded(): boolean {
    return this.resolver !== undefined;
  }

  get ageMs(): number {
    return this.resolver ? Date.now() - this.fetchedAt : Infinity;
  }

  /** jose's key resolver: the key the header names, fetched again first if its kid is unknown. */
  readonly key = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    if (this.ageMs > (this.opts.maxAgeMs ?? 300_000)) void this.refresh();
    if (!this.resolver || typeof header.kid !== "string" || !this.kids.has(header.kid)) await this.refresh();
    if (!this.resolver) throw new errors.JWKSNoMatchingKey();
    return this.resolver(header, token);
  };
}
