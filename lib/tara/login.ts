import { z } from "zod";
import { db } from "@/lib/db/client";
import { taraEndpoints } from "@/lib/tara/discovery";
import { TimError } from "@/lib/http/errors";
import { ACR_LEVELS, DEFAULT_ACR, METHOD_SCOPES, UI_LOCALES, acrRank, isMethodScope, isTaraScope, type AcrLevel } from "@/lib/tara/protocol";
import { checkAppRedirect } from "@/lib/tara/redirects";
import { callbackPath, configuredMethods, taraSettings, type TaraSettings } from "@/lib/tara/settings";
import { STATE_TTL_MS, createState, type ResponseMode } from "@/lib/tara/state";
import { stateBindingCookie } from "@/lib/tara/cookie";
import { storableString } from "@/lib/db/storable";

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
 * Starts a TARA login: records a fresh state (random state and nonce, the
 * requested level and methods, where to return) and builds TARA's
 * authorization URL.
 */
export async function startTaraLogin(query: LoginQuery, responseMode: ResponseMode): Promise<StartedLogin> {
  const settings = taraSettings();
  const redirectUri = checkAppRedirect(query.redirect_uri);
  const { requestedAcr, methods } = loginAssurance(settings, query);
  const scopes = [...settings.scopes.filter((s) => !isMethodScope(s)), ...methods];
  const endpoints = await taraEndpoints(settings);
  const row = await createState(await db(), {
    redirectUri,
    requestedAcr,
    requestedMethods: methods,
    uiLocales: query.ui_locales,
    responseMode,
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
  return {
    authorizationUrl: url.toString(),
    state: row.state,
    bindingCookie: stateBindingCookie(row.state, callbackPath(settings), STATE_TTL_MS / 1000),
  };
}
