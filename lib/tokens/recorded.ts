import { LRUCache } from "lru-cache";
import { config } from "@/lib/config/env";
import type { TokenKind } from "@/lib/tokens/kinds";

/**
 * Whether a token must have its metadata row to be valid: always in sync mode
 * (issuance commits the row before the token exists, so a signed token without
 * one is not TIM's to vouch for); in async mode a fresh token's row may still
 * be on its way, and validation, introspection and revocation accept it.
 */
export function recordRequired(): boolean {
  return config().TIM_METADATA_WRITE_MODE === "sync";
}

/**
 * Tokens whose metadata row this process knows to exist, because it wrote the
 * row or read it, until the token expires (rows are insert-only; retention
 * removes them only after expiry). A token known here needs no lookup of its
 * row; others are looked up together with the denylist check (one grouped
 * query). Bounded: a forgotten token costs one lookup again.
 */
const recorded = new LRUCache<string, true>({ max: 50_000 });

const keyOf = (kind: TokenKind, jti: string) => `${kind}:${jti.toLowerCase()}`;

export function noteRecorded(kind: TokenKind, jti: string, expSeconds: number): void {
  const ttl = expSeconds * 1000 - Date.now();
  if (ttl > 0) recorded.set(keyOf(kind, jti), true, { ttl });
}

export function knownRecorded(kind: TokenKind, jti: string): boolean {
  return recorded.has(keyOf(kind, jti));
}
