import { config } from "@/lib/config/env";
import { TimError } from "@/lib/http/errors";

export const DEFAULT_APP_REDIRECT = "/me";

/**
 * Where a finished login may send the browser: a path on this site, or an
 * absolute URL under an entry of TIM_ALLOWED_REDIRECTS (an origin allows the
 * whole site, a URL with a path allows that path and below). Anything else
 * would make TIM an open redirector.
 */
export function checkAppRedirect(value: string | undefined): string {
  if (value === undefined || value === "") return DEFAULT_APP_REDIRECT;
  if (isSitePath(value)) return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidRedirect();
  }
  if (url.username || url.password || !allowedEntries().some((entry) => underEntry(url, entry))) throw invalidRedirect();
  return url.toString();
}

/** A path on this site (not a protocol-relative URL to another one). */
export function isSitePath(value: string): boolean {
  // "//host" and "/\host" are protocol-relative URLs to other sites in browsers.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  return value.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\") && !/[\u0000-\u001f]/.test(value);
}

function allowedEntries(): URL[] {
  return config()
    .TIM_ALLOWED_REDIRECTS.split(/[\s,]+/)
    .filter(Boolean)
    .flatMap((entry) => {
      try {
        return [new URL(entry)];
      } catch {
        return [];
      }
    });
}

function underEntry(url: URL, entry: URL): boolean {
  if (url.origin !== entry.origin) return false;
  if (entry.pathname === "/") return true;
  const base = entry.pathname.endsWith("/") ? entry.pathname : `${entry.pathname}/`;
  return url.pathname === entry.pathname || url.pathname.startsWith(base);
}

const invalidRedirect = () => new TimError("invalid_redirect_uri", "redirect_uri is not a path on this site and not listed in TIM_ALLOWED_REDIRECTS.");
