import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { activeSigningKey } from "@/lib/jwt/keys";
import { startTestServer, type TestServer } from "@/test/support/http";
import { newRows, tokenRows } from "@/test/security/token-rows";
import { call, newClient, taraTokenFixture, unique, type ApiResponse, type TestClient } from "@/test/tokens/helpers";
import { CORPUS, DEFAULT_ENDPOINTS, attackerKeys, payloadOf, type AttackerKeys, type CorpusContext, type Endpoint } from "@/test/security/jwt-corpus";

/**
 * Issue 12 §7: every variant of the JWT attack corpus (test/security/jwt-corpus.ts)
 * against every token endpoint over real HTTP. Each answer must be a refusal
 * (the endpoint's 4xx, valid:false, active:false, or RFC 7009's 200 without
 * effect), never a 5xx, and no endpoint may write a row for any of them.
 */

let server: TestServer;
let attacker: TestClient;
let ctx: CorpusContext;
let keys: AttackerKeys;
let tokens: { name: string; token: string; endpoints: readonly Endpoint[] }[];

type Check = (res: ApiResponse) => string | null;

const isError = (res: ApiResponse) =>
  typeof res.body === "object" && res.body !== null && typeof res.body.error === "string" && typeof res.body.message === "string";
/** A 4xx that is the endpoint refusing the token, not TIM refusing the harness's credentials. */
const refusal4xx = (res: ApiResponse) =>
  res.status >= 400 && res.status < 500 && !["invalid_client", "insufficient_scope", "rate_limited"].includes(String(res.body?.error)) && res.status !== 429;
const errorRefusal: Check = (res) => (refusal4xx(res) && isError(res) ? null : "expected a 4xx {error, message}");

const ENDPOINTS: Record<Endpoint, { path: string; form?: boolean; check: Check }> = {
  validate: {
    path: "/jwt/custom/validate",
    check: (res) => (refusal4xx(res) && (res.body?.valid === false || (res.status === 413 && isError(res))) ? null : "expected 4xx with valid: false"),
  },
  validateBoolean: {
    path: "/jwt/custom/validate/boolean",
    check: (res) => (refusal4xx(res) && res.text === "false" ? null : 'expected 4xx "false"'),
  },
  introspect: {
    path: "/introspect",
    form: true,
    check: (res) =>
      (res.status === 200 && JSON.stringify(res.body) === '{"active":false}') || (refusal4xx(res) && isError(res)) ? null : "expected 200 {active: false}",
  },
  extend: { path: "/jwt/custom/extend", check: errorRefusal },
  revoke: { path: "/jwt/custom/revoke", check: errorRefusal },
  rfc7009Revoke: {
    path: "/revoke",
    form: true,
    check: (res) => ((res.status === 200 && res.text === "") || (refusal4xx(res) && isError(res)) ? null : "expected 200 (no effect) or 4xx"),
  },
  taraExtend: { path: "/jwt/tara/extend", check: errorRefusal },
};

/** Runs `fn` over `items` with at most `limit` at a time. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]);
      }
    }),
  );
  return results;
}

function send(endpoint: Endpoint, token: string) {
  const { path, form } = ENDPOINTS[endpoint];
  const auth = endpoint === "taraExtend" ? undefined : attacker.basic;
  return call(`${server.url}${path}`, form ? { form: { token }, auth } : { json: { token }, auth });
}

const excerpt = (res: ApiResponse) => `${res.status} ${res.text.slice(0, 160)}`;

beforeAll(async () => {
  server = await startTestServer();
  // An ordinary client: it may issue, validate, introspect and revoke its own tokens, nothing more.
  attacker = await newClient({ scopes: ["tokens:issue", "tokens:validate", "tokens:introspect", "tokens:revoke"] });
  const fresh = async () => {
    const res = await call(`${server.url}/jwt/custom/generate`, {
      json: { JWTName: "CORPUS_BASE", content: { sub: unique("victim") }, expirationInMinutes: 30 },
      auth: attacker.basic,
    });
    if (res.status !== 200) throw new Error(`issuing a base token failed: ${excerpt(res)}`);
    return res.body.token as string;
  };

  const tim = await activeSigningKey();
  const jwks = (await call<{ keys: JWK[] }>(`${server.url}/jwt/keys/public`)).body.keys;
  const jwk = jwks.find((k) => k.kid === tim.kid)!;

  // A key TIM retired and stopped publishing; an attacker who kept its private part still has it.
  const retiredPair = await generateKeyPair(tim.alg, { extractable: true });
  const retiredKid = unique("retired");
  await (await db()).signingKey.create({
    data: {
      kid: retiredKid,
      alg: tim.alg,
      publicJwk: { ...(await exportJWK(retiredPair.publicKey)), kid: retiredKid, alg: tim.alg, use: "sig" } as object,
      privateKey: null,
      privateKeyEncrypted: false,
      status: "retired",
      retiredAt: new Date(Date.now() - 86_400_000),
      lastTokenExpiresAt: new Date(Date.now() - 3_600_000),
    },
  });

  ctx = {
    issuer: config().TIM_ISSUER,
    audience: config().TIM_DEFAULT_AUDIENCE,
    tim: { kid: tim.kid, alg: tim.alg, jwk, privateKey: tim.privateKey },
    retired: { kid: retiredKid, alg: tim.alg, privateKey: retiredPair.privateKey },
    fresh,
    other: await fresh(),
    tara: (await taraTokenFixture()).token,
  };
  keys = await attackerKeys();
  tokens = await pool(CORPUS, 8, async (v) => ({
    name: `${v.group}: ${v.name}`,
    token: await v.make(ctx, keys),
    endpoints: v.endpoints ?? DEFAULT_ENDPOINTS,
  }));
}, 120_000);
afterAll(async () => server?.close());

describe("JWT attack corpus", () => {
  test("holds at least 100 distinct variants", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(tokens.map((t) => t.name)).size).toBe(tokens.length);
    expect(new Set(tokens.map((t) => t.token)).size).toBe(tokens.length - 1); // the TARA token serves two variants
  });

  test("controls: the real tokens the variants are made from are accepted (so refusals below are the variants')", async () => {
    const base = await ctx.fresh();
    expect((await send("validate", base)).status).toBe(200);
    expect((await send("validateBoolean", base)).text).toBe("true");
    expect((await send("introspect", base)).body.active).toBe(true);
    expect((await send("validate", ctx.tara)).status).toBe(200);
    expect((await send("introspect", ctx.tara)).body.active).toBe(true);
  });

  for (const endpoint of Object.keys(ENDPOINTS) as Endpoint[]) {
    test(`${ENDPOINTS[endpoint].path}: every variant is refused, never a 5xx, and nothing is written`, async () => {
      const mine = tokens.filter((t) => t.endpoints.includes(endpoint));
      expect(mine.length).toBeGreaterThan(0);
      const before = await tokenRows();
      const answers = await pool(mine, 16, async (t) => ({ t, res: await send(endpoint, t.token) }));
      const written = newRows(before, await tokenRows());

      const refusedWrongly = answers.flatMap(({ t, res }) => {
        const problem = res.status >= 500 ? "a 5xx" : ENDPOINTS[endpoint].check(res);
        return problem ? [`${t.name} → ${excerpt(res)} (${problem})`] : [];
      });
      // Name the variants each new row can belong to, by the jti it carries (the accepted ones first).
      const accepted = new Set(refusedWrongly.map((line) => line.split(" → ")[0]));
      const byJti = new Map<string, string[]>();
      for (const t of mine) {
        let jti: string;
        try {
          jti = String(payloadOf(t.token).jti).toLowerCase();
        } catch {
          continue; // not a decodable token
        }
        const names = byJti.get(jti) ?? [];
        if (accepted.has(t.name)) names.unshift(t.name);
        else names.push(t.name);
        byJti.set(jti, names);
      }
      const writes = written.map((row) => {
        const jtis = row.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi) ?? [];
        const owners = jtis.map((j) => byJti.get(j.toLowerCase())).find(Boolean);
        return `${row} ← ${owners?.join(" | ") ?? "?"}`;
      });
      expect({ refusedWrongly, writes }).toEqual({ refusedWrongly: [], writes: [] });
    });
  }
});
