import { z } from "zod";
import { TimError } from "@/lib/http/errors";
import type { TaraEndpoints } from "@/lib/tara/discovery";
import { fetchTara, taraUnavailable } from "@/lib/tara/http";
import type { TaraSettings } from "@/lib/tara/settings";

const tokenResponseSchema = z.object({ id_token: z.string().min(1) });
const tokenErrorSchema = z.object({ error: z.string().max(100), error_description: z.string().max(500).optional() });

/**
 * Exchanges the authorization code at TARA's token endpoint (client_secret_basic)
 * and returns the ID token. TARA's access token is not used: TARA's userinfo
 * endpoint is discouraged and everything TIM needs is in the ID token.
 */
export async function exchangeCode(
  settings: Pick<TaraSettings, "clientId" | "clientSecret" | "redirectUri" | "timeoutMs">,
  endpoints: TaraEndpoints,
  code: string,
): Promise<string> {
  // RFC 6749 §2.3.1: client id and secret are form-encoded before Basic encoding.
  const credentials = `${encodeURIComponent(settings.clientId)}:${encodeURIComponent(settings.clientSecret)}`;
  const res = await fetchTara(
    endpoints.token,
    {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(credentials).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: settings.redirectUri }),
    },
    settings.timeoutMs,
    "token endpoint",
  );
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const refusal = tokenErrorSchema.safeParse(body);
    if (res.status < 500 && refusal.success) {
      throw new TimError("tara_token_error", `TARA refused the authorization code (${refusal.data.error}). Please log in again.`, {
        provider: "tara",
      });
    }
    throw taraUnavailable(`token endpoint answered ${res.status}`);
  }
  const parsed = tokenResponseSchema.safeParse(body);
  if (!parsed.success) throw taraUnavailable("token response without an ID token");
  return parsed.data.id_token;
}
