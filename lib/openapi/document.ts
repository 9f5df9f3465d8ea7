import { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "@/lib/http/error-codes";
import { querySchemasOf } from "@/lib/http/described-query";
import { declaredBody, type ResponseSpec, type RouteAuth, type RouteSpec } from "@/lib/http/route";
import { SCOPE_DESCRIPTIONS, type Scope } from "@/lib/clients/scopes";
import { TARA_COOKIE } from "@/lib/tara/cookie";

/**
 * TIM's OpenAPI 3.1 document, built from the route table and each route's own
 * declaration (`route({ auth, body, query, responses })`, lib/http/route.ts):
 * request schemas are the zod schemas the handlers parse with, answers the
 * schemas declared beside the use cases, security from the declared auth,
 * errors from lib/http/error-codes.ts. lib/ never reads the route table
 * (server/), so scripts/generate-openapi.ts hands the operations in and writes
 * lib/openapi/openapi.generated.json, which TIM serves at /openapi.json.
 */

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** One method of one route of the route table, with what its handler declares (undefined: "own"). */
export type OperationInput = {
  pattern: string;
  method: HttpMethod;
  auth: RouteAuth | "own";
  spec?: RouteSpec<RouteAuth, unknown, unknown>;
};

type Json = Record<string, unknown>;

/** Routes whose body carries RFC 6749 §2.3.1 client credentials too (client_secret_post). */
const clientSecretPostPaths = (input: OperationInput) => declaredBody(input.spec?.body)?.clientSecretPost === true;

export const SECURITY_SCHEMES = {
  clientSecretBasic: {
    type: "http",
    scheme: "basic",
    description:
      "An API client's id and secret (client_secret_basic, RFC 6749 §2.3.1: each form-urlencoded, then Basic-encoded; unencoded ones work too). The requirement lists the scope the endpoint needs.",
  },
  // OpenAPI has no scheme for credentials in the body. "cookie" is a placeholder that tools cannot misuse (a query
  // parameter would put the secret into URLs and access logs); the description and the form schema say how it works.
  clientSecretPost: {
    type: "apiKey",
    in: "cookie",
    name: "client_secret",
    description:
      "client_secret_post (RFC 6749 §2.3.1), /introspect and /revoke only: `client_id` and `client_secret` as fields of the application/x-www-form-urlencoded BODY (see the form schema of those operations). OpenAPI has no scheme for body credentials, so this one names a cookie as a placeholder: TIM reads the credentials from the body only, never from a cookie, header or the query.",
  },
  apiKey: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "tim_…",
    description: "An API client's API key (`Authorization: Bearer tim_…`), the alternative to Basic. The requirement lists the scope the endpoint needs.",
  },
  customToken: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A valid custom token TIM issued (its `sub` is whose tokens are listed).",
  },
  taraSessionCookie: {
    type: "apiKey",
    in: "cookie",
    name: TARA_COOKIE,
    description: "The TIM TARA JWT that a TARA login set as a cookie.",
  },
  taraSessionBearer: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "The TIM TARA JWT of a TARA login, as a bearer token.",
  },
  adminSession: {
    type: "apiKey",
    in: "cookie",
    name: "next-auth.session-token",
    description: "A console administrator's sign-in session (next-auth; `__Secure-` prefixed over HTTPS).",
  },
  metricsBearer: {
    type: "http",
    scheme: "bearer",
    description: "TIM_METRICS_TOKEN as a bearer token.",
  },
} as const;

type SchemeName = keyof typeof SECURITY_SCHEMES;
type Requirement = Partial<Record<SchemeName, string[]>>;

/** The security requirements (alternatives) of a declared auth. */
function securityOf(input: OperationInput): Requirement[] | undefined {
  const { auth } = input;
  const client = (scope: Scope): Requirement[] => [
    { clientSecretBasic: [scope] },
    { apiKey: [scope] },
    ...(clientSecretPostPaths(input) ? [{ clientSecretPost: [scope] }] : []),
  ];
  switch (auth) {
    case "public":
    case "own":
      return [];
    case "bearer":
      return [{ customToken: [] }];
    case "tara-session":
      return [{ taraSessionCookie: [] }, { taraSessionBearer: [] }, ...client("sessions:read")];
    case "token":
      // The TARA JWT is the credential; /auth/logout also takes a sessions:revoke client naming ?session_id.
      return [{ taraSessionCookie: [] }, { taraSessionBearer: [] }, ...(input.pattern === "/auth/logout" ? client("sessions:revoke") : [])];
    case "admin":
      return [{ adminSession: [] }];
    case "metrics":
      return [{ metricsBearer: [] }];
    default:
      return client(auth);
  }
}

/** The error codes a declared auth can answer, besides the general ones. */
function authErrors(input: OperationInput): ErrorCode[] {
  switch (input.auth) {
    case "public":
    case "own":
      return [];
    case "bearer":
      return ["invalid_token", "no_subject"];
    case "tara-session":
      return ["not_authenticated", "invalid_token", "invalid_session", "invalid_client", "insufficient_scope", "session_not_found"];
    case "token":
      return ["not_authenticated", "invalid_token", "invalid_session"];
    case "admin":
      return ["unauthorized", "forbidden"];
    case "metrics":
      return ["unauthorized", "not_found"];
    default:
      return ["invalid_client", "insufficient_scope", "busy"];
  }
}

const toSchema = (schema: z.ZodType, io: "input" | "output"): Json => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as Json;
  return rest;
};

function errorExample(code: ErrorCode): Json {
  return { error: code, message: ERROR_CODES[code][1] };
}

/** The error answers of an operation: one response per status, listing its codes with an example each. */
function errorResponses(codes: ErrorCode[]): Json {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = ERROR_CODES[code][0];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      {
        description: list.map((c) => `\`${c}\``).join(", "),
        content: {
          "application/json": {
            schema: { $ref: "#/components/schemas/Error" },
            examples: Object.fromEntries(list.map((c) => [c, { $ref: `#/components/examples/${c}` }])),
          },
        },
      },
    ]),
  );
}

/** The first of the examples a schema's `.meta({ examples })` gives. */
function firstExample(schema: z.ZodType): unknown {
  const examples = z.globalRegistry.get(schema)?.examples as unknown;
  return Array.isArray(examples) ? examples[0] : undefined;
}

function mediaOf(schema: z.ZodType | null): Json {
  if (!schema) return {};
  const example = firstExample(schema);
  return { schema: toSchema(schema, "output"), ...(example !== undefined ? { example } : {}) };
}

function responseOf(spec: ResponseSpec): Json {
  const { description, content } = spec instanceof z.ZodType ? { description: "OK", content: { "application/json": spec } } : spec;
  return {
    description,
    ...(content ? { content: Object.fromEntries(Object.entries(content).map(([type, schema]) => [type, mediaOf(schema)])) } : {}),
  };
}

/** `[param]` → `{param}`, and the path parameters it names. */
function pathOf(pattern: string): { path: string; parameters: Json[] } {
  const names = [...pattern.matchAll(/\[(\w+)\]/g)].map((m) => m[1]);
  return {
    path: pattern.replace(/\[(\w+)\]/g, "{$1}"),
    parameters: names.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })),
  };
}

/** A query schema's parameters; a query parser's from the schemas it carries (lib/http/described-query.ts), as parsed. */
function queryParameters(query: unknown): Json[] {
  if (query instanceof z.ZodType) return parametersOf(toSchema(query, "input"));
  return querySchemasOf(query).flatMap((schema) => parametersOf(toSchema(schema, "output")));
}

function parametersOf(schema: Json): Json[] {
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, s]) => ({
    name,
    in: "query",
    required: required.has(name) && !("default" in s),
    ...(typeof s.description === "string" ? { description: s.description } : {}),
    // A list is comma-separated (form, not exploded); a value parsed into a date is given as ISO 8601 text.
    ...(s.type === "array" ? { style: "form", explode: false } : {}),
    schema: Object.keys(s).length ? s : { type: "string", description: "ISO 8601 time" },
  }));
}

function requestBodyOf(input: OperationInput): Json | undefined {
  const body = declaredBody(input.spec?.body ?? input.spec?.readsBody);
  if (!body) return undefined;
  const schema = toSchema(body.schema, "input");
  const example = input.spec?.example ?? firstExample(body.schema);
  const json: Json = { schema, ...(example !== undefined ? { example } : {}) };
  const content: Json = { "application/json": json };
  if (body.options.allowForm) {
    const props = (schema.properties ?? {}) as Json;
    content["application/x-www-form-urlencoded"] = {
      schema: body.clientSecretPost
        ? {
            ...schema,
            properties: {
              ...props,
              client_id: { type: "string", description: "client_secret_post: the API client's id" },
              client_secret: { type: "string", description: "client_secret_post: the API client's secret" },
            },
          }
        : schema,
    };
  }
  return { required: body.options.emptyAs === undefined, content };
}

const operationId = (method: string, pattern: string) =>
  method.toLowerCase() +
  pattern
    .replace(/\[(\w+)\]/g, "by-$1")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("");

const tagOf = (pattern: string) => {
  if (pattern.startsWith("/jwt/custom")) return "custom tokens";
  if (pattern.startsWith("/jwt/keys") || pattern.startsWith("/.well-known")) return "keys and discovery";
  if (pattern.startsWith("/introspect") || pattern === "/revoke") return "introspection and revocation";
  if (pattern.startsWith("/auth") || pattern.startsWith("/jwt/tara")) return "TARA login and sessions";
  if (pattern.startsWith("/api/reports") || pattern.startsWith("/admin")) return "reports and exports";
  if (pattern.startsWith("/openapi") || pattern.startsWith("/docs")) return "documentation";
  return "operations";
};

function operationOf(input: OperationInput, parameters: Json[]): Json {
  const spec = input.spec;
  const requestBody = requestBodyOf(input);
  const query = queryParameters(spec?.query);
  const codes: ErrorCode[] = [...authErrors(input)];
  if (requestBody || query.length) codes.push("invalid_request");
  if (requestBody) codes.push("invalid_json", "payload_too_large");
  codes.push(...(spec?.errors ?? []));
  codes.push("too_many_requests", "internal_error", "service_unavailable");
  const documented = Object.fromEntries(Object.entries(spec?.responses ?? {}).map(([status, r]) => [status, responseOf(r!)]));
  const security = securityOf(input);
  return {
    operationId: operationId(input.method, input.pattern),
    tags: [tagOf(input.pattern)],
    ...(spec?.summary ? { summary: spec.summary } : {}),
    ...(input.auth === "own" ? { description: "The module checks its callers itself (Inngest's request signature)." } : {}),
    "x-tim-auth": input.auth,
    ...(parameters.length || query.length ? { parameters: [...parameters, ...query] } : {}),
    ...(requestBody ? { requestBody } : {}),
    security,
    responses: {
      ...(Object.keys(documented).length ? {} : { "200": { description: "OK" } }),
      ...errorResponses(codes),
      ...documented,
      default: { description: "Any other error in TIM's one shape.", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
    },
  };
}

const DESCRIPTION = `TIM issues, validates, extends, introspects and revokes signed JWTs, and logs people in with TARA.

Generated from the zod schemas TIM's handlers parse with (\`npm run openapi\`); served at /openapi.json and /openapi.yaml, browsable at /docs.

**Authentication.** API clients (created in the console) authenticate with HTTP Basic (\`client_id:client_secret\`) or their API key (\`Authorization: Bearer tim_…\`), and need the scope each operation lists. With \`TIM_API_AUTH=off\` (closed networks, TIM 2.0 behaviour) the token API takes anonymous callers with every scope.

**Errors.** Every error is \`{"error": code, "message": text}\` with the code's one HTTP status, sometimes with more fields (\`reason\`, \`scope\`, \`provided\`, …); the codes are listed in the \`Error\` schema and below each operation.

**Scopes.** ${Object.entries(SCOPE_DESCRIPTIONS)
  .map(([s, d]) => `\`${s}\`: ${d}`)
  .join("; ")}.`;

export function openApiDocument(operations: OperationInput[], version: string): Json {
  const paths: Record<string, Json> = {};
  for (const op of operations) {
    const { path, parameters } = pathOf(op.pattern);
    paths[path] ??= {};
    paths[path][op.method.toLowerCase()] = operationOf(op, parameters);
  }
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];
  return {
    openapi: "3.1.1",
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    info: { title: "TIM — Token Identity Manager", version, description: DESCRIPTION },
    servers: [{ url: "/", description: "this TIM" }],
    tags: [
      "custom tokens",
      "introspection and revocation",
      "keys and discovery",
      "TARA login and sessions",
      "reports and exports",
      "operations",
      "documentation",
    ].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: SECURITY_SCHEMES,
      examples: Object.fromEntries(codes.map((c) => [c, { summary: `${ERROR_CODES[c][0]} ${c}`, value: errorExample(c) }])),
      schemas: {
        Error: {
          type: "object",
          description:
            "TIM's one error shape (lib/http/error-codes.ts). Some codes add fields: `reason`, `scope`, `provided`/`maximum`, `available_providers`, `request_id`, …",
          required: ["error", "message"],
          properties: {
            error: {
              type: "string",
              enum: codes,
              description: codes.map((c) => `- \`${c}\` (${ERROR_CODES[c][0]}): ${ERROR_CODES[c][1]}`).join("\n"),
            },
            message: { type: "string" },
          },
          additionalProperties: true,
          examples: [errorExample("invalid_request")],
        },
      },
    },
    "x-tim-scopes": SCOPE_DESCRIPTIONS,
  };
}
