import type { WebHandler } from "@/server/node-adapter";

/**
 * The API route handlers under app/, by path pattern. The custom server serves
 * these paths straight from the handler functions (skipping Next's per-request
 * pipeline) and the integration tests serve them over real HTTP; Next serves
 * the same modules for everything else. test/http/routes-table.test.ts checks
 * that every app/**\/route.ts is listed here or in `nextOnlyRoutes`.
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
  // token API (issue 3)
  route("/jwt/custom/generate", "app/jwt/custom/generate/route.ts", () => import("@/app/jwt/custom/generate/route")),
  route("/jwt/custom/generate/batch", "app/jwt/custom/generate/batch/route.ts", () => import("@/app/jwt/custom/generate/batch/route")),
  route("/jwt/custom/validate", "app/jwt/custom/validate/route.ts", () => import("@/app/jwt/custom/validate/route")),
  route("/jwt/custom/validate/boolean", "app/jwt/custom/validate/boolean/route.ts", () => import("@/app/jwt/custom/validate/boolean/route")),
  route("/jwt/custom/revoke", "app/jwt/custom/revoke/route.ts", () => import("@/app/jwt/custom/revoke/route")),
  route("/jwt/custom/revoke/bulk", "app/jwt/custom/revoke/bulk/route.ts", () => import("@/app/jwt/custom/revoke/bulk/route")),
  route("/jwt/custom/extend", "app/jwt/custom/extend/route.ts", () => import("@/app/jwt/custom/extend/route")),
  route(
    "/jwt/custom/extension-chain/[originalJwtUuid]",
    "app/jwt/custom/extension-chain/[originalJwtUuid]/route.ts",
    () => import("@/app/jwt/custom/extension-chain/[originalJwtUuid]/route"),
  ),
  route("/jwt/custom/list/me", "app/jwt/custom/list/me/route.ts", () => import("@/app/jwt/custom/list/me/route")),
  route("/jwt/keys/public", "app/jwt/keys/public/route.ts", () => import("@/app/jwt/keys/public/route")),
  route("/introspect", "app/introspect/route.ts", () => import("@/app/introspect/route")),
  route("/introspect/types", "app/introspect/types/route.ts", () => import("@/app/introspect/types/route")),
  route("/revoke", "app/revoke/route.ts", () => import("@/app/revoke/route")),
  route("/api/inngest", "app/api/inngest/route.ts", () => import("@/app/api/inngest/route")),
  // TARA login (issue 6)
  route("/auth/providers", "app/auth/providers/route.ts", () => import("@/app/auth/providers/route")),
  route("/auth/providers/tara", "app/auth/providers/tara/route.ts", () => import("@/app/auth/providers/tara/route")),
  route("/auth/health", "app/auth/health/route.ts", () => import("@/app/auth/health/route")),
  route("/auth/login/tara", "app/auth/login/tara/route.ts", () => import("@/app/auth/login/tara/route")),
  route("/auth/login/tara/result", "app/auth/login/tara/result/route.ts", () => import("@/app/auth/login/tara/result/route")),
  route("/auth/callback/tara", "app/auth/callback/tara/route.ts", () => import("@/app/auth/callback/tara/route")),
  route("/auth/session/validate", "app/auth/session/validate/route.ts", () => import("@/app/auth/session/validate/route")),
  route("/auth/profile", "app/auth/profile/route.ts", () => import("@/app/auth/profile/route")),
  route("/auth/logout", "app/auth/logout/route.ts", () => import("@/app/auth/logout/route")),
  route("/jwt/tara/extend", "app/jwt/tara/extend/route.ts", () => import("@/app/jwt/tara/extend/route")),
  // reporting API and metrics (issue 4)
  route("/api/reports/tokens", "app/api/reports/tokens/route.ts", () => import("@/app/api/reports/tokens/route")),
  route("/api/reports/tokens/export", "app/api/reports/tokens/export/route.ts", () => import("@/app/api/reports/tokens/export/route")),
  route("/api/reports/stats", "app/api/reports/stats/route.ts", () => import("@/app/api/reports/stats/route")),
  route("/api/metrics", "app/api/metrics/route.ts", () => import("@/app/api/metrics/route")),
  route("/admin/tokens/export", "app/admin/tokens/export/route.ts", () => import("@/app/admin/tokens/export/route")),
  route("/admin/exports/[runId]", "app/admin/exports/[runId]/route.ts", () => import("@/app/admin/exports/[runId]/route")),
  route("/admin/files/[fileId]", "app/admin/files/[fileId]/route.ts", () => import("@/app/admin/files/[fileId]/route")),
];

/** Route handlers that need Next's request context (next/headers, catch-all segments). */
export const nextOnlyRoutes = ["app/api/auth/[...nextauth]/route.ts"];

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
