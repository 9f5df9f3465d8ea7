import { createHmac, randomBytes } from "node:crypto";
import type { ApiCaller } from "@/lib/clients/scopes";

/**
 * Successful secret verifications, so argon2 runs once per client and secret
 * rather than on every request. Keyed by an HMAC of the presented credentials
 * under a per-process random key (the secret itself is never kept), and tied to
 * the client's updated_at: any change to the client invalidates the entry.
 */
type Entry = { caller: ApiCaller; rateLimitPerMinute: number | null; updatedAt: number; checkedAt: number };

const SLOT = Symbol.for("tim.client-auth-cache");
type State = { key: Buffer; entries: Map<string, Entry> };
const state: State = ((globalThis as Record<symbol, unknown>)[SLOT] ??= {
  key: randomBytes(32),
  entries: new Map(),
}) as State;

const MAX_ENTRIES = 10_000;

export function credentialKey(clientId: string, secret: string): string {
  return createHmac("sha256", state.key).update(clientId).update("\0").update(secret).digest("base64url");
}

export function cachedCaller(key: string): Entry | undefined {
  return state.entries.get(key);
}

export function rememberCaller(key: string, caller: ApiCaller, rateLimitPerMinute: number | null, updatedAt: Date): void {
  if (state.entries.size >= MAX_ENTRIES) state.entries.clear();
  state.entries.set(key, { caller, rateLimitPerMinute, updatedAt: updatedAt.getTime(), checkedAt: Date.now() });
}

export function markChecked(key: string): void {
  const entry = state.entries.get(key);
  if (entry) entry.checkedAt = Date.now();
}

export function forgetCaller(key: string): void {
  state.entries.delete(key);
}

/** Drops every cached verification of a client (its row changed in this process). */
export function forgetClient(clientId: string): void {
  for (const [key, entry] of state.entries) if (entry.caller.clientId === clientId) state.entries.delete(key);
}
