import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { apiRoutes } from "@/server/routes";
import { startTaraWorld, type TaraWorld } from "@/test/tara/support";
import { tokenRowCounts } from "@/test/security/token-rows";
import { call, claimsOf, newClient, taraTokenFixture, unique, type TestClient } from "@/test/tokens/helpers";

/**
 * Issue 12 §7: property-based fuzzing of every POST body and query string of
 * the HTTP API over real HTTP. For arbitrary JSON and strings (NULs, lone
 * surrogates, huge numbers, deep nesting, wrong types, oversized values) the
 * answer is a 2xx, or a 4xx with `{error, message}` JSON that wrote nothing;
 * never a 5xx.
 *
 * Seeded: TIM_FUZZ_SEED (default below) replays a run, TIM_FUZZ_RUNS sets the
 * runs per route, TIM_FUZZ_SHRINK=1 shrinks a failure to a minimal input (off
 * by default: every shrinking step is a request). A failure prints the seed,
 * the path to replay it (fast-check's `{ seed, path }`), the request and the answer.
 */

const SEED = Number(process.env.TIM_FUZZ_SEED ?? 20261202);
const RUNS = Number(process.env.TIM_FUZZ_RUNS ?? 20);
const SHRINK = process.env.TIM_FUZZ_SHRINK === "1";

// ------------------------------------------------------------ arbitraries ---

/*
 * Values JSON.stringify cannot write are carried as markers and spliced into
 * the request text, so that fast-check's report stays short.
 */
const MARKERS: Record<string, string> = {
  '"~1e400~"': "1e400",
  '"~-1e400~"': "-1e400",
  '"~deep~"': `${"[".repeat(5000)}${"]".repeat(5000)}`,
  '"~huge~"': JSON.stringify("x".repeat(70_000)),
};
const spliceMarkers = (text: string) => text.replace(/"~(?:1e400|-1e400|deep|huge)~"/g, (m) => MARKERS[m]);

const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const weirdString = fc.oneof(
  fc.string(),
  fc.string({ unit: anyCodeUnit, maxLength: 40 }), // NULs, lone surrogates, controls
  fc.constantFrom("", " ", "\u0000", "a\u0000b", "\ud800", "\udfff", "x\ud800y", "\u202e", "%00", "🙂", "a,b", "../..", "' OR 1=1 --"),
  fc.string({ minLength: 2_000, maxLength: 3_000 }), // beyond index entries and field limits
);
const weirdNumber = fc.oneof(
  fc.integer(),
  fc.double(), // NaN and ±Infinity serialise as null
  fc.constantFrom(0, -0, -1, 0.5, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, 5e-324, "~1e400~", "~-1e400~"),
);
const weirdValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    weirdString,
    weirdNumber,
    fc.boolean(),
    fc.constant(null),
    fc.constant("~deep~"),
    fc.constant("~huge~"), // a 70 000-character string: past the body limit
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(weirdString, tie("value"), { maxKeys: 4 }),
  ),
})).value;

/**
 * A field: mostly a plausible value (so that requests get past the first
 * check and reach the database), sometimes absent, sometimes anything at all.
 */
const field = <T>(plausible: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: plausible, weight: 4 }, { arbitrary: fc.constant(undefined), weight: 1 }, { arbitrary: weirdValue, weight: 1 });
const text = (...plausible: string[]) => fc.oneof({ arbitrary: fc.constantFrom(...plausible), weight: 2 }, { arbitrary: weirdString, weight: 1 });
const minutes = fc.oneof({ arbitrary: fc.constantFrom(1, 5, 60), weight: 3 }, { arbitrary: weirdNumber, weight: 1 });

type Body = { kind: "json"; value: unknown } | { kind: "raw"; text: string; type: string } | { kind: "form"; pairs: [string, string][] };

const rawBody: fc.Arbitrary<Body> = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(
        "",
        "{",
        '{"token":',
        "null",
        "[]",
        '"x"',
        '{"a":1e400}',
        '{"__proto__":{"x":1}}',
        "\u0000",
        "\ufeff{}",
        '{"a":"\\ud800"}',
        '{"a":"\\u0000"}',
      ),
      weirdString,
    ),
    fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""),
  )
  .map(([text, type]): Body => ({ kind: "raw", text, type }));

/**
 * A JSON body: a valid request with one field changed (so the odd value gets
 * past every other check), every field fuzzed, any JSON at all, or raw text.
 */
function jsonBody(fields: Record<string, fc.Arbitrary<unknown>>, valid: fc.Arbitrary<Record<string, unknown>> = fc.constant({})): fc.Arbitrary<Body> {
  const names = Object.keys(fields);
  const oneChanged = fc
    .tuple(valid, names.length ? fc.constantFrom(...names) : fc.constant(undefined), fc.record(fields))
    .map(([base, name, values]) => (name === undefined ? base : { ...base, [name]: values[name] }));
  // Unknown fields now and then (strict schemas refuse them, so not too often).
  const allChanged = fc
    .tuple(fc.record(fields), fc.dictionary(weirdString, weirdValue, { maxKeys: 2 }), fc.nat({ max: 4 }))
    .map(([known, extra, dice]) => (dice === 0 ? { ...extra, ...known } : known));
  const json = (value: unknown): Body => ({ kind: "json", value });
  return fc.oneof(
    { arbitrary: valid.map(json), weight: 3 },
    { arbitrary: oneChanged.map(json), weight: 5 },
    { arbitrary: allChanged.map(json), weight: 2 },
    { arbitrary: weirdValue.map(json), weight: 1 },
    { arbitrary: rawBody, weight: 1 },
  );
}

/** A form body (RFC 7009 / RFC 7662 endpoints), or the JSON they also take. */
function formBody(fields: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<Body> {
  const pairs = fc
    .tuple(fc.record(fields, { requiredKeys: [] }), fc.array(fc.tuple(weirdString, weirdString), { maxLength: 2 }))
    .map(([known, extra]): Body => ({ kind: "form", pairs: [...(Object.entries(known) as [string, string][]), ...extra] }));
  return fc.oneof({ arbitrary: pairs, weight: 3 }, { arbitrary: jsonBody(fields), weight: 2 });
}

/** Strings short enough for a query string: Node refuses request heads over 16 KiB (431) before TIM sees them. */
const queryString = weirdString.map((s) => s.slice(0, 600));

/** Query parameters: the route's own (some odd, some repeated), extra ones, raw percent-escapes. */
function queryOf(params: Record<string, fc.Arbitrary<string>>, valid: fc.Arbitrary<string> = fc.constant("")): fc.Arbitrary<string> {
  const value = (plausible: fc.Arbitrary<string>) =>
    fc.oneof(
      { arbitrary: plausible.map((s) => encodeValue(s.slice(0, 600))), weight: 3 },
      { arbitrary: queryString.map(encodeValue), weight: 2 },
      { arbitrary: fc.constantFrom("%", "%zz", "%ED%A0%80", "%C0%80", "%00", "%FF%FE", "%E2%82", "%2"), weight: 1 },
    );
  const known = Object.entries(params).map(([name, plausible]) => fc.option(fc.tuple(fc.constant(name), value(plausible)), { nil: undefined }));
  const fuzzed = fc
    .tuple(fc.tuple(...known), fc.array(fc.tuple(queryString.map(encodeValue), value(fc.string())), { maxLength: 2 }), fc.boolean())
    .map(([own, extra, repeat]) => {
      const pairs = [...own.filter((p) => p !== undefined), ...extra];
      if (repeat && pairs[0]) pairs.push(pairs[0]);
      return pairs.map(([k, v]) => `${k}=${v}`).join("&");
    });
  return fc.oneof({ arbitrary: valid, weight: 1 }, { arbitrary: fuzzed, weight: 3 });
}

/** Percent-encodes the UTF-8 bytes of a string (a lone surrogate becomes U+FFFD's, as a browser sends it). */
const encodeValue = (s: string) =>
  [...Buffer.from(s, "utf8")]
    .map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, "0")}`))
    .join("");

// ---------------------------------------------------------------- routes ---

type Auth = "client" | "customBearer" | "fuzzedBearer" | "none";
type FuzzRoute = {
  method: "GET" | "POST";
  /** As in server/routes.ts. */
  pattern: string;
  auth: Auth;
  body?: fc.Arbitrary<Body>;
  query?: fc.Arbitrary<string>;
  /** A path parameter's fuzzed value. */
  segment?: fc.Arbitrary<string>;
  accept?: string;
  /** Plausible inputs can succeed here: some run must answer 2xx (else the fuzzing never got past the door). */
  reaches2xx?: false;
};

/** Real tokens for the route being fuzzed (fresh for each route: earlier routes revoke and extend theirs). */
let real: { custom: string[]; tara: string; chains: string[]; session: string };
const POOL = 10;
/** A token field: one of the real tokens (so requests reach the database), or anything. */
const realCustom = fc.nat({ max: POOL - 1 }).map((i) => real.custom[i]);
const realTara = fc.constant(0).map(() => real.tara);
const token = () => fc.oneof({ arbitrary: realCustom, weight: 2 }, { arbitrary: realTara, weight: 1 }, { arbitrary: weirdValue, weight: 2 });
const tokenText = () => fc.oneof(realCustom, realTara, weirdString, fc.constant("~huge~"));
const realChain = fc.nat({ max: POOL - 1 }).map((i) => real.chains[i]);
const realSession = fc.constant(0).map(() => real.session);
const instant = fc.oneof(fc.constantFrom("2026-01-01", "2026-12-02T10:00:00Z", "0", "-1", "99999-01-01", "NaN"), weirdString);
const claims = fc.oneof(
  { arbitrary: fc.constant({ sub: "fuzz" }), weight: 2 },
  { arbitrary: fc.dictionary(weirdString, weirdValue, { maxKeys: 5 }), weight: 1 },
  { arbitrary: fc.record({ sub: weirdString, role: weirdValue }), weight: 1 },
);
const generateFields = {
  JWTName: field(text("FUZZ", "API_TOKEN")),
  content: field(claims),
  expirationInMinutes: field(minutes),
  audience: field(fc.oneof(text("tim-audience", "payments"), fc.array(weirdString, { maxLength: 3 }))),
  setCookie: field(fc.boolean()),
};
const reportFilters = {
  type: text("custom", "tara"),
  subject: text("fuzz"),
  jwt_name: text("FUZZ"),
  status: text("active", "expired", "revoked"),
  issued_from: instant,
  issued_to: instant,
  expires_from: instant,
  expires_to: instant,
  claim_keys: text("sub,role", "sub"),
  issuer: text("TIM"),
  audience: text("tim-audience"),
  client_id: text("test"),
  auth_method: text("mID", "idcard"),
  loa: text("high", "low"),
  sort: text("issued_at", "expires_at"),
  order: text("asc", "desc"),
  limit: text("1", "50", "500", "501", "0", "-1"),
  cursor: text("abc"),
  total: text("true"),
};

/** Every route of server/routes.ts that reads a body, a query string or a path parameter. */
const ROUTES: FuzzRoute[] = [
  {
    method: "POST",
    pattern: "/jwt/custom/generate",
    auth: "client",
    body: jsonBody(generateFields, fc.constant({ JWTName: "FUZZ", content: { sub: "fuzz" }, expirationInMinutes: 5 })),
  },
  {
    method: "POST",
    pattern: "/jwt/custom/generate/batch",
    auth: "client",
    body: jsonBody(
      {
        tokens: field(
          fc.array(fc.oneof({ arbitrary: fc.record(generateFields), weight: 5 }, { arbitrary: weirdValue, weight: 1 }), { minLength: 1, maxLength: 3 }),
        ),
      },
      fc.constant({ tokens: [{ content: { sub: "fuzz" }, expirationInMinutes: 5 }] }),
    ),
  },
  {
    method: "POST",
    pattern: "/jwt/custom/validate",
    auth: "client",
    body: jsonBody({ token: token(), audience: field(text("tim-audience")), issuer: field(text("TIM")) }, fc.record({ token: realCustom })),
  },
  {
    method: "POST",
    pattern: "/jwt/custom/validate/boolean",
    auth: "client",
    body: jsonBody({ token: token(), audience: field(text("tim-audience")), issuer: field(text("TIM")) }, fc.record({ token: realCustom })),
  },
  {
    method: "POST",
    pattern: "/jwt/custom/revoke",
    auth: "client",
    body: jsonBody({ token: token(), reason: field(text("user_logout")) }, fc.record({ token: realCustom })),
  },
  {
    method: "POST",
    pattern: "/jwt/custom/revoke/bulk",
    auth: "client",
    body: jsonBody(
      { tokens: field(fc.array(token(), { minLength: 1, maxLength: 4 })), reason: field(text("security_incident")) },
      fc.record({ tokens: fc.array(realCustom, { minLength: 1, maxLength: 3 }) }),
    ),
  },
  {
    method: "POST",
    pattern: "/jwt/custom/extend",
    auth: "client",
    body: jsonBody({ token: token(), expirationInMinutes: field(minutes) }, fc.record({ token: realCustom, expirationInMinutes: fc.constant(5) })),
  },
  { method: "GET", pattern: "/jwt/custom/extension-chain/[originalJwtUuid]", auth: "client", segment: fc.oneof(realChain, fc.uuid(), queryString) },
  {
    method: "POST",
    pattern: "/jwt/custom/list/me",
    auth: "customBearer",
    body: jsonBody({
      status: field(text("active", "expired", "revoked")),
      issuedAfter: field(instant),
      issuedBefore: field(instant),
      expiresAfter: field(instant),
      expiresBefore: field(instant),
      jwtName: field(text("FUZZ")),
      limit: field(weirdNumber),
      cursor: field(text("abc")),
      issued_after: field(instant),
      jwt_name: field(text("FUZZ")),
      page: field(weirdNumber),
      offset: field(weirdNumber),
      size: field(weirdNumber),
      includeRevoked: field(fc.boolean()),
    }),
  },
  { method: "POST", pattern: "/introspect", auth: "client", body: formBody({ token: tokenText(), token_type_hint: text("access_token", "refresh_token") }) },
  { method: "POST", pattern: "/revoke", auth: "client", body: formBody({ token: tokenText(), token_type_hint: text("access_token") }) },
  {
    method: "GET",
    pattern: "/auth/login/tara",
    auth: "none",
    accept: "application/json",
    query: queryOf({
      redirect_uri: text("/me", "https://evil.example/"),
      acr: text("low", "substantial", "high"),
      methods: text("idcard,mid", "eidas"),
      ui_locales: text("et", "en"),
    }),
  },
  {
    method: "POST",
    pattern: "/auth/login/tara/result",
    auth: "none",
    reaches2xx: false,
    body: jsonBody({ state: field(text("abc")), login_secret: field(text("abc")) }),
  },
  {
    method: "GET",
    pattern: "/auth/callback/tara",
    auth: "none",
    reaches2xx: false,
    accept: "application/json",
    query: queryOf({ code: text("abc"), state: text("abc"), error: text("user_cancel"), error_description: text("x") }),
  },
  {
    method: "GET",
    pattern: "/auth/session/validate",
    auth: "client",
    query: queryOf(
      { session_id: fc.oneof(realSession, fc.uuid(), weirdString) },
      realSession.map((sid) => `session_id=${sid}`),
    ),
  },
  {
    method: "GET",
    pattern: "/auth/profile",
    auth: "client",
    query: queryOf(
      { session_id: fc.oneof(realSession, fc.uuid(), weirdString) },
      realSession.map((sid) => `session_id=${sid}`),
    ),
  },
  {
    method: "POST",
    pattern: "/auth/logout",
    auth: "fuzzedBearer",
    body: jsonBody({ session_id: field(fc.uuid()) }),
    query: queryOf({ session_id: fc.oneof(fc.uuid(), weirdString), reason: text("User initiated logout") }),
  },
  { method: "POST", pattern: "/jwt/tara/extend", auth: "none", body: jsonBody({ token: token() }, fc.record({ token: realTara })) },
  { method: "GET", pattern: "/api/reports/tokens", auth: "client", query: queryOf(reportFilters) },
  { method: "GET", pattern: "/api/reports/tokens/export", auth: "client", query: queryOf({ format: text("csv", "jsonl", "xml"), ...reportFilters }) },
  { method: "GET", pattern: "/api/reports/stats", auth: "client", query: queryOf({}) },
  { method: "GET", pattern: "/api/reports/subjects/[subject]", auth: "client", segment: fc.oneof(fc.constant("fuzz"), queryString) },
  {
    method: "POST",
    pattern: "/jwt/custom/revoke/subject",
    auth: "client",
    body: jsonBody({ subject: field(fc.oneof(text("fuzz"), weirdString)), reason: field(text("logout_everywhere")) }, fc.constant({ subject: "fuzz-nobody" })),
  },
  {
    method: "POST",
    pattern: "/jwt/tara/revoke/subject",
    auth: "client",
    body: jsonBody(
      { subject: field(fc.oneof(text("EE38001085718"), weirdString)), reason: field(text("logout_everywhere")) },
      fc.constant({ subject: "EE00000000000" }),
    ),
  },
  {
    method: "POST",
    pattern: "/ssf/streams",
    auth: "client",
    body: jsonBody(
      {
        delivery: field(fc.record({ method: text("urn:ietf:rfc:8936", "urn:ietf:rfc:8935"), endpoint_url: field(text("https://rs.example/ssf")) })),
        events_requested: field(fc.array(text("urn:buerostack:tim:secevent:token-revoked"))),
        description: field(text("fuzz")),
      },
      fc.constant({ delivery: { method: "urn:ietf:rfc:8936" } }),
    ),
  },
  { method: "GET", pattern: "/ssf/streams", auth: "client", query: queryOf({ stream_id: fc.oneof(fc.uuid(), weirdString) }) },
  // A fuzzed stream id names no stream of this client (404): the flows with real streams are test/ssf's.
  {
    method: "POST",
    pattern: "/ssf/streams/status",
    auth: "client",
    reaches2xx: false,
    body: jsonBody({ stream_id: field(fc.uuid()), status: text("enabled", "paused", "disabled"), reason: field(text("fuzz")) }),
  },
  { method: "POST", pattern: "/ssf/verify", auth: "client", reaches2xx: false, body: jsonBody({ stream_id: field(fc.uuid()), state: field(text("fuzz")) }) },
  {
    method: "GET",
    pattern: "/ssf/revocations",
    auth: "client",
    query: queryOf({
      cursor: text("custom.1.00000000-0000-4000-8000-000000000000", "tara.999999999999999999.00000000-0000-4000-8000-000000000000"),
      limit: text("1", "10000", "10001", "0", "-1", "1.5"),
    }),
  },
  {
    method: "POST",
    pattern: "/ssf/poll/[streamId]",
    auth: "client",
    reaches2xx: false,
    segment: fc.oneof(fc.uuid(), queryString),
    body: jsonBody({
      maxEvents: field(weirdNumber),
      returnImmediately: field(fc.boolean()),
      ack: field(fc.array(text("x"))),
      setErrs: field(fc.dictionary(fc.string(), fc.record({ err: text("invalid_key") }))),
    }),
  },
  { method: "GET", pattern: "/admin/tokens/export", auth: "none", reaches2xx: false, query: queryOf({ format: text("csv"), ...reportFilters }) },
  { method: "GET", pattern: "/admin/exports/[runId]", auth: "none", reaches2xx: false, segment: fc.oneof(fc.uuid(), queryString) },
  { method: "GET", pattern: "/admin/files/[fileId]", auth: "none", reaches2xx: false, segment: fc.oneof(fc.uuid(), queryString) },
  {
    method: "GET",
    pattern: "/admin/audit/export",
    auth: "none",
    reaches2xx: false,
    query: queryOf({ from: text("2025-01-01", "x"), to: text("2025-01-02"), protocol_log: text("0", "1", "2") }),
  },
  { method: "GET", pattern: "/admin/tara-logins/[state]/export", auth: "none", reaches2xx: false, segment: fc.oneof(fc.uuid(), queryString) },
];

/** Routes that read no request input (nothing to fuzz), or that speak another protocol. */
const NOT_FUZZED: Record<string, string> = {
  "/api/health": "reads no input",
  "/health": "reads no input",
  "/jwt/keys/public": "reads no input",
  "/introspect/types": "reads no input",
  "/auth/providers": "reads no input",
  "/auth/providers/tara": "reads no input",
  "/auth/health": "reads no input",
  "/api/metrics": "reads only its bearer token (test/http covers it)",
  "/api/inngest": "Inngest's signed protocol, not TIM's API (test/jobs/inngest-endpoint.test.ts)",
  "/.well-known/oauth-authorization-server": "reads no input",
  "/.well-known/ssf-configuration": "reads no input",
  "/openapi.json": "reads no input",
  "/openapi.yaml": "reads no input",
  "/docs": "reads no input",
  "/docs/[asset]": "a fixed list of file names, anything else a JSON 404 (test/http/openapi.test.ts)",
};

// ------------------------------------------------------------------ runs ---

let world: TaraWorld;
let server: TaraWorld["tim"];
let client: TestClient;

beforeAll(async () => {
  // TIM with the TARA stand-in, so that the login and callback routes run for real.
  world = await startTaraWorld();
  server = world.tim;
  client = await newClient();
});
afterAll(async () => world?.close());

/** Real tokens (with their rows) for one route's runs. */
async function freshMaterial(): Promise<typeof real> {
  const custom = await Promise.all(
    Array.from({ length: POOL }, async () => {
      const res = await call(`${server.url}/jwt/custom/generate`, {
        json: { JWTName: "FUZZ", content: { sub: unique("fuzz") }, expirationInMinutes: 30 },
        auth: client.basic,
      });
      if (res.status !== 200) throw new Error(`issuing a token failed: ${res.status} ${res.text}`);
      return res.body.token as string;
    }),
  );
  const tara = await taraTokenFixture({ allowlist: "live" });
  return { custom, chains: custom.map((t) => claimsOf(t).jti as string), tara: tara.token, session: tara.payload.sid };
}

type Request = { path: string; init: RequestInit; shown: string };

function requestFor(route: FuzzRoute, input: { body?: Body; query?: string; segment?: string; bearer?: string }): Request {
  const headers: Record<string, string> = {};
  if (route.accept) headers.accept = route.accept;
  if (route.auth === "client") headers.authorization = client.basic;
  if (route.auth === "customBearer") headers.authorization = `Bearer ${real.custom[0]}`;
  if (route.auth === "fuzzedBearer" && input.bearer !== undefined) headers.authorization = input.bearer;
  let path = route.pattern.replace(/\[\w+\]/, () => encodeValue(input.segment ?? ""));
  if (input.query) path += `?${input.query}`;
  let body: string | undefined;
  const b = input.body;
  if (b?.kind === "json") {
    headers["content-type"] = "application/json";
    body = spliceMarkers(JSON.stringify(b.value) ?? "");
  } else if (b?.kind === "raw") {
    if (b.type) headers["content-type"] = b.type;
    body = spliceMarkers(b.text);
  } else if (b?.kind === "form") {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = b.pairs.map(([k, v]) => `${encodeValue(k)}=${encodeValue(v === "~huge~" ? "x".repeat(70_000) : v)}`).join("&");
  }
  const shown = `${route.method} ${path.slice(0, 300)}${body !== undefined ? ` body(${body.length} chars): ${JSON.stringify(body.slice(0, 300))}` : ""}`;
  return { path, init: { method: route.method, headers, body }, shown };
}

/** Runs one request and states what is wrong with its answer, if anything. */
async function problemWith(route: FuzzRoute, req: Request, answers: { status: number; text: string }[]): Promise<string | null> {
  const before = await tokenRowCounts();
  const res = await fetch(`${server.url}${req.path}`, req.init);
  const answer = await res.text();
  const after = await tokenRowCounts();
  answers.push({ status: res.status, text: answer.slice(0, 160) });
  const shownAnswer = `${res.status} ${answer.slice(0, 300)}`;
  if (res.status >= 500) return `${req.shown}\n  → ${shownAnswer} (a 5xx)`;
  if (res.status >= 200 && res.status < 300) return null;
  if (res.status < 400) return `${req.shown}\n  → ${shownAnswer} (expected a 2xx or 4xx)`;
  let parsed: { error?: unknown; message?: unknown } | undefined;
  try {
    parsed = JSON.parse(answer);
  } catch {
    // not JSON
  }
  const boolean = route.pattern === "/jwt/custom/validate/boolean" && answer === "false";
  if (!boolean && (typeof parsed?.error !== "string" || typeof parsed?.message !== "string")) {
    return `${req.shown}\n  → ${shownAnswer} (a 4xx without {error, message})`;
  }
  const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
  if (changed.length) {
    return `${req.shown}\n  → ${shownAnswer} but wrote rows: ${changed.map((k) => `${k} ${before[k]}→${after[k]}`).join(", ")}`;
  }
  return null;
}

describe(`fuzzing the HTTP API (seed ${SEED}, ${RUNS} runs per route; TIM_FUZZ_SEED / TIM_FUZZ_RUNS to change)`, () => {
  test("every route of server/routes.ts is fuzzed or listed as reading no input", () => {
    const covered = new Set([...ROUTES.map((r) => r.pattern), ...Object.keys(NOT_FUZZED)]);
    expect(apiRoutes.map((r) => r.pattern).filter((p) => !covered.has(p))).toEqual([]);
    expect([...covered].filter((p) => !apiRoutes.some((r) => r.pattern === p))).toEqual([]);
  });

  for (const route of ROUTES) {
    test(`${route.method} ${route.pattern}: 2xx, or 4xx {error, message} with nothing written; never 5xx`, async () => {
      const input = fc.record(
        {
          body: route.body ?? fc.constant(undefined),
          query: route.query ?? fc.constant(undefined),
          segment: route.segment ?? fc.constant(undefined),
          bearer: fc.oneof(
            fc.constant(undefined),
            fc.constant(0).map(() => `Bearer ${real.tara}`),
            fc.string({ unit: "grapheme-ascii" }).map((s) => `Bearer ${s}`),
          ),
        },
        { requiredKeys: [] },
      );
      real = await freshMaterial();
      const answers: { status: number; text: string }[] = [];
      await fc.assert(
        fc.asyncProperty(input, async (i) => {
          const problem = await problemWith(route, requestFor(route, i), answers);
          if (problem) throw new Error(problem);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: !SHRINK },
      );
      if (route.reaches2xx !== false) {
        const counts = new Map<number, number>();
        for (const a of answers) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
        const seen = [...counts].map(([status, n]) => `${status}×${n}`).join(" ");
        const samples = [...new Set(answers.map((a) => `${a.status} ${a.text}`))].slice(0, 6).join("\n  ");
        expect(
          answers.some((a) => a.status >= 200 && a.status < 300),
          `no run reached a 2xx (answers: ${seen}), e.g.\n  ${samples}`,
        ).toBe(true);
      }
    });
  }
});
