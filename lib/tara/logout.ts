import { InvalidTokenError, verifyJwt } from "@/lib/jwt/verify";
import { endTaraSessions } from "@/lib/tara/end-session";
import { kindOf } from "@/lib/tokens/kinds";

export type LogoutResult = { sessionId: string | null; revoked: number };

/**
 * Ends the session of a TIM TARA JWT (its signature must be TIM's; an expired
 * token may still log out). Without a token there is nothing to end.
 */
export async function logoutTara(token: string | undefined): Promise<LogoutResult> {
  if (!token) return { sessionId: null, revoked: 0 };
  const { payload } = await verifyJwt(token, { ignoreExpiry: true });
  if (kindOf(payload) !== "tara" || typeof payload.sid !== "string" || typeof payload.sub !== "string") {
    throw new InvalidTokenError("Wrong token type");
  }
  const revoked = await endTaraSessions(
    { subject: payload.sub, sessionId: payload.sid },
    { reason: "logout", revokedBy: `user:${payload.sub}` },
  );
  return { sessionId: payload.sid, revoked };
}
