/**
 * Issue 15 §5: real answers validate against the OpenAPI document. A
 * representative set of requests, over real HTTP, for every route of the
 * route table (successes and errors); each answer's status must be
 * documented for its operation (or fall to `default`, the error shape), its
 * content type must be the documented one, and a JSON body must validate
 * against the documented schema (ajv, JSON Schema 2020-12, the dialect of
 * OpenAPI 3.1).
 */
import { writeFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, expect, test } from "vitest";
import { authSecret } from "@/lib/auth/secret";
import { resetConfig } from "@/lib/config/env";
import document from "@/lib/openapi/openapi.generated.json";
import { apiRoutes, matchRoute } from "@/server/routes";
import { adminSessionCookie } from "@/test/support/admin-session";
import { startTestServer, type TestServer } from "@/test/support/http";
import { call, claimsOf, newClient, taraTokenFixture, type TestClient } from "@/test/tokens/helpers";

const ADMIN = "EE38001085718";
let server: TestServer;
let client: TestClient;
let adminCookie: string;

type Answer = { method: string; path: string; pattern: string; status: number; contentType: string; body: unknown; text: string };
const answers: Answer[] = [];

beforeAll(async () => {
  process.env.TIM_ADMIN_SUBJECTS = ADMIN;
  resetConfig();
  server = await startTestServer();
  client = await newClient();
  adminCookie = await adminSessionCookie(ADMIN, authSecret(), false);
});
afterAll(async () => {
  delete process.env.TIM_ADMIN_SUBJECTS;
  resetConfig();
  await server.close();
});

/** Sends a request and records its answer. */
async function send(path: string, opts: Parameters<typeof call>[1] = {}) {
  const res = await call(`${server.url}${path}`, opts);
  const method = opts.method ?? (opts.json !== undefined || opts.raw !== undefined || opts.form ? "POST" : "GET");
  const pathname = path.split("?")[0];
  const match = matchRoute(pathname);
  answers.push({
    method,
    path,
    pattern: match?.entry.pattern ?? pathname,
    status: res.status,
    contentType: (res.headers.get("content-type") ?? "").split(";")[0].trim(),
    body: res.body,
    text: res.text,
  });
  return res;
}

test("answers to a representative set of requests, for every route, validate against their documented schemas", async () => {
  const basic = client.basic;
  // custom tokens
  const generated = await send("/jwt/custom/generate", {
    auth: basic,
    json: { JWTName: "OPENAPI", content: { sub: "openapi-subject", role: "x" }, expirationInMinutes: 30, audience: "a1" },
  });
  expect(generated.status).toBe(200);
  const token = generated.body.token as string;
  await send("/jwt/custom/generate", { auth: basic, json: { content: "not an object" } });
  await send("/jwt/custom/generate", { auth: "Basic bm86cGU=", json: { content: {} } });
  await send("/jwt/custom/generate", { auth: basic, raw: "{not json" });
  const batch = await send("/jwt/custom/generate/batch", {
    auth: client.bearer,
    json: { tokens: [{ content: { sub: "b1" } }, { JWTName: "B2", content: { sub: "b2" }, expirationInMinutes: 5 }] },
  });
  expect(batch.status).toBe(200);
  await send("/jwt/custom/validate", { auth: basic, json: { token } });
  await send("/jwt/custom/validate", { auth: basic, json: { token: `${token.slice(0, -4)}AAAA` } });
  await send("/jwt/custom/validate", { auth: basic, json: {} });
  await send("/jwt/custom/validate/boolean", { auth: basic, json: { token } });
  await send("/jwt/custom/validate/boolean", { auth: basic, json: { token: "garbage" } });
  const extended = await send("/jwt/custom/extend", { auth: basic, json: { token, expirationInMinutes: 45 } });
  expect(extended.status).toBe(200);
  const newToken = extended.body.token as string;
  await send("/jwt/custom/extend", { auth: basic, json: { token, expirationInMinutes: 45 } });
  const chainOf = claimsOf(token).jti as string;
  await send(`/jwt/custom/extension-chain/${chainOf}`, { auth: basic });
  await send("/jwt/custom/extension-chain/00000000-0000-4000-8000-000000000000", { auth: basic });
  await send("/jwt/custom/list/me", { auth: `Bearer ${newToken}`, json: {} });
  await send("/jwt/custom/list/me", { auth: `Bearer ${newToken}`, json: { page: 0, size: 5 } });
  await send("/jwt/custom/list/me", { json: {} });
  // introspection and revocation
  await send("/introspect", { auth: basic, json: { token: newToken } });
  await send("/introspect", { auth: basic, form: { token: "garbage" } });
  await send("/introspect", { form: { token: newToken, client_id: client.clientId, client_secret: client.secret } });
  await send("/introspect", { auth: basic, json: { token: newToken }, headers: { accept: "application/token-introspection+jwt" } });
  await send("/introspect/types");
  await send("/jwt/custom/revoke", { auth: basic, json: { token: newToken, reason: "openapi test" } });
  await send("/jwt/custom/revoke", { auth: basic, json: { token: newToken } });
  await send("/jwt/custom/revoke", { auth: basic, json: {} });
  const [b1, b2] = (batch.body.tokens as { token: string }[]).map((t) => t.token);
  await send("/jwt/custom/revoke/bulk", { auth: basic, json: { tokens: [b1, newToken, "garbage"], reason: "bulk" } });
  await send("/jwt/custom/revoke/bulk", { auth: basic, json: { tokens: Array.from({ length: 101 }, () => b2) } });
  // log out everywhere (issue 17)
  await send("/jwt/custom/generate", { auth: basic, json: { content: { sub: "openapi-everywhere" } } });
  await send("/jwt/custom/revoke/subject", { auth: basic, json: { subject: "openapi-everywhere", reason: "openapi" } });
  await send("/jwt/custom/revoke/subject", { auth: basic, json: {} });
  const tara3 = await taraTokenFixture({ allowlist: "live" });
  await send("/jwt/tara/revoke/subject", { auth: basic, json: { subject: tara3.sub } });
  await send("/jwt/tara/revoke/subject", { auth: basic, json: { subject: "" } });
  await send("/revoke", { auth: basic, form: { token: b2 } });
  await send("/revoke", { auth: basic, form: {} });
  // keys, discovery, health, documentation
  await send("/jwt/keys/public");
  await send("/.well-known/oauth-authorization-server");
  // Shared Signals (test/ssf)
  await send("/.well-known/ssf-configuration");
  const stream = await send("/ssf/streams", { auth: basic, json: { description: "openapi" } });
  expect(stream.status).toBe(201);
  const streamId = stream.body.stream_id as string;
  await send("/ssf/streams", { auth: basic, json: { delivery: { method: "urn:ietf:rfc:8935", endpoint_url: "https://rs.example/ssf" } } });
  await send("/ssf/streams", { auth: basic, json: { delivery: { method: "urn:example:other" } } });
  await send("/ssf/streams", { auth: basic });
  await send(`/ssf/streams?stream_id=${streamId}`, { auth: basic });
  await send("/ssf/streams?stream_id=nope", { auth: basic });
  await send("/ssf/streams", { method: "PATCH", auth: basic, json: { stream_id: streamId, description: "patched" } });
  await send("/ssf/streams/status", { auth: basic, json: { stream_id: streamId, status: "enabled" } });
  await send(`/ssf/streams/status?stream_id=${streamId}`, { auth: basic });
  await send("/ssf/verify", { auth: basic, json: { stream_id: streamId, state: "openapi" } });
  await send("/ssf/verify", { auth: basic, json: { state: "no stream" } });
  await send(`/ssf/poll/${streamId}`, { auth: basic, json: { maxEvents: 10, returnImmediately: true } });
  await send("/ssf/poll/00000000-0000-4000-8000-000000000000", { auth: basic, json: {} });
  await send("/ssf/revocations?limit=2", { auth: basic });
  await send("/ssf/revocations?cursor=nope", { auth: basic });
  await send(`/ssf/streams?stream_id=${streamId}`, { method: "DELETE", auth: basic });
  await send("/api/health");
  await send("/health");
  await send("/auth/health");
  await send("/openapi.json");
  await send("/openapi.yaml");
  await send("/docs");
  await send("/docs/tim-docs.js");
  await send("/docs/swagger-ui.css");
  await send("/docs/favicon-32x32.png");
  await send("/docs/nope.js");
  // TARA login and sessions (TARA is not configured here: the login routes refuse)
  await send("/auth/providers");
  await send("/auth/providers/tara");
  await send("/auth/login/tara", { headers: { accept: "application/json" } });
  await send("/auth/login/tara/result", { json: { state: "s", login_secret: "x" } });
  await send("/auth/callback/tara?state=unknown&code=x", { headers: { accept: "application/json" } });
  const tara = await taraTokenFixture({ allowlist: "live" });
  await send("/auth/session/validate", { auth: `Bearer ${tara.token}` });
  await send("/auth/profile", { headers: { cookie: `TIM_TARA_JWT=${tara.token}` } });
  await send(`/auth/profile?session_id=${tara.payload.sid}`, { auth: basic });
  await send("/auth/profile");
  await send("/jwt/tara/extend", { auth: `Bearer ${tara.token}`, raw: "" });
  const tara2 = await taraTokenFixture({ allowlist: "live" });
  await send("/auth/logout", { auth: `Bearer ${tara2.token}`, method: "POST" });
  await send("/auth/session/validate", { auth: `Bearer ${tara2.token}` });
  await send("/auth/logout", { method: "POST" });
  // reports, exports, metrics, jobs
  await send("/api/reports/stats", { auth: basic });
  await send("/api/reports/subjects/openapi-everywhere", { auth: basic });
  await send("/api/reports/tokens?jwt_name=OPENAPI&limit=2", { auth: basic });
  await send("/api/reports/tokens/export?format=jsonl&jwt_name=OPENAPI", { auth: basic });
  await send("/api/reports/tokens/export?format=xml", { auth: basic });
  await send("/admin/tokens/export?format=csv&jwt_name=OPENAPI", { headers: { cookie: adminCookie } });
  await send("/admin/tokens/export?format=csv");
  await send("/admin/exports/00000000-0000-4000-8000-000000000000", { headers: { cookie: adminCookie } });
  await send("/admin/files/00000000-0000-4000-8000-000000000000", { headers: { cookie: adminCookie } });
  await send("/admin/audit/export?protocol_log=0", { headers: { cookie: adminCookie } });
  await send("/admin/audit/export?from=someday", { headers: { cookie: adminCookie } });
  await send("/admin/tara-logins/no-such-login/export", { headers: { cookie: adminCookie } });
  await send("/api/metrics");
  await send("/api/inngest");
  await send("/api/inngest", { method: "PUT" });

  if (process.env.OPENAPI_DUMP) writeFileSync(process.env.OPENAPI_DUMP, JSON.stringify(answers, null, 1));

  // Every route of the table was exercised.
  const seen = new Set(answers.map((a) => a.pattern));
  expect(apiRoutes.map((r) => r.pattern).filter((p) => !seen.has(p))).toEqual([]);

  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(document as object, "tim");
  const failures: string[] = [];
  for (const a of answers) {
    const pathKey = a.pattern.replace(/\[(\w+)\]/g, "{$1}");
    const op = (document.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>)[pathKey]?.[
      a.method.toLowerCase()
    ];
    if (!op) {
      failures.push(`${a.method} ${a.path}: no operation`);
      continue;
    }
    const key = String(a.status) in op.responses ? String(a.status) : "default";
    const response = op.responses[key];
    if (key === "default" && a.status < 400) failures.push(`${a.method} ${a.path}: ${a.status} is not documented`);
    const content = response.content ?? {};
    const type = a.contentType;
    if (Object.keys(content).length && !(type in content))
      failures.push(`${a.method} ${a.path} ${a.status}: content type ${type}, documented ${Object.keys(content)}`);
    if (type !== "application/json" || !content[type]?.schema) continue;
    const pointer = `tim#/paths/${pathKey.replaceAll("~", "~0").replaceAll("/", "~1")}/${a.method.toLowerCase()}/responses/${key}/content/application~1json/schema`;
    const validate = ajv.getSchema(pointer) ?? ajv.compile({ $ref: pointer });
    if (!validate(a.body)) failures.push(`${a.method} ${a.path} ${a.status}: ${ajv.errorsText(validate.errors)} in ${a.text.slice(0, 300)}`);
  }
  expect(failures).toEqual([]);
  expect(answers.length).toBeGreaterThan(60);

  // The check notices an answer that drifted from its schema: a field missing, a field added.
  const issued = ajv.getSchema("tim#/paths/~1jwt~1custom~1generate/post/responses/200/content/application~1json/schema")!;
  expect(issued(generated.body)).toBe(true);
  const { token: _, ...missing } = generated.body;
  expect(issued(missing)).toBe(false);
  expect(issued({ ...generated.body, surprise: 1 })).toBe(false);
});
