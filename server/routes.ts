import { apiRoutes, type RouteEntry } from "@/server/routes.generated";

export { apiRoutes, type RouteEntry };

/**
 * Matches paths against the API route table (server/routes.generated.ts,
 * generated from app/**\/route.ts). The custom server serves these paths
 * straight from the handler functions (skipping Next's per-request pipeline)
 * and the integration tests serve them over real HTTP; Next serves the rest.
 */
type Compiled = { entry: RouteEntry; regex: RegExp; names: string[] };

const compiled: Compiled[] = apiRoutes.map((entry) => {
  const names: string[] = [];
  const source = entry.pattern
    .split("/")
    .map((part) => {
      const m = /^\[(\w+)\]$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|\\]/g, "\\$&");
      names.push(m[1]);
      return "([^/]+)";
    })
    .join("/");
  return { entry, regex: new RegExp(`^${source}/?$`), names };
});

/** A path segment decoded; a malformed escape stays as sent, for the handler to refuse (400), not a 500. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Finds the route for a path; patterns use Next's `[param]` segments. */
export function matchRoute(pathname: string): { entry: RouteEntry; params: Record<string, string> } | undefined {
  for (const c of compiled) {
    const m = c.regex.exec(pathname);
    if (!m) continue;
    const params = Object.fromEntries(c.names.map((n, i) => [n, decodeSegment(m[i + 1])]));
    return { entry: c.entry, params };
  }
  return undefined;
}
