import { isIP } from "node:net";
import { sourceAddress } from "@/lib/http/address";
import type { ApiRequest } from "@/lib/http/handler";

/**
 * Where a token came from, recorded on its metadata row (client_address, user_agent): the address
 * of the client that asked for it (as the rate limiter sees it: the socket's peer, or with
 * TIM_TRUSTED_PROXIES the nearest untrusted X-Forwarded-For hop; lib/http/address.ts) and its
 * User-Agent header. Custom tokens: the API caller of the issuance, or of the extension for the
 * new version; TARA tokens: the person's browser at TARA's callback. Personal data: kept with the
 * row and removed with it (retention, archive purge; README "Retention").
 */
export type TokenOrigin = { clientAddress: string | null; userAgent: string | null };

/** How much of a User-Agent header is kept (real browsers send 100–300 characters). */
export const USER_AGENT_MAX_CHARS = 512;

export const UNKNOWN_ORIGIN: TokenOrigin = Object.freeze({ clientAddress: null, userAgent: null });

// Control characters (and U+0000, which PostgreSQL's text cannot hold) are dropped; a header cannot carry them anyway.
// biome-ignore lint/suspicious/noControlCharactersInRegex: dropping them is the point
const CONTROL = /[\u0000-\u001f\u007f]/g;

/** A User-Agent as stored: without control characters, at most USER_AGENT_MAX_CHARS, null when empty. */
export function storedUserAgent(value: string | null | undefined): string | null {
  if (!value) return null;
  const clean = value.replace(CONTROL, "").trim();
  if (!clean) return null;
  // Cut by code point, so no half of a surrogate pair is stored.
  const chars = Array.from(clean);
  return chars.length > USER_AGENT_MAX_CHARS ? chars.slice(0, USER_AGENT_MAX_CHARS).join("") : clean;
}

/** An address as stored (inet): an IPv6 zone (`fe80::1%eth0`) is dropped; anything else than an address is null. */
export function storedAddress(value: string | null | undefined): string | null {
  if (!value) return null;
  const address = value.split("%")[0];
  return isIP(address) ? address : null;
}

/**
 * Where a revocation came from, kept on its denylist row (and an extension's, for the old token) so that
 * the audit fold can name the request and the caller's address in the event it writes.
 */
export type ChangeSource = { requestId?: string | null; sourceAddress?: string | null };

/** The change source of an API request. */
export function changeSourceOf(req: ApiRequest, requestId: string): ChangeSource {
  return { requestId, sourceAddress: storedAddress(sourceAddress(req)) };
}

/** The origin of a request, for the token it issues or extends. */
export function originOf(req: ApiRequest): TokenOrigin {
  return { clientAddress: storedAddress(sourceAddress(req)), userAgent: storedUserAgent(req.headers.get("user-agent")) };
}
