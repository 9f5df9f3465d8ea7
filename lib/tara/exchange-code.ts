import { z } from "zod";
import { TimError } from "@/lib/http/errors";
import type { TaraEndpoints } from "@/lib/tara/discovery";
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
  if (!res.ok) {
    const refusal = tokenErrorSchema.safeParse(body);
    if (res.status < 500 && refusal.success) {
      throw new TimError(502, "tara_token_error", `TARA refused the authorization code (${refusal.data.error}). Please log in again.`, {
        provider: "tara",
      });
    }
    throw taraUnavailable(`token endpoint answered ${res.status}`);
  }
  const parsed = tokenResponseSchema.safeParse(body);
  if (!parsed.success) throw taraUnavailable("token response without an ID token");
  return parsed.data.id_token;
}
