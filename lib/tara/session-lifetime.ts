import { config } from "@/lib/config/env";

/**
 * When a TARA session ends at the latest (seconds since the epoch): its
 * absolute lifetime, TIM_TARA_SESSION_MAX_HOURS after the person authenticated
 * at TARA (`auth_time`). No TIM TARA JWT of the session expires later, however
 * often it is extended. Without a usable auth_time nothing is left.
 */
export function taraSessionEnd(authTime: unknown): number {
  if (typeof authTime !== "number" || !Number.isFinite(authTime)) return 0;
  return authTime + config().TIM_TARA_SESSION_MAX_HOURS * 3600;
}
