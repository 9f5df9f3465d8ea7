import { randomBytes } from "node:crypto";
import type { DbTx } from "@/lib/tokens/kinds";
import type { TaraOauthState } from "@/lib/generated/prisma/client";

/**
 * How long a started login may take before its state is refused: TARA's own
 * login session (TARA technical specification §6.2 "Timeouts": 30 min), so a
 * slow Mobile-ID or eIDAS login that TARA completes is not refused by TIM.
 */
export const STATE_TTL_MS = 30 * 60 * 1000;

export type ResponseMode = "redirect" | "json";

/** 32 random bytes, base64url: 43 characters (the table requires at least 32). */
export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

export type NewState = {
  redirectUri: string;
  requestedAcr?: string;
  requestedMethods: string[];
  uiLocales?: string;
  responseMode: ResponseMode;
  /** JSON mode: the hash of the starter's login secret (lib/tara/login-result.ts). */
  loginSecretHash?: string;
};

export async function createState(tx: DbTx, input: NewState): Promise<TaraOauthState> {
  return tx.taraOauthState.create({
    data: {
      state: randomToken(),
      nonce: randomToken(),
      redirectUri: input.redirectUri,
      requestedAcr: input.requestedAcr ?? null,
      requestedMethods: input.requestedMethods.length ? input.requestedMethods.join(",") : null,
      uiLocales: input.uiLocales ?? null,
      responseMode: input.responseMode,
      loginSecretHash: input.loginSecretHash ?? null,
      expiresAt: new Date(Date.now() + STATE_TTL_MS),
    },
  });
}

/** The state row (used or not), or null when there is none. */
export async function findState(tx: DbTx, state: string): Promise<TaraOauthState | null> {
  return tx.taraOauthState.findUnique({ where: { state } });
}

/** Marks the state used if it is unexpired and unused; false otherwise (unknown, expired, replayed). */
export async function consumeState(tx: DbTx, state: string): Promise<boolean> {
  const { count } = await tx.taraOauthState.updateMany({
    where: { state, consumedAt: null, expiresAt: { gt: new Date() } },
    data: { consumedAt: new Date() },
  });
  return count === 1;
}
