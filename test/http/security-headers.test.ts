import { expect, test } from "vitest";
import { newNonce, pageCsp, pageSecurityHeaders } from "@/lib/http/page-headers";
import { useApi } from "@/test/support/use-api";

const api = useApi();

const directives = (csp: string) => new Map(csp.split("; ").map((d) => [d.split(" ")[0], d.split(" ").slice(1)]));

// The pages themselves, over HTTP in Chromium with Next: e2e/csp.spec.ts.
test("page headers: a strict CSP around the response's nonce, framing refused, nosniff, a referrer policy", () => {
  const nonce = newNonce();
  const headers = pageSecurityHeaders(nonce, false);
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
  const csp = directives(headers["content-security-policy"]);
  expect(csp.get("default-src")).toEqual(["'self'"]);
  expect(csp.get("script-src")).toEqual(["'self'", `'nonce-${nonce}'`, "'strict-dynamic'"]);
  expect(csp.get("style-src")).toEqual(["'self'", `'nonce-${nonce}'`]);
  expect(csp.get("img-src")).toEqual(["'self'", "data:"]);
  expect(csp.get("connect-src")).toEqual(["'self'"]);
  expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
  expect(csp.get("base-uri")).toEqual(["'self'"]);
  expect(csp.get("object-src")).toEqual(["'none'"]);
  // The sign-in form's redirect to TARA (another origin) would fall under form-action in Chromium.
  expect(csp.has("form-action")).toBe(false);
  expect(headers["content-security-policy"]).not.toContain("unsafe");
});

test("nonces are fresh, 128-bit, and in the form Next reads from the CSP; only dev mode allows eval and inline styles", () => {
  const nonces = new Set(Array.from({ length: 1000 }, newNonce));
  expect(nonces.size).toBe(1000);
  for (const nonce of nonces) expect(Buffer.from(nonce, "base64")).toHaveLength(16);
  for (const nonce of nonces) expect(pageCsp(nonce, false)).toMatch(/'nonce-[A-Za-z0-9+/_-]+={0,2}'/);
  expect(directives(pageCsp("n", true)).get("script-src")).toEqual(["'self'", "'nonce-n'", "'strict-dynamic'", "'unsafe-eval'"]);
  // The dev server's hot-reloaded CSS arrives as <style> tags without the nonce; scripts stay nonce-only.
  expect(directives(pageCsp("n", true)).get("style-src")).toEqual(["'self'", "'unsafe-inline'"]);
  expect(directives(pageCsp("n", true)).get("script-src")).not.toContain("'unsafe-inline'");
});

test("API answers over HTTP are nosniff and no-store, without the page CSP; a route's own cache-control is kept", async () => {
  const health = await fetch(`${api.server.url}/api/health`);
  expect(health.headers.get("x-content-type-options")).toBe("nosniff");
  expect(health.headers.get("cache-control")).toBe("no-store");
  expect(health.headers.get("content-security-policy")).toBeNull();
  const unknownMethod = await fetch(`${api.server.url}/api/health`, { method: "DELETE" });
  expect(unknownMethod.headers.get("x-content-type-options")).toBe("nosniff");
  const jwks = await fetch(`${api.server.url}/jwt/keys/public`);
  expect(jwks.headers.get("x-content-type-options")).toBe("nosniff");
  expect(jwks.headers.get("cache-control")).toBe("public, max-age=300");
});
