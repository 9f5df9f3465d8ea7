import { config } from "@/lib/config/env";
import { TimError } from "@/lib/http/errors";
import { isMethodScope, isTaraScope, type AcrLevel } from "@/lib/tara/protocol";

export type TaraClientAuthMethod = "client_secret_basic" | "client_secret_post";

export type TaraSettings = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  clientAuthMethod: TaraClientAuthMethod;
  redirectUri: string;
  scopes: string[];
  acr?: AcrLevel;
  clockSkewSeconds: number;
  timeoutMs: number;
  jwtTtlMinutes: number;
  standIn: boolean;
};

/** Whether TARA login is configured (directly or through the stand-in start-up sets up). */
export function taraConfigured(): boolean {
  const cfg = config();
  return Boolean(cfg.TARA_ISSUER && cfg.TARA_CLIENT_ID && cfg.TARA_CLIENT_SECRET && cfg.TARA_REDIRECT_URI);
}

/** TARA settings from the environment; 503 `tara_not_configured` when incomplete. */
export function taraSettings(): TaraSettings {
  const cfg = config();
  if (!taraConfigured()) {
    throw new TimError("tara_not_configured", "TARA login is not configured: set TARA_ISSUER, TARA_CLIENT_ID, TARA_CLIENT_SECRET and TARA_REDIRECT_URI.");
  }
  const scopes = [...new Set(["openid", ...cfg.TARA_SCOPES.split(/[\s,]+/).filter(Boolean)])];
  const unknown = scopes.filter((s) => !isTaraScope(s));
  if (unknown.length) {
    throw new TimError("tara_not_configured", `TARA_SCOPES holds scopes TARA does not know: ${unknown.join(" ")}.`);
  }
  return {
    // TARA's issuer has no trailing slash; tolerate one in the setting.
    issuer: cfg.TARA_ISSUER!.replace(/\/+$/, ""),
    clientId: cfg.TARA_CLIENT_ID!,
    clientSecret: cfg.TARA_CLIENT_SECRET!,
    clientAuthMethod: cfg.TARA_CLIENT_AUTH_METHOD,
    redirectUri: cfg.TARA_REDIRECT_URI!,
    scopes,
    acr: cfg.TARA_ACR,
    clockSkewSeconds: cfg.TARA_CLOCK_SKEW_SECONDS,
    timeoutMs: cfg.TARA_TIMEOUT_MS,
    jwtTtlMinutes: cfg.TARA_JWT_TTL_MINUTES,
    standIn: cfg.TIM_TARA_STAND_IN,
  };
}

/** The path of TIM's TARA callback: the only path the state-binding cookie is sent to. */
export function callbackPath(settings: Pick<TaraSettings, "redirectUri">): string {
  return new URL(settings.redirectUri).pathname;
}

/** The method scopes TARA_SCOPES limits logins to; empty: any method. */
export function configuredMethods(settings: Pick<TaraSettings, "scopes">): string[] {
  return settings.scopes.filter(isMethodScope);
}
