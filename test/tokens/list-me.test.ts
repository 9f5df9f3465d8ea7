import { beforeAll, describe, expect, test } from "vitest";
import { useApi } from "@/test/support/use-api";
import { call, claimsOf, expiredCustomToken, forged, unique } from "@/test/tokens/helpers";

const api = useApi();
const url = api.url;

const sub = unique("lister");
const tokens: string[] = [];
let expiredJti: string;

beforeAll(async () => {
  // five tokens for the subject, named alternately, one of them revoked, plus one expired; others' tokens around
  for (let i = 0; i < 5; i++) {
    const res = await call(url("/jwt/custom/generate"), {
      json: { JWTName: i % 2 ? "ODD" : "EVEN", content: { sub, i }, expirationInMinutes: 30 + i },
      auth: api.client.basic,
    });
    tokens.push(res.body.token);
  }
  await call(url("/jwt/custom/revoke"), { json: { token: tokens[1], reason: "lost laptop" }, auth: api.client.basic });
  expiredJti = (await expiredCustomToken(sub, api.client.clientId)).jti;
  await call(url("/jwt/custom/generate"), {
    json: { JWTName: "ODD", content: { sub: unique("someone-else") }, expirationInMinutes: 30 },
    auth: api.client.basic,
  });
});

const listMe = (json?: unknown, bearer = tokens[0]) =>
  call(url("/jwt/custom/list/me"), json === undefined ? { method: "POST", auth: `Bearer ${bearer}` } : { json, auth: `Bearer ${bearer}` });

describe("POST /jwt/custom/list/me", () => {
  test("the caller's tokens only, newest first, with status and revocation details", async () => {
    const res = await listMe();
    expect(res.status).toBe(200);
    expect(res.body.subject).toBe(sub);
    const items = res.body.tokens as Record<string, any>[];
    expect(items).toHaveLength(6);
    expect(res.body.pagination).toMatchObject({ total: 6, limit: 20, has_more: false, next_cursor: null });
    for (const t of items) expect(t.subject).toBe(sub);
    for (let i = 1; i < items.length; i++) expect(Date.parse(items[i - 1].issued_at)).toBeGreaterThanOrEqual(Date.parse(items[i].issued_at));
    expect(items[items.length - 1].jwt_uuid).toBe(expiredJti);

    const byJti = new Map(items.map((t) => [t.jwt_uuid, t]));
    const revoked = byJti.get(claimsOf(tokens[1]).jti)!;
    expect(revoked).toMatchObject({ status: "revoked", revocation_reason: "lost laptop", jwt_name: "ODD" });
    expect(Date.parse(revoked.revoked_at)).not.toBeNaN();
    expect(byJti.get(expiredJti)).toMatchObject({ status: "expired", revoked_at: null, revocation_reason: null });
    expect(byJti.get(claimsOf(tokens[0]).jti)).toMatchObject({
      status: "active",
      jwt_name: "EVEN",
      audience: "tim-audience",
      audiences: ["tim-audience"],
      issuer: "TIM",
      claim_keys: ["sub", "i"],
      supersedes: null,
    });
  });

  test("filters: status, jwtName, issued and expiry windows", async () => {
    const status = async (s: string) => (await listMe({ status: s })).body.tokens.map((t: { status: string }) => t.status);
    expect(await status("active")).toEqual(["active", "active", "active", "active"]);
    expect(await status("revoked")).toEqual(["revoked"]);
    expect(await status("expired")).toEqual(["expired"]);
    const odd = await listMe({ jwtName: "ODD" });
    expect(odd.body.tokens.map((t: { jwt_uuid: string }) => t.jwt_uuid).sort()).toEqual([claimsOf(tokens[1]).jti, claimsOf(tokens[3]).jti].sort());
    expect(odd.body.pagination.total).toBe(2);
    const recent = await listMe({ issuedAfter: new Date(Date.now() - 30 * 60_000).toISOString() });
    expect(recent.body.pagination.total).toBe(5);
    const old = await listMe({ issuedBefore: new Date(Date.now() - 30 * 60_000).toISOString() });
    expect(old.body.tokens.map((t: { jwt_uuid: string }) => t.jwt_uuid)).toEqual([expiredJti]);
    const late = await listMe({ expiresAfter: new Date(Date.now() + 33 * 60_000).toISOString() });
    expect(late.body.pagination.total).toBe(1);
    const early = await listMe({ expiresBefore: new Date().toISOString() });
    expect(early.body.pagination.total).toBe(1);
  });

  test("limit and cursor page through everything exactly once", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await listMe({ limit: 2, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      expect(res.body.pagination.total).toBe(6);
      seen.push(...res.body.tokens.map((t: { jwt_uuid: string }) => t.jwt_uuid));
      cursor = res.body.pagination.next_cursor ?? undefined;
      expect(res.body.pagination.has_more).toBe(cursor !== undefined);
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(6);
  });

  test("bad filters → 400", async () => {
    for (const body of [
      { limit: 101 },
      { limit: 0 },
      { status: "gone" },
      { issuedAfter: "yesterday-ish" },
      { cursor: "nonsense" },
      { page: -1 },
      { size: 101 },
      { page: 1, cursor: "x" },
    ]) {
      const res = await listMe(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe("invalid_request");
    }
  });

  test("no, forged, expired or revoked bearer token → 401 with WWW-Authenticate", async () => {
    const none = await call(url("/jwt/custom/list/me"), { json: {} });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    expect((await listMe({}, forged(tokens[0]))).status).toBe(401);
    expect((await listMe({}, tokens[1])).body).toMatchObject({ error: "invalid_token", reason: "Token revoked" });
    const { token: expired } = await expiredCustomToken(sub);
    expect((await listMe({}, expired)).status).toBe(401);
    // an API key is not a token of one's own
    expect((await call(url("/jwt/custom/list/me"), { json: {}, auth: api.client.bearer })).status).toBe(401);
  });
});
