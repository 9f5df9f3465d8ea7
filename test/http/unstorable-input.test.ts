import { CompactSign } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { activeSigningKey } from "@/lib/jwt/keys";
import { useApi } from "@/test/support/use-api";
import { call, unique } from "@/test/tokens/helpers";

// Issue 12 §2: input TIM cannot store, or that a token cannot faithfully carry, is a 4xx with {error, message}.

const api = useApi();
const url = api.url;
let token: string;

beforeAll(async () => {
  const res = await call(url("/jwt/custom/generate"), { json: { content: { sub: unique("ui") }, expirationInMinutes: 30 }, auth: api.client.basic });
  expect(res.status).toBe(200);
  token = res.body.token;
});

function expect4xx(res: { status: number; body: any }, status: number, message?: RegExp): void {
  expect(res.status).toBe(status);
  expect(typeof res.body.error).toBe("string");
  expect(typeof res.body.message).toBe("string");
  if (message) expect(res.body.message).toMatch(message);
}

/** A token signed with TIM's own active key around a payload given as raw JSON text (numbers JSON.stringify cannot write). */
async function signedRaw(payloadJson: string): Promise<string> {
  const key = await activeSigningKey();
  return new CompactSign(new TextEncoder().encode(payloadJson)).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" }).sign(key.privateKey);
}

describe("tokens whose numeric claims are not finite are invalid tokens", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const raw = (exp: string, extra = "") =>
    `{"sub":"inf","iss":"TIM","aud":"tim-audience","iat":${now()},"exp":${exp},"jti":"${crypto.randomUUID()}","token_type":"custom_jwt"${extra}}`;

  test.each([
    ["exp: 1e400", raw("1e400")],
    ["exp: -1e400", raw("-1e400")],
    ["a claim of 1e400", raw(String(now() + 600), ',"n":1e400')],
  ])("%s: validate false, introspect inactive, extend 401, revoke 400", async (_name, payload) => {
    const crafted = await signedRaw(payload);
    const validate = await call(url("/jwt/custom/validate"), { json: { token: crafted }, auth: api.client.basic });
    expect(validate.status).toBe(401);
    expect(validate.body.valid).toBe(false);
    const bool = await call(url("/jwt/custom/validate/boolean"), { json: { token: crafted }, auth: api.client.basic });
    expect(bool.text).toBe("false");
    const introspect = await call(url("/introspect"), { form: { token: crafted }, auth: api.client.basic });
    expect(introspect.status).toBe(200);
    expect(introspect.body.active).toBe(false);
    const ext = await call(url("/jwt/custom/extend"), { json: { token: crafted }, auth: api.client.basic });
    expect4xx(ext, 401);
    // the revoke endpoint answers an unusable token with 400 (TIM 2.0), like a forged one
    expect4xx(await call(url("/jwt/custom/revoke"), { json: { token: crafted }, auth: api.client.basic }), 400);
    const rfc = await call(url("/revoke"), { form: { token: crafted }, auth: api.client.basic });
    expect(rfc.status).toBeLessThan(500);
  });
});

describe("x-request-id", () => {
  test("a sane id is trimmed and echoed; any other (long, spaces, Latin-1, separators) is replaced, never a 500", async () => {
    const sane = await call(url("/jwt/custom/validate"), { json: { token }, auth: api.client.basic, headers: { "x-request-id": "  trace-1.a:b_c  " } });
    expect(sane.status).toBe(200);
    expect(sane.headers.get("x-request-id")).toBe("trace-1.a:b_c");
    for (const id of ["x".repeat(8000), "a b", "caf\u00e9", "a,b;c=d", "<script>", "x".repeat(129)]) {
      const res = await call(url("/jwt/custom/validate"), { json: { token }, auth: api.client.basic, headers: { "x-request-id": id } });
      expect(res.status, id.slice(0, 20)).toBe(200);
      expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe("credentials", () => {
  test("a client id TIM cannot store or hold (NUL, unpaired surrogate, overlong) is a 401, never a 500", async () => {
    const basic = (id: string, secret = "s3cret") => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
    const apiKey = (id: string) => `Bearer tim_${Buffer.from(`${id}:s3cret`).toString("base64url")}`;
    for (const auth of [basic("cli\u0000ent"), apiKey("cli\u0000ent"), basic("x".repeat(5000)), basic(api.client.clientId, "y".repeat(5000))]) {
      const res = await call(url("/jwt/custom/generate"), { json: { content: {}, expirationInMinutes: 5 }, auth });
      expect4xx(res, 401);
      expect(res.body.error).toBe("invalid_client");
    }
  });
});

describe("query filters and paging", () => {
  test("reporting filters, audit-free list/me paging: NUL or unpaired surrogates are 400s naming the field", async () => {
    for (const query of ["subject=a%00b", "jwt_name=%00", "claim_keys=a,%00", "client_id=%00", "cursor=%00", "audience=x%00"]) {
      const res = await call(url(`/api/reports/tokens?${query}`), { auth: api.client.basic });
      expect4xx(res, 400, new RegExp(query.split("=")[0]));
    }
    // a date JavaScript holds but PostgreSQL's timestamptz cannot (before 4713 BC)
    for (const body of [{ jwtName: "a\u0000" }, { cursor: "\ud800" }, { issuedAfter: "-100000-01-01T00:00:00Z" }]) {
      const res = await call(url("/jwt/custom/list/me"), { json: body, auth: `Bearer ${token}` });
      expect4xx(res, 400, new RegExp(Object.keys(body)[0]));
    }
  });

  test("revocation reasons and introspection hints: the same", async () => {
    expect4xx(await call(url("/jwt/custom/revoke"), { json: { token, reason: "r\u0000" }, auth: api.client.basic }), 400, /reason/);
    expect4xx(await call(url("/jwt/custom/revoke/bulk"), { raw: `{"tokens":["${token}"],"reason":"\\udfff"}`, auth: api.client.basic }), 400, /reason/);
    const still = await call(url("/jwt/custom/validate"), { json: { token }, auth: api.client.basic });
    expect(still.body.valid).toBe(true);
  });
});

describe("TARA parameters", () => {
  beforeAll(() => {
    Object.assign(process.env, {
      TARA_ISSUER: "http://127.0.0.1:1",
      TARA_CLIENT_ID: "c",
      TARA_CLIENT_SECRET: "s",
      TARA_REDIRECT_URI: `${api.server.url}/auth/callback/tara`,
    });
    resetConfig();
  });
  afterAll(() => {
    for (const k of ["TARA_ISSUER", "TARA_CLIENT_ID", "TARA_CLIENT_SECRET", "TARA_REDIRECT_URI"]) delete process.env[k];
    resetConfig();
  });

  test("login and callback query parameters with NUL are 400s, never a 500", async () => {
    for (const query of ["redirect_uri=%2Fme%00", "methods=idcard%00"]) {
      expect4xx(await call(url(`/auth/login/tara?${query}`), { headers: { accept: "application/json" } }), 400);
    }
    for (const query of ["state=%00", "state=abc&code=%00", "state=abc&error=%00"]) {
      expect4xx(await call(url(`/auth/callback/tara?${query}`), { headers: { accept: "application/json" } }), 400);
    }
  });
});
