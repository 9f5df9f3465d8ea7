import { errorJson, type JsonReply } from "@/lib/http/handler";
import { taraProviderInfo } from "@/lib/tara/providers";

/**
 * Paths that belong to TIM's API (and TIM 2.0's): an unknown one answers JSON
 * `{error, message}`, never the console's HTML 404 page. `/api/auth/…` is
 * next-auth's, which answers for itself.
 */
const API_PATH = /^\/(?:jwt|introspect|revoke|auth|health|openapi\.(?:json|yaml)|\.well-known|api(?!\/auth(?:\/|$)))(?:\/|$)/;

/** TIM 2.0's per-provider paths (AuthController): TIM knows one provider, `tara`, and has a route for each of these. */
const PROVIDER_PATH = /^\/auth\/(?:login|callback|providers)\/([^/]+)\/?$/;

/** The JSON 404 for a path no route matched, or undefined when the path is not an API path (a page: Next answers). */
export function unknownApiPath(pathname: string): JsonReply | undefined {
  if (!API_PATH.test(pathname)) return undefined;
  const provider = PROVIDER_PATH.exec(pathname)?.[1];
  if (provider !== undefined) {
    const available = taraProviderInfo().available ? ["tara"] : [];
    return errorJson("provider_not_available", `No login provider is called ${JSON.stringify(safeSegment(provider))} here.`, {
      available_providers: available,
    });
  }
  return errorJson("unknown_path", `No API endpoint has the path ${safeSegment(pathname)}.`);
}

/** The path as the message shows it: decoded where possible, bounded in length. */
function safeSegment(value: string): string {
  let shown = value;
  try {
    shown = decodeURIComponent(value);
  } catch {
    // left encoded
  }
  return shown.length > 200 ? `${shown.slice(0, 200)}…` : shown;
}
