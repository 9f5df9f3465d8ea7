import { randomUUID } from "node:crypto";
import { createApiClient, type CreateClientInput } from "@/lib/clients/create";
import { SCOPES } from "@/lib/clients/scopes";
import { db } from "@/lib/db/client";
import { signJwt } from "@/lib/jwt/sign";
import { tokenHash } from "@/lib/tokens/hash";
import { insertTokenRow, signedTokenFields } from "@/test/support/token-row";

/** Test helpers for the token API: API clients and JSON/form requests over real HTTP. */

export type TestClient = { clientId: string; secret: string; basic: string; bearer: string };

export async function newClient(input: Partial<CreateClientInput> = {}): Promise<TestClient> {
  const created = await createApiClient({
    clientId: `test-${randomUUID()}`,
    name: "test client",
    scopes: [...SCOPES],
    ...input,
  });
  return {
    clientId: created.clientId,
    secret: created.clientSecret,
    basic: `Basic ${Buffer.from(`${created.clientId}:${created.clientSecret}`).toString("base64")}`,
    bearer: `Bearer ${created.apiKey}`,
  };
}

export type ApiResponse<T = Record<string, unknown>> = { status: number; body: T; headers: Headers; text: string };

export async function call<T = Record<string, any>>(
  url: string,
  opts: { method?: string; auth?: string; json?: unknown; raw?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth) headers.authorization = opts.auth;
  let body: string | undefined;
  if (opts.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(opts.form).toString();
  } else if (opts.json !== undefined || opts.raw !== undefined) {
    headers["content-type"] ??= "application/json";
    body = opts.raw ?? JSON.stringify(opts.json);
  }
  const res = await fetch(url, { method: opts.method ?? (body === undefined ? "GET" : "POST"), headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (text/plain answers, empty bodies)
  }
  return { status: res.status, body: parsed as T, headers: res.headers, text };
}

export const unique = (prefix: string) => `${prefix}-${randomUUID()}`;

/** The decoded payload of a compact JWT (no verification; the tests check signatures elsewhere). */
export function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

/**
 * A TIM TARA JWT as the TARA login records it (token + tara.jwt_metadata row),
 * so the shared validation, introspection and revocation paths can be tested
 * without running a login.
 */
export async function taraTokenFixture(opts: { allowlist?: "none" | "live" | "expired"; iat?: number; exp?: number; authTime?: number } = {}) {
  const iat = opts.iat ?? Math.floor(Date.now() / 1000);
  const jti = randomUUID();
  const sub = `EE${Math.floor(Math.random() * 1e11)}`;
  const payload = {
    sub,
    given_name: "MARY ÄNN",
    family_name: "O’CONNEŽ-ŠUSLIK TESTNUMBER",
    amr: ["mID"],
    acr: "high",
    sid: randomUUID(),
    iss: "TIM",
    aud: "tim-audience",
    iat,
    exp: opts.exp ?? iat + 3600,
    jti,
    token_type: "tara_jwt",
    auth_time: opts.authTime ?? iat,
  };
  const token = await signJwt(payload);
  const prisma = await db();
  await insertTokenRow("tara", {
    ...signedTokenFields(token, payload),
    jwtName: "TIM_TARA_JWT",
    sessionId: payload.sid,
    givenName: payload.given_name,
    familyName: payload.family_name,
  });
  if (opts.allowlist && opts.allowlist !== "none") {
    await prisma.taraAllowlist.create({
      data: {
        jwtHash: tokenHash(token),
        jwtUuid: jti,
        expiresAt: new Date(opts.allowlist === "live" ? payload.exp * 1000 : Date.now() - 1000),
      },
    });
  }
  return { token, jti, sub, payload };
}

/** A custom token that expired a minute ago, with its metadata row (the API cannot issue one), issued by `clientId`. */
export async function expiredCustomToken(sub: string, clientId: string | null = null) {
  const iat = Math.floor(Date.now() / 1000) - 3600;
  const jti = randomUUID();
  const payload = { sub, iss: "TIM", aud: "tim-audience", iat, exp: iat + 3540, jti, token_type: "custom_jwt" };
  const token = await signJwt(payload);
  await insertTokenRow("custom", { ...signedTokenFields(token, payload), claimKeys: "sub", jwtName: "EXPIRED", clientId });
  return { token, jti };
}

/** The token with its signature's last characters changed. */
export function forged(token: string): string {
  const [h, p, s] = token.split(".");
  return `${h}.${p}.${s.slice(0, -6)}${s.slice(-6) === "AAAAAA" ? "BBBBBB" : "AAAAAA"}`;
}
