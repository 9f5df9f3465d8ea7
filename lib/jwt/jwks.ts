import type { JSONWebKeySet } from "jose";
import { publishedKeys } from "@/lib/jwt/keys";

/** The JWKS: the next key, the active key, and retired keys whose tokens may still be live. */
export async function publicJwks(): Promise<JSONWebKeySet> {
  return { keys: await publishedKeys() };
}
