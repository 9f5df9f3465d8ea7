import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from "jose";
import { z } from "zod";
import { fetchTara, taraUnavailable } from "@/lib/tara/http";
import { TARA_PATHS } from "@/lib/tara/protocol";
import type { TaraSettings } from "@/lib/tara/settings";

const discoverySchema = z.object({
  issuer: z.string(),
  authorization_endpoint: z.string().url(),
  token_endpoint: z.string().url(),
  jwks_uri: z.string().url(),
});

export type TaraEndpoints = { authorization: string; token: string; jwks: string };

/** Discovery documents are re-read hourly; TARA's endpoints do not move. */
const DISCOVERY_TTL_MS = 60 * 60 * 1000;
/** TARA.md: cache the JWKS between 5 minutes and 24 hours; an unknown kid refetches. */
const JWKS_CACHE_MS = 10 * 60 * 1000;
/**
 * An unknown kid refetches at most this often. Short, since every ID token TIM checks came from TARA's token
 * endpoint (no caller can make TIM look up a kid of its choosing): the first login after TARA switches to its new
 * key (§5.4) must not wait out jose's default 30 s.
 */
const JWKS_REFETCH_COOLDOWN_MS = 2_000;

const SLOT = Symbol.for("tim.tara.discovery");
type Cache = {
  endpoints: Map<string, { value: TaraEndpoints; at: number }>;
  jwks: Map<string, JWTVerifyGetKey>;
};
const cache: Cache = ((globalThis as Record<symbol, unknown>)[SLOT] ??= {
  endpoints: new Map(),
  jwks: new Map(),
}) as Cache;

/** TARA's endpoints from its discovery document (cached); the issuer must match exactly. */
export async function taraEndpoints(settings: Pick<TaraSettings, "issuer" | "timeoutMs">): Promise<TaraEndpoints> {
  const cached = cache.endpoints.get(settings.issuer);
  if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.value;
  const res = await fetchTara(settings.issuer + TARA_PATHS.discovery, {}, settings.timeoutMs, "discovery");
  if (!res.ok) throw taraUnavailable(`discovery answered ${res.status}`);
  const parsed = discoverySchema.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success || parsed.data.issuer !== settings.issuer) throw taraUnavailable("discovery document");
  const value = {
    authorization: parsed.data.authorization_endpoint,
    token: parsed.data.token_endpoint,
    jwks: parsed.data.jwks_uri,
  };
  cache.endpoints.set(settings.issuer, { value, at: Date.now() });
  return value;
}

/** TARA's signing keys, fetched from its JWKS and cached; selected by the ID token's kid. */
export function taraKeys(jwksUri: string, timeoutMs: number): JWTVerifyGetKey {
  let keys = cache.jwks.get(jwksUri);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(jwksUri), {
      cacheMaxAge: JWKS_CACHE_MS,
      cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
      timeoutDuration: timeoutMs,
      // Through TIM's TARA transport, so TARA_CA_FILE holds for the keys too (spec §5.1.2: all endpoints).
      [customFetch]: (url, init) => fetchTara(url, { method: init.method, headers: init.headers }, timeoutMs, "JWKS"),
    });
    cache.jwks.set(jwksUri, keys);
  }
  return keys;
}
