import { beforeAll, expect, test } from "vitest";
import { ERROR_CODES, statusOf, type ErrorCode } from "@/lib/http/error-codes";
import { matchRoute } from "@/server/routes";
import { useApi } from "@/test/support/use-api";

/**
 * The route handlers as Next.js calls them (a web Request in, a Response out)
 * answer as TIM's own server does for the same request (README: API).
 */
const api = useApi();
let token: string;
beforeAll(async () => {
  const issued = await fetch(`${api.server.url}/jwt/custom/generate`, {
    method: "POST",
    headers: { authorization: api.client.basic, "content-type": "application/json" },
    body: JSON.stringify({ JWTName: "WEB_HANDLER", content: { sub: "web-handler-test" }, expirationInMinutes: 10 }),
  });
  token = (await issued.json()).token;
  expect(token).toEqual(expect.any(String));
});

type Case = { name: string; path: string; method?: string; headers?: Record<string, string>; body?: string };

const json = (value: unknown) => JSON.stringify(value);
const cases = (): Case[] => [
  { name: "public JWKS", path: "/jwt/keys/public" },
  { name: "public token types", path: "/introspect/types" },
  { name: "no credentials: 401", path: "/jwt/custom/generate", method: "POST", body: json({}) },
  { name: "wrong credentials: 401", path: "/introspect", method: "POST", headers: { authorization: "Basic Zm9vOmJhcg==" }, body: "token=x" },
  {
    name: "schema refusal: 400 naming the field",
    path: "/jwt/custom/generate",
    method: "POST",
    headers: { authorization: api.client.basic },
    body: json({ content: 5 }),
  },
  { name: "bad JSON: 400 invalid_json", path: "/jwt/custom/revoke", method: "POST", headers: { authorization: api.client.basic }, body: "{" },
  { name: "validation of a valid token", path: "/jwt/custom/validate", method: "POST", headers: { authorization: api.client.basic }, body: json({ token }) },
  {
    name: "validation of no JWT: 400 invalid_request",
    path: "/jwt/custom/validate",
    method: "POST",
    headers: { authorization: api.client.basic },
    body: json({ token: "x" }),
  },
  {
    name: "form-encoded introspection (streamed body)",
    path: "/introspect",
    method: "POST",
    headers: { authorization: api.client.basic, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token }).toString(),
  },
  { name: "bearer route without a bearer: 401", path: "/jwt/custom/list/me", method: "POST", body: "" },
  { name: "bearer route with the token", path: "/jwt/custom/list/me", method: "POST", headers: { authorization: `Bearer ${token}` }, body: "" },
  { name: "path parameter", path: "/jwt/custom/extension-chain/not-a-uuid", headers: { authorization: api.client.basic } },
  { name: "query refusal: 400", path: "/api/reports/tokens?limit=nope", headers: { authorization: api.client.basic } },
  { name: "admin route without a session: 401", path: "/admin/tokens/export" },
];

async function viaServer(c: Case): Promise<Response> {
  return fetch(`${api.server.url}${c.path}`, { method: c.method ?? "GET", headers: { "content-type": "application/json", ...c.headers }, body: c.body });
}

async function viaWebHandler(c: Case): Promise<Response> {
  const pathname = c.path.split("?")[0];
  const match = matchRoute(pathname)!;
  const mod = (await match.entry.load()) as Record<string, (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>>;
  const req = new Request(`http://tim.test${c.path}`, {
    method: c.method ?? "GET",
    headers: { "content-type": "application/json", ...c.headers },
    body: c.body,
  });
  return mod[c.method ?? "GET"](req, { params: Promise.resolve(match.params) });
}

const comparable = async (res: Response) => ({
  status: res.status,
  type: res.headers.get("content-type"),
  challenge: res.headers.get("www-authenticate"),
  body: await res.text(),
});

test("each route answers a web Request as it answers over TIM's server", async () => {
  const statuses = new Set<number>();
  for (const c of cases()) {
    const [served, web] = await Promise.all([viaServer(c), viaWebHandler(c)]);
    const [a, b] = [await comparable(web), await comparable(served)];
    expect(a, c.name).toEqual(b);
    statuses.add(a.status);
  }
  // Successes and refusals both: a table of only 401s would compare equal too.
  expect([...statuses]).toEqual(expect.arrayContaining([200, 400, 401]));
});

test("error answers carry their registered status, and the request id given or a fresh one", async () => {
  const seen = new Set<string>();
  for (const c of cases()) {
    const res = await viaWebHandler({ ...c, headers: { ...c.headers, "x-request-id": `web-${seen.size}` } });
    expect(res.headers.get("x-request-id"), c.name).toBe(`web-${seen.size}`);
    if (res.status < 400) continue;
    const { error } = await res.json();
    expect(Object.keys(ERROR_CODES), c.name).toContain(error);
    expect(res.status, c.name).toBe(statusOf(error as ErrorCode));
    seen.add(error);
  }
  console.log(`error codes seen: ${[...seen].join(", ")}`);
  expect(seen.size).toBeGreaterThanOrEqual(4);
  const fresh = await viaWebHandler({ name: "no id", path: "/introspect/types", headers: { "x-request-id": "bad id with spaces" } });
  expect(fresh.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
});
