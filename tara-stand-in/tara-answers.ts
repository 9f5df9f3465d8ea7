import { ACR_LEVELS, TARA_MIN_STATE_LENGTH, TARA_PATHS, UI_LOCALES, isTaraScope } from "@/lib/tara/protocol";

/**
 * TARA's answers on the wire, word for word as RIA's integration tests
 * (e-gov/TARA-Test) expect them: TARA runs on ORY Hydra, whose texts these are.
 * The stand-in's authorization gate and token endpoint answer with them, so a
 * client tested against the stand-in sees what tara-test.ria.ee would send.
 */

const CLIENT_AUTH_FAILED = "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).";
const MALFORMED =
  "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.";
const UNSUPPORTED_RESPONSE_TYPE = "The authorization server does not support obtaining a token using this method.";
const INVALID_SCOPE = "The requested scope is invalid, unknown, or malformed.";
const INVALID_GRANT =
  "The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";

/** The login service's error pages (TARA-Test `ErrorMessage`), in TARA's three languages. */
const PAGE_MESSAGES = {
  missingScope: {
    status: 400,
    et: "Päringus puudub scope parameeter.",
    en: "The scope parameter is missing from the request.",
    ru: "В запросе отсутствует параметр scope.",
  },
  internalError: {
    status: 500,
    et: "Autentimine ebaõnnestus teenuse tehnilise vea tõttu. Palun proovige mõne aja pärast uuesti.",
    en: "Authentication failed due to a technical error in the service. Please try again later.",
    ru: "Аутентификация не удалась из-за технической ошибки сервиса. Пожалуйста, повторите попытку позже.",
  },
} as const;

export type ErrorPage = keyof typeof PAGE_MESSAGES;

/**
 * The discovery document as TARA publishes it (TARA-Test OidcMetadataSpec): no PKCE, no session management;
 * `eidas:country:xx` for each country its eIDAS node offers (TARA-Doku news of 25.12.2019).
 */
export function discoveryDocument(issuer: string, eidasCountries: readonly string[]) {
  return {
    issuer,
    authorization_endpoint: issuer + TARA_PATHS.authorization,
    token_endpoint: issuer + TARA_PATHS.token,
    jwks_uri: issuer + TARA_PATHS.jwks,
    userinfo_endpoint: issuer + TARA_PATHS.userinfo,
    scopes_supported: ["openid", "idcard", "mid", "smartid", "email", "phone", "eidas", "eidasonly", ...eidasCountries.map((c) => `eidas:country:${c}`)],
    response_types_supported: ["code"],
    subject_types_supported: ["public"],
    claim_types_supported: ["normal"],
    claims_supported: [
      "sub",
      "given_name",
      "family_name",
      "date_of_birth",
      "represents_legal_person.name",
      "represents_legal_person.registry_code",
      "email",
      "email_verified",
      "phonenumber",
      "phonenumber_verified",
    ],
    grant_types_supported: ["authorization_code"],
    id_token_signing_alg_values_supported: ["RS256"],
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    acr_values_supported: [...ACR_LEVELS],
    ui_locales_supported: [...UI_LOCALES],
  };
}

/** Where a refused authorization request goes: back to the client (303), to TARA's error redirect (302), or a page. */
export type AuthorizeRefusal =
  | { kind: "to-client"; error: string; description: string }
  | { kind: "to-error-page"; error: string; description: string }
  | { kind: "page"; page: ErrorPage };

/**
 * Checks an authorization request in Hydra's order (client, redirect_uri,
 * response_type, state, scope; then the login service's own checks) and
 * returns TARA's refusal, or undefined when the request may proceed.
 */
export function checkAuthorizationRequest(params: URLSearchParams, client: { id: string; redirectUris: readonly string[] }): AuthorizeRefusal | undefined {
  if (params.get("client_id") !== client.id) {
    return { kind: "to-error-page", error: "invalid_client", description: `${CLIENT_AUTH_FAILED} The requested OAuth 2.0 Client does not exist.` };
  }
  const redirectUri = params.get("redirect_uri");
  if (redirectUri && !client.redirectUris.includes(redirectUri)) {
    return {
      kind: "to-error-page",
      error: "invalid_request",
      description: `${MALFORMED} The 'redirect_uri' parameter does not match any of the OAuth 2.0 Client's pre-registered redirect urls.`,
    };
  }
  const responseType = params.get("response_type");
  if (!responseType) {
    return {
      kind: "to-client",
      error: "unsupported_response_type",
      description: `${UNSUPPORTED_RESPONSE_TYPE} \`The request is missing the 'response_type' parameter.`,
    };
  }
  if (responseType !== "code") {
    return {
      kind: "to-client",
      error: "unsupported_response_type",
      description: `${UNSUPPORTED_RESPONSE_TYPE} The client is not allowed to request response_type '${responseType}'.`,
    };
  }
  if ((params.get("state") ?? "").length < TARA_MIN_STATE_LENGTH) {
    return {
      kind: "to-client",
      error: "invalid_state",
      description: `The state is missing or does not have enough characters and is therefore considered too weak. Request parameter 'state' must be at least be ${TARA_MIN_STATE_LENGTH} characters long to ensure sufficient entropy.`,
    };
  }
  const scopes = (params.get("scope") ?? "").split(" ").filter(Boolean);
  const unknown = scopes.find((s) => !isTaraScope(s));
  if (unknown) {
    return { kind: "to-client", error: "invalid_scope", description: `${INVALID_SCOPE} The OAuth 2.0 Client is not allowed to request scope '${unknown}'.` };
  }
  // Hydra lets these through; TARA's login service then shows an error page instead of returning to the client.
  if (scopes.length === 0) return { kind: "page", page: "missingScope" };
  const acr = params.get("acr_values");
  if (acr !== null && !(ACR_LEVELS as readonly string[]).includes(acr)) return { kind: "page", page: "internalError" };
  return undefined;
}

export function errorPage(page: ErrorPage, uiLocales: string | null): { status: number; html: string } {
  const texts = PAGE_MESSAGES[page];
  const lang = (uiLocales?.split(" ").find((l) => l in texts) ?? "et") as "et" | "en" | "ru";
  const message = texts[lang];
  return {
    status: texts.status,
    html: `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>TARA</title></head><body><main><h1>TARA</h1><p class="error">${message}</p></main></body></html>`,
  };
}

/** Token-endpoint refusals (TARA-Test OidcIdentityTokenRequestSpec). */
export const TOKEN_ERRORS = {
  notWhitelisted: (address: string, clientId: string) => ({
    status: 400,
    body: { error: "unauthorized_client", error_description: `IP address ${address} is not whitelisted for client_id "${clientId}"` },
  }),
  wrongAuthMethod: (registered: string, sent: string) => ({
    status: 401,
    body: {
      error: "invalid_client",
      error_description: `${CLIENT_AUTH_FAILED} The OAuth 2.0 Client supports client authentication method '${registered}', but method '${sent}' was requested.`,
    },
  }),
  badCredentials: () => ({ status: 401, body: { error: "invalid_client", error_description: CLIENT_AUTH_FAILED } }),
  invalidGrant: (reason: string) => ({ status: 400, body: { error: "invalid_grant", error_description: `${INVALID_GRANT} ${reason}`.trim() } }),
} as const;

/** oidc-provider's reasons for refusing a code, in Hydra's words. */
export function invalidGrantReason(detail: string | undefined): string {
  switch (detail) {
    case "authorization code already consumed":
      return "The authorization code has already been used.";
    case "authorization code is expired":
      return "The authorization code has expired.";
    case "authorization code redirect_uri mismatch":
      return "The 'redirect_uri' from this request does not match the one from the authorize request.";
    case "authorization code not found":
      return "The authorization code could not be found.";
    default:
      return "";
  }
}
