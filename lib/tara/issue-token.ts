import { randomUUID } from "node:crypto";
import type { JWTPayload } from "jose";
import { config } from "@/lib/config/env";
import { taraSessionEnd } from "@/lib/tara/session-lifetime";
import { db } from "@/lib/db/client";
import { isDataRefusal, refusedInput } from "@/lib/http/errors";
import { signJwt } from "@/lib/jwt/sign";
import { countTokens, failureOutcome } from "@/lib/metrics/registry";
import type { Prisma, TaraOauthState } from "@/lib/generated/prisma/client";
import type { TaraIdentity } from "@/lib/tara/verify-id-token";
import { tokenHash } from "@/lib/tokens/hash";
import { TOKEN_TYPE } from "@/lib/tokens/kinds";
import { INSERT_METADATA } from "@/lib/tokens/record-metadata";
import { noteRecorded } from "@/lib/tokens/recorded";
import { getTaraSessionLimit } from "@/lib/tara/session-limit";
import { lockLimitedSubjects, revokePastLimit, type LimitedSubject } from "@/lib/tokens/token-limit";
import { UNKNOWN_ORIGIN, storedAddress, storedUserAgent, type TokenOrigin } from "@/lib/tokens/origin";

/** The name recorded in jwt_metadata.jwt_name for TARA tokens (and the cookie name). */
export const TARA_JWT_NAME = "TIM_TARA_JWT";

export type TaraJwtPayload = JWTPayload & {
  iss: string;
  aud: string;
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  token_type: typeof TOKEN_TYPE.tara;
  given_name: string | null;
  family_name: string | null;
  date_of_birth: string | null;
  amr: string[];
  acr: string;
  sid: string;
  auth_time: number;
  /** Only when TARA issued them (scopes email, phone). */
  email?: string;
  email_verified?: boolean;
  phone_number?: string;
  phone_number_verified?: boolean;
};

export type IssuedTaraToken = {
  token: string;
  payload: TaraJwtPayload;
  sessionId: string;
  expiresAt: Date;
};

/** The TIM TARA JWT's claims for a person TARA authenticated, in a new session. */
export function taraJwtClaims(identity: TaraIdentity, sessionId: string, nowSeconds: number): TaraJwtPayload {
  const cfg = config();
  return {
    iss: cfg.TIM_ISSUER,
    aud: cfg.TIM_DEFAULT_AUDIENCE,
    sub: identity.sub,
    jti: randomUUID(),
    iat: nowSeconds,
    exp: Math.min(nowSeconds + cfg.TARA_JWT_TTL_MINUTES * 60, taraSessionEnd(identity.authTime)),
    token_type: TOKEN_TYPE.tara,
    given_name: identity.givenName,
    family_name: identity.familyName,
    date_of_birth: identity.dateOfBirth,
    amr: identity.amr,
    acr: identity.acr,
    sid: sessionId,
    auth_time: identity.authTime,
    ...contactClaims(identity),
  };
}

/** TARA's contact claims under their OIDC names, those TARA sent only (no nulls: absent means not issued). */
function contactClaims(identity: TaraIdentity): Pick<TaraJwtPayload, "email" | "email_verified" | "phone_number" | "phone_number_verified"> {
  const claims = {
    email: identity.email,
    email_verified: identity.emailVerified,
    phone_number: identity.phoneNumber,
    phone_number_verified: identity.phoneNumberVerified,
  };
  return Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== null));
}

/**
 * Issues the TIM TARA JWT for a completed login (its state already consumed).
 * The token is signed first; then one transaction records the metadata row and
 * the allowlist entry (and, under a session limit, ends the person's oldest
 * sessions past it: lib/tara/session-limit.ts). If that fails the token is
 * discarded: it is returned only after its metadata committed.
 */
export async function issueTaraToken(identity: TaraIdentity, state: TaraOauthState, origin: TokenOrigin = UNKNOWN_ORIGIN): Promise<IssuedTaraToken> {
  const sessionId = randomUUID();
  const payload = taraJwtClaims(identity, sessionId, Math.floor(Date.now() / 1000));
  const token = await signJwt(payload);
  const hash = tokenHash(token);
  const issuedAt = new Date(payload.iat * 1000);
  const expiresAt = new Date(payload.exp * 1000);
  const prisma = await db();
  await prisma
    .$transaction(async (tx) => {
      const row: Prisma.TaraJwtMetadataCreateManyInput = {
        jwtUuid: payload.jti,
        claimKeys: Object.keys(payload).join(","),
        issuedAt,
        expiresAt,
        subject: payload.sub,
        jwtName: TARA_JWT_NAME,
        audience: payload.aud,
        issuer: payload.iss,
        supersedes: null,
        originalJwtUuid: payload.jti,
        claimsJson: payload as Prisma.InputJsonObject,
        tokenHash: hash,
        tokenType: TOKEN_TYPE.tara,
        // No API client takes part in a browser login.
        clientId: null,
        authMethod: identity.amr[0],
        levelOfAssurance: identity.acr,
        sessionId,
        oauthStateId: state.state,
        givenName: identity.givenName,
        familyName: identity.familyName,
        email: identity.email,
        emailVerified: identity.emailVerified,
        phoneNumber: identity.phoneNumber,
        phoneNumberVerified: identity.phoneNumberVerified,
        // The person's browser at TARA's callback.
        clientAddress: storedAddress(origin.clientAddress),
        userAgent: storedUserAgent(origin.userAgent),
      };
      // A limit on sessions per person: the person's lock first, the oldest sessions past it end below.
      const { limit } = await getTaraSessionLimit(tx);
      const limited: LimitedSubject[] = limit === null ? [] : [{ clientId: null, subject: payload.sub, limit, revokedBy: `user:${payload.sub}` }];
      await lockLimitedSubjects(tx, "tara", limited);
      // the one insert of TARA metadata rows (constant text), in this transaction with the allowlist entry
      await tx.$executeRawUnsafe(INSERT_METADATA.tara.text, JSON.stringify([row]));
      await tx.taraAllowlist.create({ data: { jwtHash: hash, jwtUuid: payload.jti, expiresAt } });
      await revokePastLimit(tx, "tara", limited, [payload.jti]);
    })
    .catch((err: unknown): never => {
      // The identity TARA sent holds what the database refuses: this login fails alone, as a bad request.
      const refused = isDataRefusal(err) ? refusedInput(err, "the identity in TARA's ID token") : err;
      countTokens("issued", "tara", failureOutcome(refused));
      throw refused;
    });
  countTokens("issued", "tara", "ok");
  noteRecorded("tara", payload.jti, payload.exp);
  return { token, payload, sessionId, expiresAt };
}
