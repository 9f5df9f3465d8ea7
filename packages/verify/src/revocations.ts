/**
 * The local revocation set: token ids (`jti`) and TARA session ids (`sid`) TIM said are revoked,
 * each kept until the revoked token's own expiry (plus the clock tolerance) and then forgotten —
 * the token is refused as expired from then on anyway — so the set holds only revocations of
 * tokens that could still be live. `maxEntries` bounds it; beyond that the verifier fails closed.
 */
export type RevocationSnapshot = { tokens: Array<[string, number]>; sessions: Array<[string, number]> };

export class RevocationSet {
  private readonly tokens = new Map<string, number>();
  private readonly sessions = new Map<string, number>();
  private lastPrune = 0;
  /** Revocations applied (new entries; repeats of a known one not counted). */
  applied = 0;

  constructor(
    private readonly toleranceS: number,
    readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.tokens.size + this.sessions.size;
  }

  get full(): boolean {
    return this.size > this.maxEntries;
  }

  /** Records a revoked token id until `expS` (seconds); false if it expired already (nothing to keep). */
  revokeToken(jti: string, expS: number): boolean {
    return this.add(this.tokens, jti, expS);
  }

  /** Records a revoked TARA session until `expS`, the expiry of the latest token of it TIM revoked. */
  revokeSession(sid: string, expS: number): boolean {
    return this.add(this.sessions, sid, expS);
  }

  private add(map: Map<string, number>, id: string, expS: number): boolean {
    if (expS + this.toleranceS <= Date.now() / 1000) return false;
    const known = map.get(id);
    if (known === undefined) this.applied++;
    if (known === undefined || known < expS) map.set(id, expS);
    return true;
  }

  isTokenRevoked(jti: string): boolean {
    return this.tokens.has(jti);
  }

  isSessionRevoked(sid: string): boolean {
    return this.sessions.has(sid);
  }

  /** Forgets revocations of tokens now expired (at most once per `everyMs`: a pass over the set). */
  prune(everyMs = 10_000): void {
    const now = Date.now();
    if (now - this.lastPrune < everyMs) return;
    this.lastPrune = now;
    const cutoff = now / 1000 - this.toleranceS;
    for (const map of [this.tokens, this.sessions]) for (const [id, exp] of map) if (exp <= cutoff) map.delete(id);
  }

  snapshot(): RevocationSnapshot {
    return { tokens: [...this.tokens], sessions: [...this.sessions] };
  }

  restore(s: RevocationSnapshot): void {
    for (const [jti, exp] of s.tokens ?? []) if (typeof jti === "string" && typeof exp === "number") this.revokeToken(jti, exp);
    for (const [sid, exp] of s.sessions ?? []) if (typeof sid === "string" && typeof exp === "number") this.revokeSession(sid, exp);
  }
}
