import { MAX_USES_PER_EVENT, type TokenUse } from "@/lib/jobs/events";
import { emit } from "@/lib/jobs/send";
import type { TokenKind } from "@/lib/tokens/kinds";

/**
 * Uses are collected in process this long before they go out: a token in use
 * is typically validated many times a second, and each window costs one row
 * update per token used in it, however often it was used.
 */
const FLUSH_MS = 5_000;
/** Distinct tokens collected before the window is handed over early (bounds memory). */
const MAX_PENDING_TOKENS = 20_000;

type Pending = { kind: TokenKind; jwtUuid: string; count: number; last: number };
type UsageState = { pending: Map<string, Pending>; timer?: NodeJS.Timeout };

// One collection per process, shared by the custom server's modules and Next's bundle.
const SLOT = Symbol.for("tim.jobs.token-usage");
const state: UsageState = ((globalThis as Record<symbol, unknown>)[SLOT] ??= { pending: new Map() }) as UsageState;

/**
 * Called by validation and introspection after a token was accepted; returns
 * at once. Uses of the same token are counted in process and handed to the
 * token-usage function together (every 5 s, as events of up to 1,000 tokens),
 * so a busy validation endpoint adds no database write per request.
 */
export function recordTokenUse(kind: TokenKind, jwtUuid: string, usedAt?: Date): void {
  const key = `${kind}:${jwtUuid}`;
  const at = usedAt ? usedAt.getTime() : Date.now();
  const known = state.pending.get(key);
  if (known) {
    known.count += 1;
    if (at > known.last) known.last = at;
    return;
  }
  state.pending.set(key, { kind, jwtUuid, count: 1, last: at });
  if (state.pending.size >= MAX_PENDING_TOKENS) flushTokenUse();
  else state.timer ??= setTimeout(flushTokenUse, FLUSH_MS).unref();
}

/** Hands the uses collected so far to the background function (at shutdown, and in tests). */
export function flushTokenUse(): void {
  clearTimeout(state.timer);
  state.timer = undefined;
  if (state.pending.size === 0) return;
  const uses: TokenUse[] = [...state.pending.values()].map((u) => ({
    token_type: u.kind,
    jwt_uuid: u.jwtUuid,
    count: u.count,
    last_used_at: new Date(u.last).toISOString(),
  }));
  state.pending = new Map();
  for (let i = 0; i < uses.length; i += MAX_USES_PER_EVENT) {
    emit({ name: "tim/token.used", data: { uses: uses.slice(i, i + MAX_USES_PER_EVENT) } });
  }
}
