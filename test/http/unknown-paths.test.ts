/** Unknown API paths and unknown login providers answer JSON 404s (TIM 2.0's clients parse them), pages are left to Next. */
import { describe, expect, test } from "vitest";
import { unknownApiPath } from "@/lib/http/not-found";
import { useApi } from "@/test/support/use-api";

const api = useApi();

describe("unknown API paths", () => {
  test.each([
    ["GET", "/jwt/custom/list"],
    ["POST", "/jwt/custom/nothing-here"],
    ["GET", "/introspect/nope"],
    ["GET", "/api/no-such-endpoint"],
    ["DELETE", "/auth/session/validate/extra"],
    ["GET", "/.well-known/openid-configuration"],
  ])("%s %s → 404 unknown_path as JSON", async (method, path) => {
    const res = await fetch(`${api.server.url}${path}`, { method });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ error: "unknown_path", message: `No API endpoint has the path ${path}.` });
  });

  test.each(["/auth/login/google", "/auth/callback/github", "/auth/providers/keycloak"])(
    "%s → 404 provider_not_available listing the providers TIM has",
    async (path) => {
      const res = await fetch(`${api.server.url}${path}`);
      expect(res.status).toBe(404);
      const body = await res.json();
      expect(body).toMatchObject({ error: "provider_not_available" });
      expect(body.message).toContain(path.split("/").pop());
      expect(Array.isArray(body.available_providers)).toBe(true);
    },
  );

  test("an unknown path's message is bounded and shows no markup as such", async () => {
    const res = await fetch(`${api.server.url}/jwt/${"x".repeat(5000)}`);
    const body = await res.json();
    expect(res.status).toBe(404);
    expect(body.message.length).toBeLessThan(300);
  });

  test("pages and next-auth's paths are not the API's: Next answers them", () => {
    for (const path of ["/", "/admin/nope", "/me/elsewhere", "/signin", "/api/auth/session", "/api/auth/callback/tara", "/docs", "/jwtx"]) {
      expect(unknownApiPath(path), path).toBeUndefined();
    }
  });
});
