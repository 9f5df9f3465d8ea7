/**
 * TARA's protocol facts shared by TIM's TARA client and the local stand-in
 * (see TARA.md): paths, scopes, levels of assurance, methods.
 */

export const TARA_PATHS = {
  discovery: "/.well-known/openid-configuration",
  legacyDiscovery: "/oidc/.well-known/openid-configuration",
  authorization: "/oidc/authorize",
  token: "/oidc/token",
  jwks: "/oidc/jwks",
  userinfo: "/oidc/profile",
} as const;

export const ACR_LEVELS = ["low", "substantial", "high"] as const;
export type AcrLevel = (typeof ACR_LEVELS)[number];

/** TARA's default (and the minimum TIM accepts without an explicit request). */
export const DEFAULT_ACR: AcrLevel = "substantial";

export function acrRank(value: unknown): number {
  return ACR_LEVELS.indexOf(value as AcrLevel);
}

export const UI_LOCALES = ["et", "en", "ru"] as const;

/** Method filter scopes and the `amr` value each lets through (compared lower-cased). */
export const METHOD_SCOPES: Readonly<Record<string, string>> = {
  idcard: "idcard",
  mid: "mid",
  smartid: "smartid",
  eidas: "eidas",
  eidasonly: "eidas",
};

const EIDAS_COUNTRY = /^eidas:country:[a-z]{2}$/;

/** True for every scope TARA knows; anything else is `invalid_scope` at TARA. */
export function isTaraScope(scope: string): boolean {
  return scope === "openid" || scope === "email" || scope === "phone" || scope in METHOD_SCOPES || EIDAS_COUNTRY.test(scope);
}

/** Whether a scope restricts the authentication method (idcard, mid, …, eidas:country:xx). */
export function isMethodScope(scope: string): boolean {
  return scope in METHOD_SCOPES || EIDAS_COUNTRY.test(scope);
}

/** The stricter of two levels; an absent one stands for TARA's default. */
export function stricterAcr(a: string | null | undefined, b: string | null | undefined): AcrLevel {
  const [x, y] = [a ?? DEFAULT_ACR, b ?? DEFAULT_ACR] as AcrLevel[];
  return acrRank(x) >= acrRank(y) ? x : y;
}

/** The `amr` values (lower-cased) a scope list allows, or undefined when it names no method (all allowed). */
export function allowedAmr(scopes: readonly string[]): Set<string> | undefined {
  const allowed = scopes.filter((s) => s in METHOD_SCOPES).map((s) => METHOD_SCOPES[s]);
  return allowed.length ? new Set(allowed) : undefined;
}

/** TARA rejects a `state` shorter than this with `invalid_state`. */
export const TARA_MIN_STATE_LENGTH = 8;
