/**
 * TIM as an OAuth authorization server for standard clients from npm, over
 * real HTTP: panva's oauth4webapi and openid-client discover TIM (RFC 8414),
 * introspect (RFC 7662, and RFC 9701 signed answers) and revoke (RFC 7009)
 * with client_secret_basic and client_secret_post, using secrets that hold
 * characters RFC 6749 §2.3.1 has them form-encode.
 */
import * as oauth from "oauth4webapi";
import * as client from "openid-client";
import { beforeAll, describe, expect, test } from "vitest";
import { hashClientSecret } from "@/lib/clients/secret";
import { db } from "@/lib/db/client";
import { useApi } from "@/test/support/use-api";
import { call, newClient } from "@/test/tokens/helpers";

const api = useApi();
let issuer: URL;

/** Characters oauth4webapi and openid-client encode before Basic (`-` → %2D, space → +, `:` → %3A) and `+`/`%` themselves. */
const AWKWARD_SECRET = "s3cret-with_odd.chars~ and:colon+plus%percent/é!*'()";

async function clientWithSecret(secret: string, scopes: ("tokens:issue" | "tokens:introspect" | "tokens:revoke")[]) {
  const c = await newClient({ scopes });
  const prisma = await db();
  await prisma.apiClient.update({ where: { clientId: c.clientId }, data: { secretHash: await hashClientSecret(secret) } });
  return { clientId: c.clientId, secret };
}

/** A custom token issued to `owner` (RFC 7009 revocation is of a client's own tokens). */
async function issueToken(owner: { clientId: string; secret: string }): Promise<string> {
  const res = await call(`${api.server.url}/jwt/custom/generate`, {
    auth: `Basic ${Buffer.from(`${owner.clientId}:${owner.secret}`).toString("base64")}`,
    json: { content: { sub: "standard-client-subject" }, expirationInMinutes: 5 },
  });
  expect(res.status).toBe(200);
  return res.body.token as string;
}

const insecure = { [oauth.allowInsecureRequests]: true };

beforeAll(async () => {
  issuer = new URL(api.server.url);
});

describe("RFC 8414 metadata", () => {
  test("oauth4webapi discovers TIM and finds its endpoints, auth methods and scopes", async () => {
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...insecure }));
    expect(as.issuer).toBe(issuer.origin);
    expect(as.introspection_endpoint).toBe(`${issuer.origin}/introspect`);
    expect(as.revocation_endpoint).toBe(`${issuer.origin}/revoke`);
    expect(as.jwks_uri).toBe(`${issuer.origin}/jwt/keys/public`);
    expect(as.introspection_endpoint_auth_methods_supported).toEqual(["client_secret_basic", "client_secret_post"]);
    expect(as.revocation_endpoint_auth_methods_supported).toEqual(["client_secret_basic", "client_secret_post"]);
    expect(as.scopes_supported).toContain("tokens:introspect");
    expect(as.grant_types_supported).toEqual([]);
    expect(as.introspection_signing_alg_values_supported).toContain("RS256");
    const jwks = await call(as.jwks_uri!);
    expect((jwks.body.keys as unknown[]).length).toBeGreaterThan(0);
  });
});

describe.each([
  ["client_secret_basic", (secret: string) => oauth.ClientSecretBasic(secret)],
  ["client_secret_post", (secret: string) => oauth.ClientSecretPost(secret)],
])("oauth4webapi with %s", (_method, auth) => {
  test("introspects (JSON and RFC 9701 JWT) and revokes with a secret that needs encoding", async () => {
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...insecure }));
    const rs = await clientWithSecret(AWKWARD_SECRET, ["tokens:issue", "tokens:introspect", "tokens:revoke"]);
    const c: oauth.Client = { client_id: rs.clientId };
    const token = await issueToken(rs);

    const active = await oauth.processIntrospectionResponse(as, c, await oauth.introspectionRequest(as, c, auth(rs.secret), token, insecure));
    expect(active).toMatchObject({ active: true, sub: "standard-client-subject", token_type: "custom_jwt" });

    const jwtAnswer = await oauth.introspectionRequest(as, c, auth(rs.secret), token, { requestJwtResponse: true, ...insecure });
    expect(jwtAnswer.headers.get("content-type")).toBe("application/token-introspection+jwt");
    const signed = await oauth.processIntrospectionResponse(as, c, jwtAnswer);
    expect(signed).toMatchObject({ active: true, sub: "standard-client-subject" });
    // The signature, checked against TIM's published keys (jwks_uri).
    await oauth.validateApplicationLevelSignature(as, jwtAnswer, insecure);

    const revoked = await oauth.revocationRequest(as, c, auth(rs.secret), token, insecure);
    await oauth.processRevocationResponse(revoked);
    const after = await oauth.processIntrospectionResponse(as, c, await oauth.introspectionRequest(as, c, auth(rs.secret), token, insecure));
    expect(after).toEqual({ active: false });
  });

  test("a wrong secret is refused with 401 invalid_client", async () => {
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...insecure }));
    const rs = await clientWithSecret(AWKWARD_SECRET, ["tokens:introspect"]);
    const c: oauth.Client = { client_id: rs.clientId };
    const res = await oauth.introspectionRequest(as, c, auth(`${rs.secret}x`), "whatever", insecure);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "invalid_client" });
  });
});

describe("openid-client", () => {
  test.each([
    ["client_secret_post (its default)", undefined],
    ["client_secret_basic", client.ClientSecretBasic(AWKWARD_SECRET)],
  ])("discovers, introspects and revokes with %s", async (_name, clientAuth) => {
    const rs = await clientWithSecret(AWKWARD_SECRET, ["tokens:issue", "tokens:introspect", "tokens:revoke"]);
    const config = await client.discovery(issuer, rs.clientId, AWKWARD_SECRET, clientAuth, {
      algorithm: "oauth2",
      execute: [client.allowInsecureRequests],
    });
    const token = await issueToken(rs);
    expect(await client.tokenIntrospection(config, token)).toMatchObject({ active: true, sub: "standard-client-subject" });
    await client.tokenRevocation(config, token);
    expect(await client.tokenIntrospection(config, token)).toEqual({ active: false });
  });
});

describe("client authentication edges", () => {
  const introspect = (init: { headers?: Record<string, string>; body: string }) =>
    fetch(`${api.server.url}/introspect`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...init.headers },
      body: init.body,
    });
  const basicOf = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

  test("a Basic secret sent without form-encoding still works, literal + and % included", async () => {
    const rs = await clientWithSecret("raw+secret%with-specials", ["tokens:introspect"]);
    const res = await introspect({ headers: { authorization: basicOf(rs.clientId, rs.secret) }, body: "token=x" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ active: false });
  });

  test("the same secret form-encoded works too", async () => {
    const rs = await clientWithSecret("raw+secret%with-specials", ["tokens:introspect"]);
    const encoded = encodeURIComponent(rs.secret).replace(/-/g, "%2D");
    const res = await introspect({ headers: { authorization: basicOf(rs.clientId, encoded) }, body: "token=x" });
    expect(res.status).toBe(200);
  });

  test("client_secret_post and a Basic header at once is a 400; a post without client_id a 401", async () => {
    const rs = await clientWithSecret(AWKWARD_SECRET, ["tokens:introspect"]);
    const body = new URLSearchParams({ token: "x", client_id: rs.clientId, client_secret: rs.secret }).toString();
    const both = await introspect({ headers: { authorization: basicOf(rs.clientId, rs.secret) }, body });
    expect(both.status).toBe(400);
    expect(await both.json()).toMatchObject({ error: "invalid_request" });
    const noId = await introspect({ body: new URLSearchParams({ token: "x", client_secret: rs.secret }).toString() });
    expect(noId.status).toBe(401);
    expect(await noId.json()).toMatchObject({ error: "invalid_client" });
    const noCredentials = await introspect({ body: "token=x" });
    expect(noCredentials.status).toBe(401);
    expect(noCredentials.headers.get("www-authenticate")).toContain("Basic");
  });

  test("posted credentials of a client without the scope: 403; a JSON body's client_secret is not a credential", async () => {
    const rs = await clientWithSecret(AWKWARD_SECRET, ["tokens:issue"]);
    const res = await introspect({ body: new URLSearchParams({ token: "x", client_id: rs.clientId, client_secret: rs.secret }).toString() });
    expect(res.status).toBe(403);
    const asJson = await fetch(`${api.server.url}/introspect`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: "x", client_id: rs.clientId, client_secret: rs.secret }),
    });
    expect(asJson.status).toBe(401);
  });

  test("Accept without the JWT type, or with q=0, gets JSON", async () => {
    const rs = await clientWithSecret(AWKWARD_SECRET, ["tokens:introspect"]);
    const body = new URLSearchParams({ token: "x", client_id: rs.clientId, client_secret: rs.secret }).toString();
    for (const accept of ["application/json", "application/token-introspection+jwt;q=0, application/json"]) {
      const res = await introspect({ headers: { accept }, body });
      expect(res.headers.get("content-type")).toContain("application/json");
      expect(await res.json()).toEqual({ active: false });
    }
  });
});
