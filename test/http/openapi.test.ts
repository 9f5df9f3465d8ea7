/**
 * Issue 15 §5: the OpenAPI document is generated from the route table and the
 * handlers' own schemas, covers every route, and is valid OpenAPI 3.1; TIM
 * serves it as JSON and YAML, and /docs under the pages' CSP.
 */
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import { parse } from "yaml";
import { expect, test } from "vitest";
import { z } from "zod";
import { SCOPES } from "@/lib/clients/scopes";
import { ERROR_CODES } from "@/lib/http/error-codes";
import { generateRequestSchema } from "@/lib/tokens/generate";
import { declaredBody } from "@/lib/http/route";
import { OPENAPI_FILE, openApiOperations, openApiSource } from "@/scripts/generate-openapi";
import { apiRoutes, type RouteEntry } from "@/server/routes";
import { useApi } from "@/test/support/use-api";

type Operation = { security: Record<string, string[]>[]; requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, unknown> };
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: { Error: { properties: { error: { enum: string[] } } } }; examples: object };
};

const api = useApi();

const committed = () => JSON.parse(readFileSync(OPENAPI_FILE, "utf8")) as Doc;

/** Each method of each route of the table that the document lacks, as `METHOD /pattern`. */
function missingOperations(doc: Doc, routes: RouteEntry[]): string[] {
  return routes.flatMap((r) => {
    const path = r.pattern.replace(/\[(\w+)\]/g, "{$1}");
    return Object.keys(r.auth)
      .filter((m) => !doc.paths[path]?.[m.toLowerCase()])
      .map((m) => `${m} ${r.pattern}`);
  });
}

test("the committed document is the one generated from the route table and the handlers' schemas (else: npm run openapi)", async () => {
  expect(readFileSync(OPENAPI_FILE, "utf8")).toBe(await openApiSource());
});

test("every route of the route table, each method, is in the document, and nothing else is", () => {
  const doc = committed();
  expect(missingOperations(doc, apiRoutes)).toEqual([]);
  const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
  expect(documented.length).toBe(apiRoutes.reduce((n, r) => n + Object.keys(r.auth).length, 0));
  // The check notices a route the document lacks.
  const { "/jwt/custom/generate": _, ...fewer } = doc.paths;
  expect(missingOperations({ ...doc, paths: fewer }, apiRoutes)).toEqual(["POST /jwt/custom/generate"]);
});

test("request schemas are the handlers' own zod schemas; security follows each route's declared auth and scope", () => {
  const doc = committed();
  const generate = doc.paths["/jwt/custom/generate"].post;
  const { $schema: _, ...own } = z.toJSONSchema(generateRequestSchema, { target: "draft-2020-12", io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  expect(generate.requestBody!.content["application/json"].schema).toEqual(own);
  for (const r of apiRoutes) {
    for (const [method, auth] of Object.entries(r.auth)) {
      const op = doc.paths[r.pattern.replace(/\[(\w+)\]/g, "{$1}")][method.toLowerCase()];
      if ((SCOPES as string[]).includes(auth)) {
        expect(op.security, `${method} ${r.pattern}`).toContainEqual({ clientSecretBasic: [auth] });
        expect(op.security, `${method} ${r.pattern}`).toContainEqual({ apiKey: [auth] });
        expect(op.responses["401"], `${method} ${r.pattern}`).toBeDefined();
        expect(op.responses["403"], `${method} ${r.pattern}`).toBeDefined();
      }
      if (auth === "public") expect(op.security).toEqual([]);
    }
  }
  expect(doc.paths["/introspect"].post.security).toContainEqual({ clientSecretPost: ["tokens:introspect"] });
  expect(doc.paths["/revoke"].post.security).toContainEqual({ clientSecretPost: ["tokens:revoke"] });
  expect(doc.paths["/jwt/custom/generate"].post.security).not.toContainEqual({ clientSecretPost: ["tokens:issue"] });
  expect(doc.paths["/jwt/custom/list/me"].post.security).toEqual([{ customToken: [] }]);
  expect(doc.paths["/auth/profile"].get.security).toContainEqual({ taraSessionCookie: [] });
  expect(doc.paths["/auth/profile"].get.security).toContainEqual({ clientSecretBasic: ["sessions:read"] });
  expect(doc.paths["/auth/logout"].post.security).toContainEqual({ apiKey: ["sessions:revoke"] });
  expect(doc.paths["/admin/tokens/export"].get.security).toEqual([{ adminSession: [] }]);
  expect(doc.paths["/api/metrics"].get.security).toEqual([{ metricsBearer: [] }]);
});

test("each request example a route declares is accepted by the schema its handler parses with, and is in the document", async () => {
  const doc = committed();
  const examples = (await openApiOperations()).filter((op) => op.spec?.example !== undefined);
  expect(examples.length).toBeGreaterThanOrEqual(10);
  for (const op of examples) {
    const body = declaredBody(op.spec!.body ?? op.spec!.readsBody)!;
    const parsed = body.schema.safeParse(op.spec!.example);
    expect(parsed.error?.issues ?? [], `${op.method} ${op.pattern}`).toEqual([]);
    const documented = doc.paths[op.pattern.replace(/\[(\w+)\]/g, "{$1}")][op.method.toLowerCase()].requestBody!.content["application/json"] as {
      example?: unknown;
    };
    expect(documented.example).toEqual(op.spec!.example);
  }
});

test("every error code of the registry is in the document, with an example", () => {
  const doc = committed();
  const codes = Object.keys(ERROR_CODES);
  expect(doc.components.schemas.Error.properties.error.enum).toEqual(codes);
  expect(Object.keys(doc.components.examples)).toEqual(codes);
});

test("/openapi.json validates as OpenAPI 3.1; /openapi.yaml is the same document", async () => {
  const res = await fetch(`${api.server.url}/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("application/json");
  const served = await res.json();
  const validator = new Validator();
  const result = await validator.validate(served);
  expect(result.errors ?? []).toEqual([]);
  expect(result.valid).toBe(true);
  expect(validator.version).toBe("3.1");
  expect(served).toEqual(committed());
  const yaml = await fetch(`${api.server.url}/openapi.yaml`);
  expect(yaml.status).toBe(200);
  expect(yaml.headers.get("content-type")).toContain("application/yaml");
  expect(parse(await yaml.text())).toEqual(served);
});

test("/docs: Swagger UI from TIM itself, every script with the response's CSP nonce, no inline script or style, no CDN", async () => {
  const res = await fetch(`${api.server.url}/docs`);
  expect(res.status).toBe(200);
  const csp = res.headers.get("content-security-policy")!;
  const nonce = /script-src 'self' 'nonce-([^']+)' 'strict-dynamic'/.exec(csp)?.[1];
  expect(nonce).toBeTruthy();
  expect(csp).not.toContain("unsafe-inline");
  const html = await res.text();
  const scripts = html.match(/<script\b[^>]*>[^<]*<\/script>/g) ?? [];
  expect(scripts.length).toBe(2);
  for (const s of scripts) expect(s).toMatch(new RegExp(`^<script nonce="${nonce!.replace(/[+/=]/g, "\\$&")}" src="/docs/[\\w.-]+"></script>$`));
  expect(html).not.toMatch(/<style|style=|https?:\/\//);
  expect((await fetch(`${api.server.url}/docs`)).headers.get("content-security-policy")).not.toBe(csp);
  for (const asset of ["swagger-ui-bundle.js", "swagger-ui.css", "tim-docs.js", "tim-docs.css"]) {
    expect((await fetch(`${api.server.url}/docs/${asset}`)).status, asset).toBe(200);
  }
  const traversal = await fetch(`${api.server.url}/docs/..%2Fpackage.json`);
  expect(traversal.status).toBe(404);
  expect((await traversal.json()).error).toBe("not_found");
});
