import { z } from "zod";

/** What an API client may do. `reports:read` is for the reporting API. */
export const SCOPES = ["tokens:issue", "tokens:validate", "tokens:revoke", "tokens:introspect", "reports:read"] as const;
export type Scope = (typeof SCOPES)[number];
export const scopeSchema = z.enum(SCOPES);

/** The caller of the token API: an authenticated client, or anyone when TIM_API_AUTH=off. */
export type ApiCaller = {
  /** null for anonymous callers (TIM_API_AUTH=off). */
  clientId: string | null;
  scopes: readonly Scope[];
  /** Empty: any audience. */
  allowedAudiences: readonly string[];
  /** null: no limit beyond TIM's own. */
  maxLifetimeMinutes: number | null;
};

export const anonymousCaller: ApiCaller = {
  clientId: null,
  scopes: SCOPES,
  allowedAudiences: [],
  maxLifetimeMinutes: null,
};

/** How revocations record who did them. */
export function callerName(caller: ApiCaller): string {
  return caller.clientId ? `client:${caller.clientId}` : "anonymous";
}
