import { createHash } from "node:crypto";
import type { ApiRequest } from "@/lib/http/handler";
import { bearerCredential, readCookie, setCookie } from "@/lib/http/cookies";

/** The cookie that carries the TIM TARA JWT to the browser. */
export const TARA_COOKIE = "TIM_TARA_JWT";

/**
 * The cookie that binds a browser login's state to the browser that started
 * it (TARA.md "Binding `state` to the browser", RFC 6749 §10.12): it holds the
 * state's hash and is sent only to the callback path.
 */
export const TARA_STATE_COOKIE = "TIM_TARA_STATE";

/** SHA-256 of a login's state, base64url: what the binding cookie holds. */
export function stateHash(state: string): string {
  return createHash("sha256").update(state).digest("base64url");
}

export function stateBindingCookie(state: string, callbackPath: string, maxAgeSeconds: number): string {
  return setCookie(TARA_STATE_COOKIE, stateHash(state), { path: callbackPath, maxAgeSeconds });
}

export function clearedStateBindingCookie(callbackPath: string): string {
  return setCookie(TARA_STATE_COOKIE, "", { path: callbackPath, maxAgeSeconds: 0 });
}

export function taraCookie(token: string, maxAgeSeconds: number): string {
  return setCookie(TARA_COOKIE, token, { maxAgeSeconds });
}

export function clearedTaraCookie(): string {
  return setCookie(TARA_COOKIE, "", { maxAgeSeconds: 0 });
}

/** The TIM TARA JWT of a request: Authorization: Bearer, else the cookie. */
export function taraTokenFrom(req: ApiRequest): string | undefined {
  return bearerCredential(req) ?? readCookie(req, TARA_COOKIE);
}
