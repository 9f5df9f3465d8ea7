import { createHash } from "node:crypto";
import type { ApiRequest } from "@/lib/http/handler";
import { config } from "@/lib/config/env";

/** The cookie that carries the TIM TARA JWT to the browser. */
export const TARA_COOKIE = "TIM_TARA_JWT";

/**
 * The cookie that binds a browser login's state to the browser that started
 * it (TARA.md "Binding `state` to the browser", RFC 6749 §10.12): it holds the
 * state's hash and is sent only to the callback path.
 */
export const TARA_STATE_COOKIE = "TIM_TARA_STATE";

function attributes(maxAgeSeconds: number, path = "/"): string {
  const secure = config().secureCookies ? "; Secure" : "";
  return `Path=${path}; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure}`;
}

/** SHA-256 of a login's state, base64url: what the binding cookie holds. */
export function stateHash(state: string): string {
  return createHash("sha256").update(state).digest("base64url");
}

export function stateBindingCookie(state: string, callbackPath: string, maxAgeSeconds: number): string {
  return `${TARA_STATE_COOKIE}=${stateHash(state)}; ${attributes(Math.floor(maxAgeSeconds), callbackPath)}`;
}

export function clearedStateBindingCookie(callbackPath: string): string {
  return `${TARA_STATE_COOKIE}=; ${attributes(0, callbackPath)}`;
}

export function taraCookie(token: string, maxAgeSeconds: number): string {
  return `${TARA_COOKIE}=${token}; ${attributes(Math.max(0, Math.floor(maxAgeSeconds)))}`;
}

export function clearedTaraCookie(): string {
  return `${TARA_COOKIE}=; ${attributes(0)}`;
}

/** A cookie's value from a Cookie header. */
export function cookieFromHeader(header: string | null | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

export function readCookie(req: ApiRequest, name: string): string | undefined {
  return cookieFromHeader(req.headers.get("cookie"), name);
}

/** The TIM TARA JWT of a request: Authorization: Bearer, else the cookie. */
export function taraTokenFrom(req: ApiRequest): string | undefined {
  const auth = req.headers.get("authorization");
  const bearer = auth?.match(/^Bearer\s+(\S+)$/i)?.[1];
  return bearer ?? readCookie(req, TARA_COOKIE);
}
