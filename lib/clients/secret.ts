import { randomBytes } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";
import { TimError } from "@/lib/http/errors";

/**
 * argon2 verifications run one at a time with a short queue: a flood of wrong
 * secrets then uses one core at most and is refused quickly once the queue is
 * full, while callers whose secret is already verified (cached) never wait.
 */
const MAX_RUNNING = 1;
const MAX_WAITING = 32;
let running = 0;
const waiting: (() => void)[] = [];

/** A new client secret: 32 random bytes, base64url. */
export function newClientSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** argon2id with the library's defaults (OWASP minimum: 19 MiB, t=2). */
export function hashClientSecret(secret: string): Promise<string> {
  return hash(secret);
}

export async function verifyClientSecret(secretHash: string, secret: string): Promise<boolean> {
  if (running < MAX_RUNNING) running++;
  else if (waiting.length >= MAX_WAITING) {
    throw new TimError("busy", "Too many client secret checks are waiting; try again shortly.", {}, { "retry-after": "1" });
  } else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await verify(secretHash, secret);
  } catch {
    return false;
  } finally {
    // The slot passes straight to the next waiter, so `running` counts it still.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

/**
 * The API key form of a client's credentials, for `Authorization: Bearer`:
 * `tim_` + base64url("client_id:secret").
 */
export function apiKeyFor(clientId: string, secret: string): string {
  return `tim_${Buffer.from(`${clientId}:${secret}`).toString("base64url")}`;
}
