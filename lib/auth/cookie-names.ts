import { TARA_COOKIE } from "@/lib/tara/cookie";

/**
 * next-auth 4's default cookie names (core/lib/cookie.js, not exported by the
 * package). With secure cookies they carry a `__Secure-`/`__Host-` prefix, and
 * the session cookie is chunked as `.0`, `.1` …: hence the prefix rule below.
 */
const NEXT_AUTH_PREFIX = "next-auth.";
const NEXT_AUTH_COOKIES = ["session-token", "callback-url", "csrf-token", "pkce.code_verifier", "state", "nonce"].map((name) => `${NEXT_AUTH_PREFIX}${name}`);

/** Every cookie TIM itself sets in a browser. */
export const TIM_COOKIE_NAMES: readonly string[] = [TARA_COOKIE, ...NEXT_AUTH_COOKIES];

/**
 * A cookie name a caller may not have TIM set (setCookie): one of TIM's own
 * (it would overwrite a session) or a browser-privileged `__Host-`/`__Secure-`
 * name. Browsers treat names case-sensitively, but the check is case-insensitive
 * to leave no near-miss.
 */
export function isReservedCookieName(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    lower.startsWith("__host-") ||
    lower.startsWith("__secure-") ||
    lower.startsWith(NEXT_AUTH_PREFIX) ||
    TIM_COOKIE_NAMES.some((own) => own.toLowerCase() === lower)
  );
}
