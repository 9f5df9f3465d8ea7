import { z } from "zod";
import { db } from "@/lib/db/client";
import { taraEndpoints } from "@/lib/tara/discovery";
import { TimError } from "@/lib/http/errors";
import { ACR_LEVELS, DEFAULT_ACR, METHOD_SCOPES, UI_LOCALES, acrRank, isMethodScope, isTaraScope, type AcrLevel } from "@/lib/tara/protocol";
import { checkAppRedirect } from "@/lib/tara/redirects";
import { callbackPath, configuredMethods, taraSettings, type TaraSettings } from "@/lib/tara/settings";
import { STATE_TTL_MS, createState, randomToken, type ResponseMode } from "@/lib/tara/state";
import { tokenHash } from "@/lib/tokens/hash";
import { stateBindingCookie } from "@/lib/tara/cookie";
import { storableString } from "@/lib/db/storable";
import { logProtocol } from "@/lib/tara/protocol-log";

const methodList = storableString
  .max(300)
  .transform((v) => [...new Set(v.split(/[\s,]+/).filter(Boolean))])
  .refine((list) => list.every((m) => m in METHOD_SCOPES || (m.startsWith("eidas:country:") && isTaraScope(m))), {
    message: `methods: use ${Object.keys(METHOD_SCOPES).join(", ")} or eidas:country:xx`,
  });

export const loginQuerySchema = z.object({
  redirect_uri: storableString.max(2048).optional(),
  acr: z.enum(ACR_LEVELS).optional(),
  methods: methodList.optional(),
  ui_locales: z.enum(UI_LOCALES).optional(),
});
export type LoginQuery = z.infer<typeof loginQuerySchema>;

export type StartedLogin = {
  authorizationUrl: string;
  state: string;
  /** Set-Cookie binding the state to the browser (redirect mode; see lib/tara/cookie.ts). */
  bindingCookie: string;
  /** JSON mode: the one-time secret that redeems the login's result (only its hash is stored). */
  loginSecret?: string;
};

const belowFloor = (message: string) => new TimError("below_configured_assurance", message, { provider: "tara" });

/**
 * TARA_ACR and the methods in TARA_SCOPES are a floor: a caller may ask for a
 * higher level or a subset of the methods, never less (400).
 */
export function loginAssurance(
  settings: Pick<TaraSettings, "acr" | "scopes">,
  query: Pick<LoginQuery, "acr" | "methods">,
): { requestedAcr?: AcrLevel; methods: string[] } {
  const floor = settings.acr ?? DEFAULT_ACR;
  if (query.acr && acrRank(query.acr) < acrRank(floor)) {
    throw belowFloor(`acr=${query.acr} is below the configured level of assurance ${floor}; ask for ${floor} or higher.`);
  }
  const configured = configuredMethods(settings);
  const requested = query.methods ?? [];
  const wider = configured.length ? requested.filter((m) => !configured.includes(m)) : [];
  if (wider.length) {
    throw belowFloor(`methods ${wider.join(", ")} are not among the configured ones (${configured.join(", ")}); ask for a subset of them.`);
  }
  return { requestedAcr: query.acr ?? settings.acr, methods: requested.length ? requested : configured };
}

/**
 * The methods a login may still end with at its callback: those it started
 * with that the configuration still allows (TARA_SCOPES may have narrowed
 * meanwhile). None left: 400, as at the start.
 */
export function callbackMethods(settings: Pick<TaraSettings, "scopes">, started: string[]): string[] {
  const configured = configuredMethods(settings);
  if (!configured.length) return started;
  if (!started.length) return configured;
  const still = started.filter((m) => configured.includes(m));
  if (!still.length) {
    throw belowFloor(
      `This login was started for ${started.join(", ")}, which are no longer among the configured methods (${configured.join(", ")}). Please log in again.`,
    );
  }
  return still;
}

/**
 * Starts a TARA login: records a fresh state (random state and nonce, the
 * requested level and methods, where to return) and builds TARA's
 * authorization URL. A browser login is bound to its browser by a cookie; a
 * JSON login (an API client or SPA) by a login secret answered only to the
 * starter, which redeems the result with it (lib/tara/login-result.ts).
 */
export async function startTaraLogin(query: LoginQuery, responseMode: ResponseMode): Promise<StartedLogin> {
  const settings = taraSettings();
  const redirectUri = checkAppRedirect(query.redirect_uri);
  const { requestedAcr, methods } = loginAssurance(settings, query);
  const scopes = [...settings.scopes.filter((s) => !isMethodScope(s)), ...methods];
  const endpoints = await taraEndpoints(settings);
  const loginSecret = responseMode === "json" ? randomToken() : undefined;
  const row = await createState(await db(), {
    redirectUri,
    requestedAcr,
    requestedMethods: methods,
    uiLocales: query.ui_locales,
    responseMode,
    loginSecretHash: loginSecret && tokenHash(loginSecret),
  });
  const url = new URL(endpoints.authorization);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: settings.clientId,
    redirect_uri: settings.redirectUri,
    scope: scopes.join(" "),
    state: row.state,
    nonce: row.nonce,
    ...(requestedAcr ? { acr_values: requestedAcr } : {}),
    ...(query.ui_locales ? { ui_locales: query.ui_locales } : {}),
  }).toString();
  await logProtocol({ state: row.state, message: "authentication_request", url: url.toString() });
  return {
    authorizationUrl: url.toString(),
    state: row.state,
    bindingCookie: stateBindingCookie(row.state, callbackPath(settings), STATE_TTL_MS / 1000),
    loginSecret,
  };
}
