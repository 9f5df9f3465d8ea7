import type { IncomingHttpHeaders } from "node:http";

/**
 * Whether a request is a Next server action (or a form post a page would take
 * as one) sent from another origin. Next refuses these itself (CSRF: Origin
 * must match Host or X-Forwarded-Host) but answers 500; TIM's server answers
 * 403 before Next sees them. Like Next, a request without an Origin header is
 * left to Next (non-browser clients, which carry no ambient credentials).
 */
export function isCrossOriginAction(method: string | undefined, path: string, headers: IncomingHttpHeaders): boolean {
  if (method !== "POST") return false;
  const type = headers["content-type"] ?? "";
  const isAction =
    headers["next-action"] !== undefined || (!path.startsWith("/api/") && /^(multipart\/form-data|application\/x-www-form-urlencoded)/i.test(type));
  if (!isAction) return false;
  const origin = headers.origin;
  if (origin === undefined) return false;
  const forwarded = headers["x-forwarded-host"];
  const host = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0].trim() ?? headers.host;
  try {
    return new URL(origin).host !== host;
  } catch {
    // "null" (sandboxed or privacy-sensitive contexts) or garbage: not this origin.
    return true;
  }
}
