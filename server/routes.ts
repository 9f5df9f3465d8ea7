import type { WebHandler } from "@/server/node-adapter";

/**
 * The API route handlers under app/, by path pattern. The custom server serves
 * these paths straight from the handler functions (skipping Next's per-request
 * pipeline) and the integration tests serve them over real HTTP; Next serves
 * the same modules for everything else. test/http/routes-table.test.ts checks
 * that every app/**\/route.ts is listed here.
 */
type RouteModule = Partial<Record<"GET" | "POST" | "PUT" | "DELETE" | "PATCH", WebHandler>>;

export type RouteEntry = { pattern: string; file: string; load: () => Promise<RouteModule> };

const route = (pattern: string, file: string, load: () => Promise<unknown>): RouteEntry => ({
  pattern,
  file,
  load: load as () => Promise<RouteModule>,
});

export const apiRoutes: RouteEntry[] = [
  route("/api/health", "app/api/health/route.ts", () => import("@/app/api/health/route")),
  route("/api/inngest", "app/api/inngest/route.ts", () => import("@/app/api/inngest/route")),
];

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

/** Finds the route for a path; patterns use Next's `[param]` segments. */
export function matchRoute(pathname: string): { entry: RouteEntry; params: Record<string, string> } | undefined {
  for (const c of compiled) {
    const m = c.regex.exec(pathname);
    if (!m) continue;
    const params = Object.fromEntries(c.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
    return { entry: c.entry, params };
  }
  return undefined;
}
