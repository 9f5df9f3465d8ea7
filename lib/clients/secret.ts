import { randomBytes } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";

/** A new client secret: 32 random bytes, base64url. */
export function newClientSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** argon2id with the library's defaults (OWASP minimum: 19 MiB, t=2). */
export function hashClientSecret(secret: string): Promise<string> {
  return hash(secret);
}

export async function verifyClientSecret(secretHash: string, secret: string): Promise<boolean> {
  try {
    return await verify(secretHash, secret);
  } catch {
    return false;
  }
}

/**
 * The API key form of a client's credentials, for `Authorization: Bearer`:
 * `tim_` + base64url("client_id:secret").
 */
export function apiKeyFor(clientId: string, secret: string): string {
  return `tim_${Buffer.from(`${clientId}:${secret}`).toString("base64url")}`;
}
