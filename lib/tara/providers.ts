import { config } from "@/lib/config/env";
import type { HealthStatus } from "@/lib/health/check";
import { taraEndpoints } from "@/lib/tara/discovery";
import { ACR_LEVELS, METHOD_SCOPES, UI_LOCALES } from "@/lib/tara/protocol";
import { taraConfigured, taraSettings } from "@/lib/tara/settings";

export type ProviderInfo = {
  id: "tara";
  name: string;
  type: "oidc";
  available: boolean;
  stand_in: boolean;
  issuer: string | null;
  scopes: string[];
  acr: string | null;
  acr_values_supported: readonly string[];
  methods_supported: string[];
  ui_locales_supported: readonly string[];
  login_url: string;
  callback_url: string | null;
};

/** TARA as TIM's one login provider (TIM 2.0's provider listing shape). */
export function taraProviderInfo(): ProviderInfo {
  const configured = taraConfigured();
  const settings = configured ? taraSettings() : undefined;
  return {
    id: "tara",
    name: "TARA (Estonian state authentication service)",
    type: "oidc",
    available: configured,
    stand_in: config().TIM_TARA_STAND_IN,
    issuer: settings?.issuer ?? null,
    scopes: settings?.scopes ?? [],
    acr: settings?.acr ?? null,
    acr_values_supported: ACR_LEVELS,
    methods_supported: Object.keys(METHOD_SCOPES),
    ui_locales_supported: UI_LOCALES,
    login_url: "/auth/login/tara",
    callback_url: settings?.redirectUri ?? null,
  };
}

export type TaraHealth = {
  /** TIM 2.0's words. */
  status: "healthy" | "unhealthy";
  /** TIM's own, as every health endpoint answers. */
  tim_status: HealthStatus;
  /** TIM 2.0's service name, and its timestamp: milliseconds since the epoch. */
  service: "oauth2-authentication";
  timestamp: number;
  checked_at: string;
  available_providers: number;
  provider_ids: string[];
  tara: { configured: boolean; reachable: boolean; stand_in: boolean; issuer: string | null };
};

/** Whether TARA is configured and its discovery document can be read (cached for an hour once read). */
export async function taraHealth(): Promise<TaraHealth> {
  const info = taraProviderInfo();
  let reachable = false;
  if (info.available) {
    reachable = await taraEndpoints(taraSettings()).then(
      () => true,
      () => false,
    );
  }
  return {
    status: reachable ? "healthy" : "unhealthy",
    tim_status: reachable ? "ok" : "unavailable",
    service: "oauth2-authentication",
    timestamp: Date.now(),
    checked_at: new Date().toISOString(),
    available_providers: info.available ? 1 : 0,
    provider_ids: info.available ? ["tara"] : [],
    tara: { configured: info.available, reachable, stand_in: info.stand_in, issuer: info.issuer },
  };
}
