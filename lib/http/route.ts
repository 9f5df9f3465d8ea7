import { z } from "zod";
import { describeZodError } from "@/lib/http/zod-messages";
import { adminFromRequest, type Administrator } from "@/lib/admin/session";
import { authenticateClient, credentialsFromForm, type PresentedCredentials } from "@/lib/clients/authenticate";
import type { ApiCaller, Scope } from "@/lib/clients/scopes";
import type { ErrorCode } from "@/lib/http/error-codes";
import { TimError } from "@/lib/http/errors";
import {
  JsonReply,
  errorResponse,
  parseBodyValue,
  readRawBody,
  requestIdOf,
  toResponse,
  type ApiRequest,
  type ReadBodyOptions,
  type Reply,
  type RouteContext,
} from "@/lib/http/handler";
import { noteRequestFacts } from "@/lib/http/request-facts";
import { authorizeMetrics } from "@/lib/metrics/authorize";
import { sessionFromRequest, type TaraSession } from "@/lib/tara/session";
import { bearerOf, type Bearer } from "@/lib/tokens/list-mine";

/**
 * Who may call a route, checked by `route` before the handler runs:
 * - a scope: an API client holding it (HTTP Basic or Bearer API key);
 * - "bearer": the holder of a valid custom token (Authorization: Bearer);
 * - "tara-session": a TIM TARA JWT (cookie or bearer), or a `sessions:read` client naming `?session_id`;
 * - "admin": a console administrator (next-auth session cookie);
 * - "metrics": Authorization: Bearer TIM_METRICS_TOKEN;
 * - "token": the TIM TARA JWT the request carries is the credential, checked by the use case itself;
 * - "public": anyone.
 * The route table (server/routes.generated.ts) lists each route's value.
 */
export type RouteAuth = Scope | "bearer" | "tara-session" | "admin" | "metrics" | "token" | "public";

type CallerOf<A extends RouteAuth> = A extends Scope
  ? ApiCaller
  : A extends "bearer"
    ? Bearer
    : A extends "tara-session"
      ? TaraSession
      : A extends "admin"
        ? Administrator
        : undefined;

const authenticators: Record<Exclude<RouteAuth, Scope>, (req: ApiRequest) => Promise<unknown>> = {
  bearer: bearerOf,
  "tara-session": (req) => sessionFromRequest(req, new URL(req.url).searchParams.get("session_id") ?? undefined),
  admin: adminFromRequest,
  metrics: async (req) => authorizeMetrics(req),
  token: async () => undefined,
  public: async () => undefined,
};

const isScope = (auth: RouteAuth): auth is Scope => !(auth in authenticators);

function authenticate(auth: RouteAuth, req: ApiRequest, posted?: PresentedCredentials): Promise<unknown> {
  return isScope(auth) ? authenticateClient(req, auth, posted) : authenticators[auth](req);
}

/**
 * A body schema, or one with readBody's options (form encoding, size limit,
 * empty body) and `clientSecretPost`: the OAuth endpoints (RFC 7662, 7009)
 * also take the client's credentials as `client_id`/`client_secret` form
 * fields (RFC 6749 §2.3.1), so their body is read before authentication.
 */
type BodySpec<S extends z.ZodType = z.ZodType> = S | ({ schema: S; clientSecretPost?: boolean } & ReadBodyOptions);
type BodyOf<B> = B extends { schema: infer S extends z.ZodType } ? z.infer<S> : B extends z.ZodType ? z.infer<B> : undefined;

/** A query schema (over the parameters as an object, last value of a repeated name), or a parser of the parameters. */
type QuerySpec = z.ZodType | ((params: URLSearchParams) => unknown);
type QueryOf<Q> = Q extends z.ZodType ? z.infer<Q> : Q extends (params: URLSearchParams) => infer T ? T : undefined;

/**
 * What a route answers, by status, for the OpenAPI document (lib/openapi/document.ts): a zod schema of
 * a JSON answer, or a description with its content by media type (a schema, or null for a page, a
 * stream, a file). Errors need no entry: every route answers TIM's `{error, message}`
 * (lib/http/error-codes.ts); an entry for an error status replaces that.
 */
export type ResponseSpec = z.ZodType | { description: string; content?: Record<string, z.ZodType | null> };
export type RouteResponses = Partial<Record<number, ResponseSpec>>;

export type RouteSpec<A extends RouteAuth, B, Q> = {
  auth: A;
  body?: B;
  query?: Q;
  /** The answers it documents (OpenAPI); not checked at run time, test/http/openapi-answers.test.ts checks them. */
  responses?: RouteResponses;
  /** One line for the OpenAPI document. */
  summary?: string;
  /** A body the handler reads itself (its own answers for unreadable input), documented as a declared `body` would be. */
  readsBody?: BodySpec;
  /** An example request body for the OpenAPI document; test/http/openapi.test.ts checks that `body` accepts it. */
  example?: unknown;
  /** Error codes the use case answers beyond those its auth, body and query imply (OpenAPI document). */
  errors?: readonly ErrorCode[];
  /** Answers an error another way than TIM's JSON (a page for a browser); undefined leaves it to JSON. */
  errorReply?: (err: unknown, req: ApiRequest) => Reply | undefined;
};

export type RouteInput<A extends RouteAuth, B, Q> = {
  req: ApiRequest;
  caller: CallerOf<A>;
  body: BodyOf<B>;
  query: QueryOf<Q>;
  /** The path's `[segment]` values. */
  params: Record<string, string>;
  /** The caller's sane x-request-id or a fresh one: logs, audit rows and the echoed header carry it. */
  requestId: string;
};

function bodyParts(spec: BodySpec): { schema: z.ZodType; options: ReadBodyOptions; clientSecretPost: boolean } {
  if (spec instanceof z.ZodType) return { schema: spec, options: {}, clientSecretPost: false };
  const { schema, clientSecretPost = false, ...options } = spec;
  return { schema, options, clientSecretPost };
}

/** Form-posted client credentials, taken out of the body so no handler ever sees the secret. */
function takePostedCredentials(req: ApiRequest, raw: unknown): PresentedCredentials | undefined {
  if (typeof raw !== "object" || raw === null || !(req.headers.get("content-type") ?? "").includes("application/x-www-form-urlencoded")) {
    return undefined;
  }
  const fields = raw as Record<string, unknown>;
  const posted = credentialsFromForm(req, fields);
  delete fields.client_secret;
  return posted;
}

function parseQuery(req: ApiRequest, spec: QuerySpec): unknown {
  const params = new URL(req.url).searchParams;
  if (!(spec instanceof z.ZodType)) return spec(params);
  const parsed = spec.safeParse(Object.fromEntries(params));
  if (!parsed.success) throw new TimError("invalid_request", describeZodError(parsed.error));
  return parsed.data;
}

const DIRECT = Symbol.for("tim.http.direct");
type DirectHandler = (req: ApiRequest, ctx: RouteContext) => Promise<Reply>;

/** The handler the custom server calls with its light request (see `route`). */
export function directHandler(fn: unknown): DirectHandler | undefined {
  return (fn as { [DIRECT]?: DirectHandler } | undefined)?.[DIRECT];
}

/** A route's declaration (auth, body, query, responses), for the OpenAPI document; undefined for a handler not made by `route`. */
export function declaredSpec(fn: unknown): RouteSpec<RouteAuth, unknown, unknown> | undefined {
  return (fn as { spec?: RouteSpec<RouteAuth, unknown, unknown> } | undefined)?.spec;
}

/** The body schema and its options from a route's `body` declaration. */
export function declaredBody(spec: unknown): { schema: z.ZodType; options: ReadBodyOptions; clientSecretPost: boolean } | undefined {
  return spec === undefined ? undefined : bodyParts(spec as BodySpec);
}

/** The auth a route declared, for the route table; undefined for a handler not made by `route`. */
export function declaredAuth(fn: unknown): RouteAuth | undefined {
  return (fn as { auth?: RouteAuth } | undefined)?.auth;
}

/**
 * An API route handler that declares what it needs: who may call it (`auth`),
 * its body and query schemas. The wrapper checks the request id once,
 * authenticates, parses query then body (400s in TIM's error shape), runs the
 * handler, maps thrown errors to `{error, message}` and echoes x-request-id.
 * The result is the web handler Next calls; the custom server calls the same
 * function through `directHandler` without web objects.
 */
export function route<A extends RouteAuth, B extends BodySpec | undefined = undefined, Q extends QuerySpec | undefined = undefined>(
  spec: RouteSpec<A, B, Q>,
  fn: (input: RouteInput<A, B, Q>) => Promise<Reply>,
) {
  const direct = async (req: ApiRequest, ctx: RouteContext): Promise<Reply> => {
    const requestId = requestIdOf(req.headers);
    let res: Reply;
    let clientId: string | null = null;
    try {
      const bodySpec = spec.body === undefined ? undefined : bodyParts(spec.body);
      const early = bodySpec?.clientSecretPost && isScope(spec.auth) ? { raw: await readRawBody(req, bodySpec.options) } : undefined;
      const caller = (await authenticate(spec.auth, req, early && takePostedCredentials(req, early.raw))) as CallerOf<A>;
      if (isScope(spec.auth)) clientId = (caller as ApiCaller).clientId;
      const query = (spec.query === undefined ? undefined : parseQuery(req, spec.query)) as QueryOf<Q>;
      const body = (
        bodySpec === undefined ? undefined : parseBodyValue(early ? early.raw : await readRawBody(req, bodySpec.options), bodySpec.schema, bodySpec.options)
      ) as BodyOf<B>;
      res = await fn({ req, caller, body, query, params: await ctx.params, requestId });
    } catch (err) {
      res = spec.errorReply?.(err, req) ?? errorResponse(err, requestId);
    }
    noteRequestFacts(req, requestId, clientId);
    if (res instanceof JsonReply) res.headers["x-request-id"] = requestId;
    else res.headers.set("x-request-id", requestId);
    return res;
  };
  const web = async (req: Request, ctx: RouteContext): Promise<Response> => toResponse(await direct(req, ctx));
  return Object.assign(web, { [DIRECT]: direct, auth: spec.auth, spec: spec as RouteSpec<RouteAuth, unknown, unknown> });
}
