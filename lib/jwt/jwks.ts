import type { JSONWebKeySet } from "jose";
import { JWKS_MAX_AGE_S } from "@/lib/jwt/key-store";
import { publishedKeys } from "@/lib/jwt/keys";

/** How long verifiers may cache the JWKS; "Rotate now" publishes a key longer than this before it signs. */
export const JWKS_CACHE_CONTROL = `public, max-age=${JWKS_MAX_AGE_S}`;

/** The JWKS: the next key, the active key, and retired keys whose tokens may still be live. */
export async function publicJwks(): Promise<JSONWebKeySet> {
  return { keys: await publishedKeys() };
}
