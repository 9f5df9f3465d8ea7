import { decodeJwt } from "jose";
import { config } from "@/lib/config/env";
import { taraSessionEnd } from "@/lib/tara/session-lifetime";
import { getTaraSessionLimit } from "@/lib/tara/session-limit";
import { extendToken, type ExtendedToken } from "@/lib/tokens/extend";
import type { TokenOrigin } from "@/lib/tokens/origin";

/**
 * Extends a TIM TARA JWT by TARA_JWT_TTL_MINUTES: a new token in the same
 * chain and session (same sid), the old one revoked — the custom tokens'
 * extension logic, for the tara kind. The token itself is the credential.
 * The new token never outlives the session's absolute lifetime (its expiry is
 * cut to it); once that is reached, extension is refused (401).
 */
export async function extendTaraToken(token: string, origin?: TokenOrigin, requestId?: string): Promise<ExtendedToken> {
  const subject = safeSubject(token);
  const revokedBy = subject ? `user:${subject}` : null;
  return extendToken("tara", {
    token,
    lifetimeMinutes: config().TARA_JWT_TTL_MINUTES,
    revokedBy,
    origin,
    requestId,
    latestExpiry: (payload) => taraSessionEnd(payload.auth_time),
    // The new version counts against the person's session limit, as a login does.
    limit: revokedBy ? { clientId: null, limit: (await getTaraSessionLimit()).limit, revokedBy } : undefined,
  });
}

/** Only for the revoked_by label; extendToken verifies the token. */
function safeSubject(token: string): string | undefined {
  try {
    const { sub } = decodeJwt(token);
    return typeof sub === "string" ? sub : undefined;
  } catch {
    return undefined;
  }
}
