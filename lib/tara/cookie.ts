import type { ApiRequest } from "@/lib/http/handler";
import { config } from "@/lib/config/env";

/** The cookie that carries the TIM TARA JWT to the browser. */
export const TARA_COOKIE = "TIM_TARA_JWT";

function attributes(maxAgeSeconds: number): string {
  const secure = config().secureCookies ? "; Secure" : "";
  return `Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure}`;
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
