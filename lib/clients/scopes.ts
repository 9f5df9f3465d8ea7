import { z } from "zod";

/**
 * What an API client may do, and what each scope is for (the README and the console's client form show these).
 * `tokens:revoke` and `tokens:issue` (which extends) reach only the tokens the client issued itself;
 * `tokens:revoke:any` reaches every custom token. `sessions:read` looks TARA sessions up by id, with
 * their personal data; `sessions:revoke` ends one by id (TIM 2.0's `POST /auth/logout?session_id=…`);
 * `sessions:revoke:subject` ends every session of a person named by personal code alone ("log out everywhere"),
 * a separate grant because a personal code, unlike a session id, is no secret.
 */
export const SCOPE_DESCRIPTIONS = {
  "tokens:issue": "issue custom tokens (generate, batch) and extend the ones this client issued",
  "tokens:validate": "validate any TIM token",
  "tokens:revoke": "revoke the custom tokens this client issued (one, a list, or every active one of a subject)",
  "tokens:revoke:any": "revoke and extend custom tokens issued by any client (with tokens:revoke / tokens:issue)",
  "tokens:introspect": "introspect any TIM token, read extension chains",
  "sessions:read": "look up TARA sessions by session_id, with the person's personal code, names and date of birth",
  "sessions:revoke": "end a TARA session by session_id (POST /auth/logout?session_id=…, as TIM 2.0 clients do)",
  "sessions:revoke:subject": "end every TARA session of a person by personal code (POST /jwt/tara/revoke/subject: log out everywhere)",
  "reports:read": "the reporting API",
  "ssf:receive": "receive revocation events as a Shared Signals receiver (its own streams, poll delivery)",
} as const;
export const SCOPES = Object.keys(SCOPE_DESCRIPTIONS) as (keyof typeof SCOPE_DESCRIPTIONS)[];
export type Scope = keyof typeof SCOPE_DESCRIPTIONS;
export const scopeSchema = z.enum(SCOPES as [Scope, ...Scope[]]);

/** The caller of the token API: an authenticated client, or anyone when TIM_API_AUTH=off. */
export type ApiCaller = {
  /** null for anonymous callers (TIM_API_AUTH=off). */
  clientId: string | null;
  scopes: readonly Scope[];
  /** Empty: any audience. */
  allowedAudiences: readonly string[];
  /** null: no limit beyond TIM's own. */
  maxLifetimeMinutes: number | null;
  /** At most this many active tokens per subject (lib/tokens/token-limit.ts); null or absent: no limit. */
  activeTokenLimit?: number | null;
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

/**
 * Whose tokens this caller may revoke or extend: its own (the client id its
 * tokens' metadata rows record), or anyone's (undefined) with tokens:revoke:any.
 */
export function tokenOwnerLimit(caller: ApiCaller): string | undefined {
  return caller.scopes.includes("tokens:revoke:any") ? undefined : (caller.clientId ?? undefined);
}
