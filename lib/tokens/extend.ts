import { randomUUID } from "node:crypto";
import type { JWTPayload } from "jose";
import { z } from "zod";
import { db } from "@/lib/db/client";
import { TimError } from "@/lib/http/errors";
import { signJwt } from "@/lib/jwt/sign";
import { InvalidTokenError, verifyJwt, type InvalidTokenReason } from "@/lib/jwt/verify";
import { isRevoked, noteRevoked } from "@/lib/tokens/denylist";
import { tokenHash } from "@/lib/tokens/hash";
import { isUniqueViolation, isUuid, kindOf, tokenTables, type TokenKind } from "@/lib/tokens/kinds";
import { revokeByJti } from "@/lib/tokens/revoke";
import { MAX_LIFETIME_MINUTES, isoSeconds, nowSeconds } from "@/lib/tokens/time";

export const extendRequestSchema = z
  .object({
    token: z.string().min(1).max(16_384),
    expirationInMinutes: z.number().int().positive().max(MAX_LIFETIME_MINUTES).default(60),
  })
  .strict();

export type ExtendOptions = {
  token: unknown;
  lifetimeMinutes: number;
  /** API client recorded on the new row; default: the previous row's. */
  clientId?: string | null;
  /** Recorded as revoked_by on the old token's denylist row. */
  revokedBy?: string | null;
};

export type ExtendedToken = {
  token: string;
  jti: string;
  name: string | null;
  expiresAt: string;
  payload: JWTPayload;
  /** id of the new metadata row and of the one it supersedes. */
  id: string;
  supersedes: string;
  originalJwtUuid: string;
};

function denied(reason: InvalidTokenReason): TimError {
  return new TimError(401, "extend_denied", reason, { reason });
}

/**
 * Extends a token of `kind`: a new token with the same claims (new jti, iat,
 * exp), its metadata row (supersedes = the previous row's id, same chain root)
 * and the denylist row of the old token, all in one transaction. Expired,
 * revoked, unknown or forged tokens → 401 extend_denied. Of two concurrent
 * extensions of one token exactly one succeeds; UNIQUE(supersedes) and the
 * denylist primary key turn the other into 409 extend_conflict (or 401 when it
 * starts after the first committed), so the chain stays linear.
 */
export async function extendToken(kind: TokenKind, opts: ExtendOptions): Promise<ExtendedToken> {
  let payload: JWTPayload;
  try {
    ({ payload } = await verifyJwt(opts.token));
  } catch (err) {
    if (err instanceof InvalidTokenError) throw denied(err.reason);
    throw err;
  }
  if (kindOf(payload) !== kind) throw denied("Wrong token type");
  const oldJti = payload.jti;
  if (!isUuid(oldJti)) throw denied("Invalid claims");

  const prisma = await db();
  const previous = await tokenTables(prisma, kind).metadata.findUnique({ where: { jwtUuid: oldJti } });
  if (!previous) throw denied("Token not found");
  if (await isRevoked(kind, oldJti)) throw denied("Token revoked");

  // Signed outside the transaction (signing may touch tim.signing_keys); discarded if the transaction fails.
  const iat = nowSeconds();
  const exp = iat + opts.lifetimeMinutes * 60;
  const jti = randomUUID();
  const newPayload: JWTPayload = { ...payload, iat, exp, jti };
  const token = await signJwt(newPayload);

  try {
    const extended = await prisma.$transaction(async (tx) => {
      const tables = tokenTables(tx, kind);
      // A token on the allowlist hands its place to its successor (revoking it removes its entry).
      const allowlisted = await tables.allowlist.count({ where: { jwtUuid: oldJti } });
      // Copy the row (TARA rows carry their login details along), then set what is new.
      const { id: previousId, createdAt: _c, lastUsedAt: _l, useCount: _u, ...carried } = previous;
      const created = await tables.metadata.create({
        data: {
          ...carried,
          jwtUuid: jti,
          issuedAt: new Date(iat * 1000),
          expiresAt: new Date(exp * 1000),
          supersedes: previousId,
          originalJwtUuid: previous.originalJwtUuid,
          claimsJson: newPayload as object,
          tokenHash: tokenHash(token),
          clientId: opts.clientId === undefined ? previous.clientId : opts.clientId,
        },
        select: { id: true },
      });
      const outcome = await revokeByJti(
        kind,
        { jti: oldJti, expiresAt: previous.expiresAt, reason: "extended", revokedBy: opts.revokedBy ?? null },
        tx,
      );
      // Revoked between the check above and now: the extension loses.
      if (outcome === "already_revoked") throw conflict();
      if (allowlisted > 0) {
        await tables.allowlist.createMany({
          data: [{ jwtHash: tokenHash(token), jwtUuid: jti, expiresAt: new Date(exp * 1000) }],
          skipDuplicates: true,
        });
      }
      return {
        token,
        jti,
        name: previous.jwtName,
        expiresAt: isoSeconds(exp),
        payload: newPayload,
        id: created.id,
        supersedes: previousId,
        originalJwtUuid: previous.originalJwtUuid,
      };
    });
    noteRevoked(kind, oldJti, previous.expiresAt);
    return extended;
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict();
    throw err;
  }
}

function conflict(): TimError {
  return new TimError(409, "extend_conflict", "This token is being extended or was extended already.");
}
