import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { signJwt } from "@/lib/jwt/sign";
import { introspectToken } from "@/lib/tokens/introspect";
import { knownRecorded } from "@/lib/tokens/recorded";
import { validateToken } from "@/lib/tokens/validate";
import { startTestServer, type TestServer } from "@/test/support/http";
import { insertTokenRow } from "@/test/support/token-row";
import { call, claimsOf, newClient, unique, type TestClient } from "@/test/tokens/helpers";

/** Issue 12 §3: extension and revocation stay inside the calling client's grant; validation agrees with introspection. */

let server: TestServer;
let url: (path: string) => string;
/** Issues and revokes its own tokens only; limited to audience svc-a and 60 minutes. */
let owner: TestClient;
/** The same scopes as owner, no audience limit: another client. */
let stranger: TestClient;
/** Holds tokens:revoke:any. */
let admin: TestClient;

beforeAll(async () => {
  server = await startTestServer();
  url = (p) => `${server.url}${p}`;
  const own = ["tokens:issue", "tokens:revoke", "tokens:validate", "tokens:introspect"] as const;
  owner = await newClient({ scopes: [...own], allowedAudiences: ["svc-a"], maxLifetimeMinutes: 60 });
  stranger = await newClient({ scopes: [...own] });
  admin = await newClient({ scopes: [...own, "tokens:revoke:any"] });
});
afterAll(async () => server.close());

async function issue(by: TestClient, audience?: string, sub = unique("g")): Promise<string> {
  const res = await call(url("/jwt/custom/generate"), {
    json: { content: { sub }, expirationInMinutes: 30, ...(audience ? { audience } : {}) },
    auth: by.basic,
  });
  expect(res.status).toBe(200);
  return res.body.token;
}

/** What the database holds about a token: its denylist row and the number of rows of its chain. */
async function written(token: string) {
  const prisma = await db();
  const { jti } = claimsOf(token);
  return {
    denied: await prisma.customDenylist.count({ where: { jwtUuid: jti } }),
    chain: await prisma.customJwtMetadata.count({ where: { originalJwtUuid: jti } }),
  };
}

describe("extension applies the calling client's policy and ownership", () => {
  test("an audience-limited client cannot extend another client's token for a foreign audience (403, nothing written)", async () => {
    const token = await issue(stranger, "svc-b");
    const res = await call(url("/jwt/custom/extend"), { json: { token, expirationInMinutes: 30 }, auth: owner.basic });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe("audience_not_allowed");
    expect(await written(token)).toEqual({ denied: 0, chain: 1 });
  });

  test("nor beyond its maximum lifetime (400), even for its own token", async () => {
    const token = await issue(owner, "svc-a");
    const res = await call(url("/jwt/custom/extend"), { json: { token, expirationInMinutes: 61 }, auth: owner.basic });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/maximum of 60 minutes/);
    expect(await written(token)).toEqual({ denied: 0, chain: 1 });
  });

  test("a token of another client, for an allowed audience: 403 token_not_owned, the old token stays valid", async () => {
    const token = await issue(stranger, "svc-a");
    const res = await call(url("/jwt/custom/extend"), { json: { token, expirationInMinutes: 30 }, auth: owner.basic });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe("token_not_owned");
    expect(await written(token)).toEqual({ denied: 0, chain: 1 });
    expect((await validateToken({ token })).status).toBe(200);
  });

  test("own tokens extend; tokens:revoke:any extends anyone's", async () => {
    const own = await issue(owner, "svc-a");
    expect((await call(url("/jwt/custom/extend"), { json: { token: own, expirationInMinutes: 30 }, auth: owner.basic })).status).toBe(200);
    const theirs = await issue(stranger);
    expect((await call(url("/jwt/custom/extend"), { json: { token: theirs }, auth: admin.basic })).status).toBe(200);
    expect(await written(theirs)).toEqual({ denied: 1, chain: 2 });
  });
});

describe("revocation ends only the client's own tokens unless it holds tokens:revoke:any", () => {
  test("/jwt/custom/revoke: 403 token_not_owned for another client's token, nothing written; own and :any → 200", async () => {
    const theirs = await issue(stranger);
    const res = await call(url("/jwt/custom/revoke"), { json: { token: theirs }, auth: owner.basic });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: "token_not_owned", reason: "Token not issued by this client" });
    expect(await written(theirs)).toEqual({ denied: 0, chain: 1 });
    expect((await call(url("/jwt/custom/revoke"), { json: { token: theirs }, auth: stranger.basic })).status).toBe(200);
    const another = await issue(stranger);
    expect((await call(url("/jwt/custom/revoke"), { json: { token: another }, auth: admin.basic })).status).toBe(200);
  });

  test("concurrent revocations of one token by its owner and by a stranger: the stranger is refused in the same group", async () => {
    const tokens = await Promise.all(Array.from({ length: 6 }, () => issue(stranger)));
    const answers = await Promise.all(
      tokens.flatMap((token) => [
        call(url("/jwt/custom/revoke"), { json: { token }, auth: owner.basic }),
        call(url("/jwt/custom/revoke"), { json: { token }, auth: stranger.basic }),
      ]),
    );
    expect(answers.map((a) => a.status)).toEqual(tokens.flatMap(() => [403, 200]));
    for (const token of tokens) expect((await written(token)).denied).toBe(1);
  });

  test("/revoke/bulk reports another client's tokens per token; all of them foreign → 403", async () => {
    const own = await issue(owner, "svc-a");
    const theirs = await issue(stranger);
    const mixed = await call(url("/jwt/custom/revoke/bulk"), { json: { tokens: [theirs, own, "garbage"] }, auth: owner.basic });
    expect(mixed.status).toBe(207);
    expect(mixed.body).toMatchObject({
      total: 3,
      newly_revoked: 1,
      failed: 2,
      not_owned: 1,
      newly_revoked_ids: [claimsOf(own).jti],
      failures: [
        { index: 0, reason: "Token not issued by this client" },
        { index: 2, reason: "Malformed token" },
      ],
    });
    expect(await written(theirs)).toEqual({ denied: 0, chain: 1 });
    const foreign = await call(url("/jwt/custom/revoke/bulk"), { json: { tokens: [theirs] }, auth: owner.basic });
    expect(foreign.status).toBe(403);
    expect(await written(theirs)).toEqual({ denied: 0, chain: 1 });
    expect((await call(url("/jwt/custom/revoke/bulk"), { json: { tokens: [theirs] }, auth: admin.basic })).status).toBe(200);
  });

  test("RFC 7009 /revoke: another client's token → 400 unauthorized_client, nothing written; an invalid token still → 200", async () => {
    const theirs = await issue(stranger);
    const res = await call(url("/revoke"), { form: { token: theirs }, auth: owner.basic });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: "unauthorized_client", error_description: expect.any(String) });
    expect(await written(theirs)).toEqual({ denied: 0, chain: 1 });
    expect((await call(url("/revoke"), { form: { token: "garbage" }, auth: owner.basic })).status).toBe(200);
    expect((await call(url("/revoke"), { form: { token: theirs }, auth: stranger.basic })).status).toBe(200);
    expect(await written(theirs)).toEqual({ denied: 1, chain: 1 });
  });
});

describe("list/me shows only tokens the bearer token's own client issued", () => {
  test("a token minted by another client for the same sub reveals nothing of the first client's tokens", async () => {
    const sub = unique("victim");
    const ownTokens = [await issue(owner, "svc-a", sub), await issue(owner, "svc-a", sub)];
    const impostor = await issue(stranger, undefined, sub);
    const list = async (bearer: string) => {
      const res = await call(url("/jwt/custom/list/me"), { method: "POST", auth: `Bearer ${bearer}` });
      expect(res.status).toBe(200);
      return (res.body.tokens as { jwt_uuid: string }[]).map((t) => t.jwt_uuid).sort();
    };
    expect(await list(impostor)).toEqual([claimsOf(impostor).jti]);
    expect(await list(ownTokens[0])).toEqual(ownTokens.map((t) => claimsOf(t).jti).sort());
  });
});

describe("validation pins the issuer, refuses future iat and agrees with introspection", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const signed = (extra: Record<string, unknown>) =>
    signJwt({ sub: unique("s"), aud: "tim-audience", iss: "TIM", iat: now(), exp: now() + 600, jti: randomUUID(), token_type: "custom_jwt", ...extra });
  const both = async (token: string) => ({
    validate: (await validateToken({ token })).body.reason,
    introspect: (await introspectToken(token)).active,
  });

  test("a TIM-signed token with a foreign issuer: refused by both, also when the caller names that issuer", async () => {
    const token = await signed({ iss: "https://evil.example" });
    expect(await both(token)).toEqual({ validate: "Invalid issuer", introspect: false });
    expect((await validateToken({ token, issuer: "https://evil.example" })).body.reason).toBe("Invalid issuer");
  });

  test("iat further ahead than TIM_CLOCK_SKEW_SECONDS is refused; within it, accepted", async () => {
    const future = await signed({ iat: now() + 120 });
    expect((await validateToken({ token: future })).body.reason).toBe("Token not yet valid");
    const issued = await issue(stranger);
    expect((await validateToken({ token: issued })).status).toBe(200);
  });

  test("sync mode: a TIM-signed token without a metadata row is refused by both", async () => {
    const token = await signed({});
    expect(await both(token)).toEqual({ validate: "Token not found", introspect: false });
    // the same token on the other paths that check tokens
    const list = await call(url("/jwt/custom/list/me"), { method: "POST", auth: `Bearer ${token}` });
    expect(list.status).toBe(401);
  });

  test("async mode: a row may still be on its way, so both accept the token (active, without metadata)", async () => {
    const token = await signed({});
    process.env.TIM_METADATA_WRITE_MODE = "async";
    resetConfig();
    try {
      expect((await validateToken({ token })).status).toBe(200);
      expect(await introspectToken(token)).toMatchObject({ active: true, jti: claimsOf(token).jti });
    } finally {
      delete process.env.TIM_METADATA_WRITE_MODE;
      resetConfig();
    }
  });

  test("the row check costs no lookup for rows this process knows: written here, or read once", async () => {
    const issued = await issue(stranger);
    expect(knownRecorded("custom", claimsOf(issued).jti)).toBe(true);
    // a row this process did not write (as another instance would): looked up with the denylist check once, then known
    const fresh = await signed({});
    const c = claimsOf(fresh);
    await insertTokenRow("custom", {
      jwtUuid: c.jti,
      claimKeys: "sub",
      issuedAt: new Date(c.iat * 1000),
      expiresAt: new Date(c.exp * 1000),
      subject: c.sub,
      claimsJson: c,
      tokenHash: unique("hash"),
    });
    expect(knownRecorded("custom", c.jti)).toBe(false);
    expect((await validateToken({ token: fresh })).status).toBe(200);
    expect(knownRecorded("custom", c.jti)).toBe(true);
  });
});
