import { config } from "@/lib/config/env";

type Headers = { get(name: string): string | null };

/** Every cookie of a Cookie header, values as sent (TIM's own values need no decoding). */
export function cookieJar(header: string | null | undefined): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    const name = eq > 0 ? part.slice(0, eq).trim() : "";
    if (name && !jar.has(name)) jar.set(name, part.slice(eq + 1).trim());
  }
  return jar;
}

/** A cookie's value from a Cookie header; the first of a repeated name, undefined when empty. */
export function cookieFromHeader(header: string | null | undefined, name: string): string | undefined {
  return cookieJar(header).get(name) || undefined;
}

export function readCookie(req: { headers: Headers }, name: string): string | undefined {
  return cookieFromHeader(req.headers.get("cookie"), name);
}

/** The credential of `Authorization: Bearer <credential>`, when the header has that shape. */
export function bearerCredential(req: { headers: Headers }): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(req.headers.get("authorization")?.trim() ?? "")?.[1];
}

/**
 * A Set-Cookie value as TIM sets every cookie: HttpOnly, SameSite=Lax, Secure
 * when TIM_SECURE_COOKIES; a session cookie unless `maxAgeSeconds` is given
 * (0 deletes it).
 */
export function setCookie(name: string, value: string, options: { path?: string; maxAgeSeconds?: number } = {}): string {
  const maxAge = options.maxAgeSeconds === undefined ? "" : `; Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`;
  const secure = config().secureCookies ? "; Secure" : "";
  return `${name}=${value}; Path=${options.path ?? "/"}; HttpOnly; SameSite=Lax${maxAge}${secure}`;
}
