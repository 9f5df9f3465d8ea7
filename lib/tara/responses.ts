import { z } from "zod";
import { healthStatus } from "@/lib/health/responses";

/** The answers of the TARA login and session endpoints, for the OpenAPI document (see lib/tokens/responses.ts). */

const isoTime = z.string().meta({ description: "ISO 8601 time (UTC)" });

/** GET /auth/providers/tara. */
export const providerResponse = z.object({
  id: z.literal("tara"),
  name: z.string(),
  type: z.literal("oidc"),
  available: z.boolean(),
  stand_in: z.boolean(),
  issuer: z.string().nullable(),
  scopes: z.array(z.string()),
  acr: z.string().nullable(),
  acr_values_supported: z.array(z.string()),
  methods_supported: z.array(z.string()),
  ui_locales_supported: z.array(z.string()),
  login_url: z.string(),
  callback_url: z.string().nullable(),
});

/** GET /auth/providers. */
export const providersResponse = z.object({ providers: z.object({ tara: providerResponse.optional() }), total: z.int() });

/** GET /auth/health: 200 healthy, 503 unhealthy (TARA not configured or not reachable). */
export const taraHealthResponse = z.object({
  status: z.enum(["healthy", "unhealthy"]),
  tim_status: healthStatus.meta({ description: "TIM's health vocabulary, as /api/health and /health answer it" }),
  service: z.literal("oauth2-authentication"),
  timestamp: z.int().meta({ description: "Milliseconds since the epoch (TIM 2.0)" }),
  checked_at: isoTime,
  available_providers: z.int(),
  provider_ids: z.array(z.string()),
  tara: z.object({ configured: z.boolean(), reachable: z.boolean(), stand_in: z.boolean(), issuer: z.string().nullable() }),
});

const session = {
  session_id: z.string(),
  status: z.enum(["active", "expired", "revoked"]),
  subject: z.string(),
  auth_method: z.string().nullable(),
  level_of_assurance: z.string().nullable(),
  issued_at: isoTime,
  expires_at: isoTime,
  user_id: z.string(),
  provider: z.literal("tara"),
  authentication_method: z.string().nullable(),
  last_activity: isoTime,
};

/** GET /auth/session/validate. */
export const sessionValidResponse = z.object({ valid: z.literal(true), ...session });

/** GET /auth/profile: the session and the person (personal data). */
export const profileResponse = z.object({
  ...session,
  sub: z.string(),
  given_name: z.string().nullable(),
  family_name: z.string().nullable(),
  date_of_birth: z.string().nullable(),
  auth_time: isoTime.nullable(),
});

/** POST /auth/logout. */
export const logoutResponse = z.object({
  status: z.literal("logged_out"),
  message: z.string(),
  success: z.literal(true),
  session_id: z.string().nullable(),
  revoked: z.int().meta({ description: "How many of the session's tokens were revoked now" }),
});

/** GET /auth/login/tara with Accept: application/json. */
export const loginStartResponse = z.object({ authorization_url: z.string(), provider: z.literal("tara"), state: z.string(), login_secret: z.string() });

/** POST /auth/login/tara/result (and a JSON callback of a redirect login). */
export const authenticationSuccessResponse = z.object({
  status: z.literal("authentication_success"),
  provider: z.literal("tara"),
  session_id: z.string(),
  expires_at: isoTime,
  user_profile: z.object({
    sub: z.string(),
    given_name: z.string().nullable(),
    family_name: z.string().nullable(),
    date_of_birth: z.string().nullable(),
    amr: z.array(z.string()),
    acr: z.string().nullable(),
  }),
  token: z.string(),
});

/** GET /auth/callback/tara of a JSON login, with Accept: application/json: the result waits for its redeemer. */
export const callbackJsonResponse = z.union([
  z.object({ status: z.literal("authentication_complete"), provider: z.literal("tara"), message: z.string() }),
  authenticationSuccessResponse,
]);
