import { afterAll, beforeAll, expect, test } from "vitest";
// @ts-expect-error next.config.js is plain JavaScript and the project has no allowJs
import nextConfig, { pageSecurityHeaders } from "@/next.config.js";
import { startTestServer, type TestServer } from "@/test/support/http";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.close());

test("every page Next serves gets the security headers (next.config.js headers())", async () => {
  const rules = await nextConfig.headers!();
  expect(rules).toEqual([{ source: "/:path*", headers: pageSecurityHeaders }]);
  const byName = Object.fromEntries(pageSecurityHeaders.map((h: { key: string; value: string }) => [h.key.toLowerCase(), h.value]));
  expect(byName["x-content-type-options"]).toBe("nosniff");
  expect(byName["x-frame-options"]).toBe("DENY");
  expect(byName["referrer-policy"]).toBe("strict-origin-when-cross-origin");
  for (const directive of ["frame-ancestors 'none'", "base-uri 'self'", "object-src 'none'"]) {
    expect(byName["content-security-policy"]).toContain(directive);
  }
});

test("API answers over HTTP are nosniff and no-store; a route's own cache-control is kept", async () => {
  const health = await fetch(`${server.url}/api/health`);
  expect(health.headers.get("x-content-type-options")).toBe("nosniff");
  expect(health.headers.get("cache-control")).toBe("no-store");
  const unknownMethod = await fetch(`${server.url}/api/health`, { method: "DELETE" });
  expect(unknownMethod.headers.get("x-content-type-options")).toBe("nosniff");
  const jwks = await fetch(`${server.url}/jwt/keys/public`);
  expect(jwks.headers.get("x-content-type-options")).toBe("nosniff");
  expect(jwks.headers.get("cache-control")).toBe("public, max-age=300");
});
