import { z } from "zod";
import type { ErrorCode } from "@/lib/http/error-codes";
import { TimError } from "@/lib/http/errors";
import type { TaraEndpoints } from "@/lib/tara/discovery";
import { log } from "@/lib/log/logger";
import { fetchTara, taraUnavailable } from "@/lib/tara/http";
import type { TaraSettings } from "@/lib/tara/settings";

const tokenResponseSchema = z.object({ id_token: z.string().min(1) });
const tokenErrorSchema = z.object({ error: z.string().max(100), error_description: z.string().max(500).optional() });

/**
 * How the client authenticates (TARA spec §4.3): §4.3.1 client_secret_basic, an
 * Authorization header with the form-encoded id and secret (RFC 6749 §2.3.1);
 * §4.3.2 client_secret_post, both in the body. TARA accepts only the one registered.
 */
function clientAuthentication(settings: Pick<TaraSettings, "clientId" | "clientSecret" | "clientAuthMethod">): {
  headers: Record<string, string>;
  body: Record<string, string>;
} {
  if (settings.clientAuthMethod === "client_secret_post") {
    return { headers: {}, body: { client_id: settings.clientId, client_secret: settings.clientSecret } };
  }
  const credentials = `${encodeURIComponent(settings.clientId)}:${encodeURIComponent(settings.clientSecret)}`;
  return { headers: { authorization: `Basic ${Buffer.from(credentials).toString("base64")}` }, body: {} };
}

/**
 * Exchanges the authorization code at TARA's token endpoint (TARA spec §4.3)
 * and returns the ID token. TARA's access token is not used: TARA's userinfo
 * endpoint is discouraged and everything TIM needs is in the ID token.
 */
export async function exchangeCode(
  settings: Pick<TaraSettings, "clientId" | "clientSecret" | "clientAuthMethod" | "redirectUri" | "timeoutMs">,
  endpoints: TaraEndpoints,
  code: string,
): Promise<string> {
  const auth = clientAuthentication(settings);
  const res = await fetchTara(
    endpoints.token,
    {
      method: "POST",
      headers: {
        ...auth.headers,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: settings.redirectUri, ...auth.body }),
    },
    settings.timeoutMs,
    "token endpoint",
  );
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) throw tokenRefusal(res.status, body);
  const parsed = tokenResponseSchema.safeParse(body);
  if (!parsed.success) throw taraUnavailable("token response without an ID token");
  return parsed.data.id_token;
}

/**
 * What a refusal at TARA's token endpoint means and who can act on it (RFC 6749
 * §5.2, TARA spec §4 "Client application configuration on the TARA side").
 */
const TOKEN_REFUSALS: Record<string, { code: ErrorCode; message: string; action: string }> = {
  // The code expired (30 s, spec §6.2), was used already or belongs to another login: the person can retry.
  invalid_grant: {
    code: "tara_invalid_grant",
    message: "TARA no longer accepts this login (it took too long or was already completed). Please log in again.",
    action: "the person logs in again; if it recurs, check that TIM's clock and TARA_REDIRECT_URI are right",
  },
  invalid_client: {
    code: "tara_invalid_client",
    message: "TARA refused TIM's client credentials, so logins cannot complete. The operator must check TARA_CLIENT_SECRET and TARA_CLIENT_AUTH_METHOD.",
    action: "check TARA_CLIENT_ID, TARA_CLIENT_SECRET and TARA_CLIENT_AUTH_METHOD against the registration with RIA",
  },
  // TARA's production environment answers this to token requests from an unregistered address (spec §4).
  unauthorized_client: {
    code: "tara_unauthorized_client",
    message:
      "TARA refused this server's address or client registration, so logins cannot complete. The operator must register TIM's outgoing addresses with RIA.",
    action: "register this server's outgoing IP addresses with RIA (klient@ria.ee) or check the client registration",
  },
};

/** A token-endpoint refusal as an answer the person or the operator can act on; logged without the code or the secret. */
function tokenRefusal(status: number, body: unknown): TimError {
  const refusal = tokenErrorSchema.safeParse(body);
  const taraError = refusal.success ? refusal.data.error : undefined;
  const known = taraError !== undefined && status < 500 ? TOKEN_REFUSALS[taraError] : undefined;
  log.error("tara token endpoint refused the code exchange", {
    http_status: status,
    tara_error: taraError,
    tara_error_description: refusal.success ? refusal.data.error_description?.slice(0, 300) : undefined,
    action: known?.action ?? (status >= 500 ? "TARA failed: retry later; contact help@ria.ee if it persists" : "see TARA's error"),
  });
  if (known) return new TimError(known.code, known.message, { provider: "tara", tara_error: taraError });
  if (status < 500 && taraError) {
    return new TimError("tara_token_error", `TARA refused the code exchange (${taraError}). Please log in again.`, {
      provider: "tara",
      tara_error: taraError,
    });
  }
  return taraUnavailable(`token endpoint answered ${status}`);
}
