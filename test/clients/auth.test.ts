import { describe, expect, test } from "vitest";
import { ensureBootstrapClient } from "@/lib/clients/bootstrap";
import { createApiClient } from "@/lib/clients/create";
import { apiKeyFor, hashClientSecret } from "@/lib/clients/secret";
import { SCOPES } from "@/lib/clients/scopes";
import { disableApiClient, rotateClientSecret, updateApiClient } from "@/lib/clients/update";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { useApi } from "@/test/support/use-api";
import { call, newClient, unique } from "@/test/tokens/helpers";

const api = useApi();
const url = api.url;

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
const generate = (auth?: string) => call(url("/jwt/custom/generate"), { json: { content: { sub: unique("c") }, expirationInMinutes: 5 }, auth });

function withEnv(vars: Record<string, string | undefined>) {
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetConfig();
}

describe("API client authentication", () => {
  test("the secret is shown once and stored only as an argon2id hash", async () => {
    const created = await createApiClient({ clientId: unique("stored"), name: "stored", scopes: ["tokens:issue"] });
    const prisma = await db();
    const row = await prisma.apiClient.findUniqueOrThrow({ where: { clientId: created.clientId } });
    expect(row.secretHash).toMatch(/^\$argon2id\$/);
    expect(row.secretHash).not.toContain(created.clientSecret);
    expect(created.apiKey).toBe(apiKeyFor(created.clientId, created.clientSecret));
    await expect(createApiClient({ clientId: created.clientId, name: "again", scopes: ["tokens:issue"] })).rejects.toMatchObject({
      status: 409,
    });
  });

  test("client_secret_basic and Bearer API keys both work", async () => {
    const c = await newClient({ scopes: ["tokens:issue"] });
    expect((await generate(c.basic)).status).toBe(200);
    expect((await generate(c.bearer)).status).toBe(200);
  });

  test("missing, wrong or malformed credentials → 401 with WWW-Authenticate, the same answer for unknown clients", async () => {
    const c = await newClient({ scopes: ["tokens:issue"] });
    const cases = [
      undefined,
      basic(c.clientId, "wrong-secret"),
      basic("no-such-client", c.secret),
      `Bearer ${apiKeyFor(c.clientId, "wrong")}`,
      "Bearer eyJhbGciOiJSUzI1NiJ9.e30.x",
      "Basic !!!",
      `Basic ${Buffer.from("no-colon").toString("base64")}`,
      "Digest whatever",
    ];
    for (const auth of cases) {
      const res = await generate(auth);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe("invalid_client");
      expect(res.headers.get("www-authenticate")).toBe('Basic realm="TIM", Bearer realm="TIM"');
      expect(res.text).not.toContain(c.secret);
    }
  });

  test("a missing scope → 403 insufficient_scope", async () => {
    const c = await newClient({ scopes: ["tokens:validate", "reports:read"] });
    const res = await generate(c.basic);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: "insufficient_scope", scope: "tokens:issue" });
    expect(res.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
  });

  test("verifications are cached (argon2 does not run per request) and dropped when the client changes", async () => {
    const c = await newClient({ scopes: ["tokens:issue"] });
    expect((await generate(c.basic)).status).toBe(200);
    // Replace the stored hash behind TIM's back without touching updated_at: the cached
    // verification still answers, which shows the hash is not checked on every request.
    const prisma = await db();
    await prisma.apiClient.update({ where: { clientId: c.clientId }, data: { secretHash: await hashClientSecret("other") } });
    expect((await generate(c.basic)).status).toBe(200);
    // A change through TIM bumps updated_at and drops the cache: now the new hash counts.
    await updateApiClient(c.clientId, { name: "renamed" });
    expect((await generate(c.basic)).status).toBe(401);
    expect((await generate(basic(c.clientId, "other"))).status).toBe(200);
  });

  test("scope changes and disabling take effect at once", async () => {
    const c = await newClient({ scopes: ["tokens:issue"] });
    expect((await generate(c.basic)).status).toBe(200);
    await updateApiClient(c.clientId, { scopes: ["tokens:validate"] });
    expect((await generate(c.basic)).status).toBe(403);
    await updateApiClient(c.clientId, { scopes: ["tokens:issue"] });
    expect((await generate(c.basic)).status).toBe(200);
    await disableApiClient(c.clientId);
    expect((await generate(c.basic)).status).toBe(401);
    await updateApiClient(c.clientId, { disabled: false });
    expect((await generate(c.basic)).status).toBe(200);
  });

  test("a rotated secret replaces the old one", async () => {
    const c = await newClient({ scopes: ["tokens:issue"] });
    expect((await generate(c.basic)).status).toBe(200);
    const { clientSecret, apiKey } = await rotateClientSecret(c.clientId);
    expect((await generate(c.basic)).status).toBe(401);
    expect((await generate(basic(c.clientId, clientSecret))).status).toBe(200);
    expect((await generate(`Bearer ${apiKey}`)).status).toBe(200);
  });

  test("the issuing client is recorded and its last use noted", async () => {
    const c = await newClient({ scopes: ["tokens:issue"] });
    await generate(c.basic);
    const prisma = await db();
    await expect.poll(async () => (await prisma.apiClient.findUniqueOrThrow({ where: { clientId: c.clientId } })).lastUsedAt).not.toBeNull();
  });
});

describe("bootstrap client", () => {
  test("created from the environment with every scope; idempotent; the environment's secret wins", async () => {
    const clientId = unique("bootstrap");
    withEnv({ TIM_BOOTSTRAP_CLIENT_ID: clientId, TIM_BOOTSTRAP_CLIENT_SECRET: "first-bootstrap-secret" });
    try {
      expect(await ensureBootstrapClient()).toEqual({ clientId, created: true });
      expect(await ensureBootstrapClient()).toEqual({ clientId, created: false });
      const prisma = await db();
      const row = await prisma.apiClient.findUniqueOrThrow({ where: { clientId } });
      expect([...row.scopes].sort()).toEqual([...SCOPES].sort());
      expect((await generate(basic(clientId, "first-bootstrap-secret"))).status).toBe(200);

      withEnv({ TIM_BOOTSTRAP_CLIENT_SECRET: "second-bootstrap-secret" });
      await ensureBootstrapClient();
      expect((await generate(basic(clientId, "first-bootstrap-secret"))).status).toBe(401);
      expect((await generate(basic(clientId, "second-bootstrap-secret"))).status).toBe(200);
    } finally {
      withEnv({ TIM_BOOTSTRAP_CLIENT_ID: undefined, TIM_BOOTSTRAP_CLIENT_SECRET: undefined });
    }
  });

  test("nothing without both variables", async () => {
    expect(await ensureBootstrapClient()).toBeUndefined();
  });
});

describe("TIM_API_AUTH=off", () => {
  test("anonymous callers may use the token API; tokens carry no client id", async () => {
    withEnv({ TIM_API_AUTH: "off" });
    try {
      await ensureBootstrapClient(); // logs the warning
      const res = await generate();
      expect(res.status).toBe(200);
      const jti = JSON.parse(Buffer.from(res.body.token.split(".")[1], "base64url").toString()).jti;
      const prisma = await db();
      expect((await prisma.customJwtMetadata.findUniqueOrThrow({ where: { jwtUuid: jti } })).clientId).toBeNull();
      const revoke = await call(url("/jwt/custom/revoke"), { json: { token: res.body.token } });
      expect(revoke.status).toBe(200);
      expect((await prisma.customDenylist.findUniqueOrThrow({ where: { jwtUuid: jti } })).revokedBy).toBe("anonymous");
    } finally {
      withEnv({ TIM_API_AUTH: undefined });
    }
    expect((await generate()).status).toBe(401);
  });
});
