import { timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { db } from "@/lib/db/client";
import { storableString } from "@/lib/db/storable";
import { Prisma } from "@/lib/generated/prisma/client";
import type { ErrorCode } from "@/lib/http/error-codes";
import { TimError } from "@/lib/http/errors";
import { log } from "@/lib/log/logger";
import type { TokenOrigin } from "@/lib/tokens/origin";
import { issueTaraToken, type IssuedTaraToken } from "@/lib/tara/issue-token";
import { findState } from "@/lib/tara/state";
import type { TaraIdentity } from "@/lib/tara/verify-id-token";
import { tokenHash } from "@/lib/tokens/hash";

/** How long after TARA's callback the starter may redeem a JSON login's result. */
export const LOGIN_RESULT_TTL_MS = 2 * 60 * 1000;

export const redeemRequestSchema = z
  .object({
    state: storableString.min(1).max(512),
    login_secret: storableString.min(1).max(512),
  })
  .strict();
export type RedeemRequest = z.infer<typeof redeemRequestSchema>;

/**
 * What a JSON login's callback leaves for its starter: the verified person
 * (no token: it is issued only at redemption), or why the login failed.
 */
/** `origin`: the browser at TARA's callback (absent in outcomes stored before TIM recorded it). */
export type LoginOutcome = { identity: TaraIdentity; origin?: TokenOrigin } | { error: { code: ErrorCode; message: string; body: Record<string, unknown> } };

export function failedOutcome(error: unknown): LoginOutcome {
  if (error instanceof TimError) return { error: { code: error.code, message: error.message, body: error.body } };
  return { error: { code: "tara_error", message: "The login could not be completed. Please log in again.", body: { provider: "tara" } } };
}

/** Stores a JSON login's outcome on its (already consumed) state. */
export async function recordLoginOutcome(state: string, outcome: LoginOutcome): Promise<void> {
  const prisma = await db();
  await prisma.taraOauthState.update({ where: { state }, data: { loginResult: outcome as unknown as Prisma.InputJsonObject } });
}

const tara = { provider: "tara" };
const unknownLogin = () => new TimError("invalid_login_secret", "No JSON login with this state and login secret was started here.", tara);
const alreadyRedeemed = () => new TimError("invalid_state", "This login's result was already redeemed. Please log in again.", tara);
const expired = () => new TimError("login_expired", "This login has expired before its result was redeemed. Please log in again.", tara);
const pending = () => new TimError("login_pending", "The login has not come back from TARA yet; redeem it after TARA's callback.", tara);

function sameHash(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The starter of a JSON login redeems its result with the login secret it
 * was given at the start: once (one conditional update; of concurrent
 * redemptions exactly one wins), within LOGIN_RESULT_TTL_MS of the callback.
 * Only then is the TIM TARA JWT issued and its metadata written, so a
 * callback opened by anyone else, or never redeemed, leaves no token. A wrong
 * secret burns nothing (the state alone is in the callback URL others may see).
 */
export async function redeemTaraLogin(input: RedeemRequest): Promise<{ identity: TaraIdentity; issued: IssuedTaraToken }> {
  const prisma = await db();
  const row = await findState(prisma, input.state);
  if (!row?.loginSecretHash || !sameHash(row.loginSecretHash, tokenHash(input.login_secret))) throw unknownLogin();
  if (row.redeemedAt) throw alreadyRedeemed();
  const now = Date.now();
  if (!row.consumedAt) throw row.expiresAt.getTime() <= now ? expired() : pending();
  const cutoff = new Date(now - LOGIN_RESULT_TTL_MS);
  if (row.consumedAt <= cutoff) throw expired();
  // Consumed but no outcome yet: the callback is still exchanging the code with TARA.
  if (!row.loginResult) throw pending();

  const { count } = await prisma.taraOauthState.updateMany({
    where: { state: row.state, redeemedAt: null, consumedAt: { gt: cutoff } },
    // The identity is not kept once redeemed: from here on the token's metadata row holds what TIM keeps.
    data: { redeemedAt: new Date(), loginResult: Prisma.DbNull },
  });
  if (count !== 1) throw alreadyRedeemed();
  const outcome = row.loginResult as unknown as LoginOutcome;
  if ("error" in outcome) throw new TimError(outcome.error.code, outcome.error.message, outcome.error.body);
  const issued = await issueTaraToken(outcome.identity, row, outcome.origin);
  log.info("tara login", { session_id: issued.sessionId, jwt_uuid: issued.payload.jti, amr: outcome.identity.amr, acr: outcome.identity.acr });
  return { identity: outcome.identity, issued };
}
