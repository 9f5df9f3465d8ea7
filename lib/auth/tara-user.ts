import type { User } from "next-auth";
import { InvalidTokenError } from "@/lib/jwt/verify";
import { cookieFromHeader } from "@/lib/http/cookies";
import { TARA_COOKIE } from "@/lib/tara/cookie";
import { checkToken } from "@/lib/tokens/check";

export type WebUser = User & { sessionId: string };

/**
 * The web user behind the TIM TARA JWT cookie set by TIM's TARA callback:
 * signature, expiry, denylist (and allowlist when required) are checked.
 * null when there is no valid token.
 */
export async function webUserFromTaraToken(cookieHeader: string | undefined): Promise<WebUser | null> {
  const token = cookieFromHeader(cookieHeader, TARA_COOKIE);
  if (!token) return null;
  try {
    const { payload } = await checkToken(token, { kinds: ["tara"] });
    if (typeof payload.sub !== "string" || typeof payload.sid !== "string") return null;
    const name = [payload.given_name, payload.family_name].filter((v) => typeof v === "string").join(" ");
    return { id: payload.sub, name: name || payload.sub, sessionId: payload.sid };
  } catch (err) {
    if (err instanceof InvalidTokenError) return null;
    throw err;
  }
}
