import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SCOPES, type ApiCaller, type Scope } from "@/lib/clients/scopes";
import { db } from "@/lib/db/client";
import { issueCustomTokens } from "@/lib/tokens/generate";
import { apiRoutes } from "@/server/routes";
import { startTestServer, type TestServer } from "@/test/support/http";
import { call, claimsOf, newClient, taraTokenFixture, unique, type TestClient } from "@/test/tokens/helpers";

/**
 * Issue 12 §7: every endpoint that needs an API client × every scope set (none,
 * each scope alone, all) × a token of the calling client's own or of another
 * client. Each case asserts the status (401 / 403 / the endpoint's refusal for
 * a token that is not the caller's / 200) and, on refusal, that no token row
 * changed (metadata and denylists of both kinds; refused bulk requests still
 * leave their audit event, which records the attempt, not a change).
 */

/** What one case works on: a fresh custom token (the caller's or another client's) and a live TARA session. */
type Subject = { token: string; jti: string; sessionId: string; taraSubject: string };
type Request = { method?: "GET" | "POST"; path: string; json?: unknown; form?: Record<string, string> };

type Endpoint = {
  path: string;
  scope: Scope;
  request: (s: Subject) => Request;
  /** Ends or replaces the token: another client's needs tokens:revoke:any too, else this status. */
  notYours?: number;
  /** A successful call writes token rows. */
  writes?: boolean;
  /** The answer once authorized, when not 200: a Shared Signals stream the caller does not own is 404. */
  allowed?: number;
};

const ENDPOINTS: Endpoint[] = [
  {
    path: "/jwt/custom/generate",
    scope: "tokens:issue",
    writes: true,
    request: () => ({ path: "/jwt/custom/generate", json: { content: { sub: unique("m") }, expirationInMinutes: 5 } }),
  },
  {
    path: "/jwt/custom/generate/batch",
    scope: "tokens:issue",
    writes: true,
    request: () => ({ path: "/jwt/custom/generate/batch", json: { tokens: [{ content: { sub: unique("m") }, expirationInMinutes: 5 }] } }),
  },
  { path: "/jwt/custom/validate", scope: "tokens:validate", request: (s) => ({ path: "/jwt/custom/validate", json: { token: s.token } }) },
  { path: "/jwt/custom/validate/boolean", scope: "tokens:validate", request: (s) => ({ path: "/jwt/custom/validate/boolean", json: { token: s.token } }) },
  { path: "/introspect", scope: "tokens:introspect", request: (s) => ({ path: "/introspect", form: { token: s.token } }) },
  {
    path: "/jwt/custom/extension-chain/[originalJwtUuid]",
    scope: "tokens:introspect",
    request: (s) => ({ method: "GET", path: `/jwt/custom/extension-chain/${s.jti}` }),
  },
  {
    path: "/jwt/custom/extend",
    scope: "tokens:issue",
    notYours: 403,
    writes: true,
    request: (s) => ({ path: "/jwt/custom/extend", json: { token: s.token, expirationInMinutes: 5 } }),
  },
  {
    path: "/jwt/custom/revoke",
    scope: "tokens:revoke",
    notYours: 403,
    writes: true,
    request: (s) => ({ path: "/jwt/custom/revoke", json: { token: s.token } }),
  },
  {
    path: "/jwt/custom/revoke/bulk",
    scope: "tokens:revoke",
    notYours: 403,
    writes: true,
    request: (s) => ({ path: "/jwt/custom/revoke/bulk", json: { tokens: [s.token] } }),
  },
  // Log out everywhere (issue 17): the subject's tokens this client may revoke; another client's only with tokens:revoke:any.
  {
    path: "/jwt/custom/revoke/subject",
    scope: "tokens:revoke",
    notYours: 403,
    writes: true,
    request: (s) => ({ path: "/jwt/custom/revoke/subject", json: { subject: claimsOf(s.token).sub } }),
  },
  {
    path: "/jwt/tara/revoke/subject",
    scope: "sessions:revoke:subject",
    writes: true,
    request: (s) => ({ path: "/jwt/tara/revoke/subject", json: { subject: s.taraSubject, reason: "matrix" } }),
  },
  { path: "/revoke", scope: "tokens:revoke", notYours: 400, writes: true, request: (s) => ({ path: "/revoke", form: { token: s.token } }) },
  { path: "/api/reports/tokens", scope: "reports:read", request: () => ({ method: "GET", path: "/api/reports/tokens?limit=1" }) },
  { path: "/api/reports/tokens/export", scope: "reports:read", request: () => ({ method: "GET", path: "/api/reports/tokens/export?format=csv&limit=1" }) },
  { path: "/api/reports/stats", scope: "reports:read", request: () => ({ method: "GET", path: "/api/reports/stats" }) },
  {
    path: "/api/reports/subjects/[subject]",
    scope: "reports:read",
    request: (s) => ({ method: "GET", path: `/api/reports/subjects/${encodeURIComponent(claimsOf(s.token).sub)}` }),
  },
  { path: "/auth/profile", scope: "sessions:read", request: (s) => ({ method: "GET", path: `/auth/profile?session_id=${s.sessionId}` }) },
  { path: "/auth/session/validate", scope: "sessions:read", request: (s) => ({ method: "GET", path: `/auth/session/validate?session_id=${s.sessionId}` }) },
  // TIM 2.0's logout by session id (the session's own token needs no client: test/tara/session-access.test.ts).
  { path: "/auth/logout", scope: "sessions:revoke", writes: true, request: (s) => ({ path: `/auth/logout?session_id=${s.sessionId}&reason=matrix` }) },
  // Shared Signals receivers: their own streams only (test/ssf/poll.test.ts).
  { path: "/ssf/streams", scope: "ssf:receive", request: () => ({ method: "GET", path: "/ssf/streams" }) },
  { path: "/ssf/streams/status", scope: "ssf:receive", allowed: 404, request: (s) => ({ method: "GET", path: `/ssf/streams/status?stream_id=${s.jti}` }) },
  { path: "/ssf/poll/[streamId]", scope: "ssf:receive", allowed: 404, request: (s) => ({ path: `/ssf/poll/${s.jti}`, json: {} }) },
  { path: "/ssf/revocations", scope: "ssf:receive", request: () => ({ method: "GET", path: "/ssf/revocations?limit=1" }) },
  { path: "/ssf/verify", scope: "ssf:receive", allowed: 404, request: (s) => ({ path: "/ssf/verify", json: { stream_id: s.jti } }) },
];

/** Routes open to anyone or authenticated otherwise than by an API client (list/me: the bearer's own token; TARA: the person). */
const NOT_FOR_API_CLIENTS = [
  "/api/health",
  "/jwt/keys/public",
  "/introspect/types",
  "/jwt/custom/list/me",
  "/api/inngest",
  "/api/metrics",
  "/admin/tokens/export",
  "/admin/exports/[runId]",
  "/admin/files/[fileId]",
  "/admin/audit/export",
  "/admin/tara-logins/[state]/export",
  "/auth/providers",
  "/auth/providers/tara",
  "/auth/health",
  "/auth/login/tara",
  // Redeemed with the JSON login's own secret (test/tara/login-json-binding.test.ts).
  "/auth/login/tara/result",
  "/auth/callback/tara",
  "/health",
  "/jwt/tara/extend",
  // RFC 8414 metadata (test/oauth/standard-clients.test.ts).
  "/.well-known/oauth-authorization-server",
  // SSF 1.0 transmitter metadata (test/ssf/poll.test.ts).
  "/.well-known/ssf-configuration",
  // The OpenAPI document and the interactive docs (test/http/openapi.test.ts).
  "/openapi.json",
  "/openapi.yaml",
  "/docs",
  "/docs/[asset]",
];

const SCOPE_SETS: { name: string; scopes: Scope[] }[] = [
  { name: "no scope", scopes: [] },
  ...SCOPES.map((s) => ({ name: s, scopes: [s] })),
  { name: "every scope", scopes: [...SCOPES] },
];

let server: TestServer;
let other: TestClient;
const clients = new Map<string, TestClient>();

beforeAll(async () => {
  server = await startTestServer();
  other = await newClient();
  const prisma = await db();
  for (const set of SCOPE_SETS) {
    const client = await newClient({ scopes: ["reports:read"] });
    await prisma.apiClient.update({ where: { clientId: client.clientId }, data: { scopes: set.scopes } });
    clients.set(set.name, client);
  }
});
afterAll(async () => server.close());

/** A fresh token whose metadata row names `clientId` as its issuer. */
async function tokenOf(clientId: string): Promise<string> {
  const issuer: ApiCaller = { clientId, scopes: [], allowedAudiences: [], maxLifetimeMinutes: null };
  const [issued] = await issueCustomTokens([{ content: { sub: unique("matrix") }, expirationInMinutes: 30 }], issuer);
  return issued.token;
}

async function tokenRows(): Promise<number[]> {
  const prisma = await db();
  return Promise.all([prisma.customJwtMetadata.count(), prisma.customDenylist.count(), prisma.taraJwtMetadata.count(), prisma.taraDenylist.count()]);
}

function expectedStatus(endpoint: Endpoint, scopes: Scope[], own: boolean): number {
  if (!scopes.includes(endpoint.scope)) return 403;
  if (endpoint.notYours && !own && !scopes.includes("tokens:revoke:any")) return endpoint.notYours;
  return endpoint.allowed ?? 200;
}

async function send(req: Request, auth?: string) {
  return call(`${server.url}${req.path}`, { method: req.method ?? "POST", json: req.json, form: req.form, auth });
}

test("the table names every route that takes API client credentials", () => {
  const described = new Set([...ENDPOINTS.map((e) => e.path), ...NOT_FOR_API_CLIENTS]);
  expect(apiRoutes.map((r) => r.pattern).filter((p) => !described.has(p))).toEqual([]);
});

describe.each(ENDPOINTS)("$path", (endpoint) => {
  test("without credentials or with a wrong secret: 401, nothing written", async () => {
    const subject = await subjectFor(other.clientId);
    const before = await tokenRows();
    const anonymous = await send(endpoint.request(subject));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/Basic|Bearer/);
    const wrong = await send(endpoint.request(subject), `Basic ${Buffer.from(`${other.clientId}:wrong-secret`).toString("base64")}`);
    expect(wrong.status).toBe(401);
    expect(await tokenRows()).toEqual(before);
  });

  test.each(SCOPE_SETS.flatMap((set) => [true, false].map((own) => ({ ...set, own, label: own ? "own token" : "another client's token" }))))(
    "$name, $label",
    async ({ name, scopes, own }) => {
      const caller = clients.get(name)!;
      const subject = await subjectFor(own ? caller.clientId : other.clientId);
      const expected = expectedStatus(endpoint, scopes, own);
      const before = await tokenRows();
      const res = await send(endpoint.request(subject), caller.basic);
      expect({ status: res.status, body: res.status === expected ? "" : res.text }).toEqual({ status: expected, body: "" });
      if (expected !== (endpoint.allowed ?? 200)) {
        expect(res.status === 403 ? ["insufficient_scope", "token_not_owned"] : ["unauthorized_client"]).toContain(res.body.error);
        expect(await tokenRows()).toEqual(before);
      } else if (endpoint.writes) {
        expect(await tokenRows()).not.toEqual(before);
      }
    },
  );
});

async function subjectFor(clientId: string): Promise<Subject> {
  const token = await tokenOf(clientId);
  const { payload } = await taraTokenFixture({ allowlist: "live" });
  return { token, jti: claimsOf(token).jti, sessionId: payload.sid, taraSubject: payload.sub };
}
