import { randomUUID } from "node:crypto";
import { createApiClient, type CreateClientInput } from "@/lib/clients/create";
import { SCOPES } from "@/lib/clients/scopes";

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
