import { z } from "zod";
import { prepared, runPrepared, type PreparedStatement } from "@/lib/db/prepared";
import { InvalidTokenError, verifyJwt } from "@/lib/jwt/verify";
import { notePending, noteRevoked } from "@/lib/tokens/denylist";
import { isUuid, kindOf, tokenTables, type DbTx, type TokenKind } from "@/lib/tokens/kinds";

export const revokeRequestSchema = z.object({
  token: z.string().min(1).max(16_384),
  reason: z.string().trim().min(1).max(500).optional(),
});

export type RevocationOutcome = "revoked" | "already_revoked";

export type Revocation = {
  jti: string;
  /** The token's own expiry: the denylist row can go once it passed. */
  expiresAt: Date;
  reason?: string | null;
  /** Who revoked: `client:<id>`, `admin:<subject>`, `user:<subject>`, `anonymous`. */
  revokedBy?: string | null;
};

// One statement: the denylist row and the allowlist removal commit together.
const REVOKE: Record<TokenKind, PreparedStatement> = {
  custom: prepared(
    "revoke_custom",
    `WITH denied AS (
       INSERT INTO custom.denylist (jwt_uuid, expires_at, reason, revoked_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (jwt_uuid) DO NOTHING RETURNING 1
     ), unlisted AS (DELETE FROM custom.allowlist WHERE jwt_uuid = $1)
     SELECT count(*)::int AS revoked FROM denied`,
  ),
  tara: prepared(
    "revoke_tara",
    `WITH denied AS (
       INSERT INTO tara.denylist (jwt_uuid, expires_at, reason, revoked_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (jwt_uuid) DO NOTHING RETURNING 1
     ), unlisted AS (DELETE FROM tara.allowlist WHERE jwt_uuid = $1)
     SELECT count(*)::int AS revoked FROM denied`,
  ),
};

/**
 * Puts one token (by jti) on its kind's denylist and drops its allowlist entry,
 * in the caller's transaction when `tx` is given. Idempotent: a second
 * revocation answers "already_revoked" and keeps the first row.
 */
export async function revokeByJti(kind: TokenKind, revocation: Revocation, tx?: DbTx): Promise<RevocationOutcome> {
  if (tx) {
    notePending(kind, revocation.jti);
    const tables = tokenTables(tx, kind);
    const { count } = await tables.denylist.createMany({
      data: [
        {
          jwtUuid: revocation.jti,
          expiresAt: revocation.expiresAt,
          reason: revocation.reason ?? null,
          revokedBy: revocation.revokedBy ?? null,
        },
      ],
      skipDuplicates: true,
    });
    await tables.allowlist.deleteMany({ where: { jwtUuid: revocation.jti } });
    return count === 1 ? "revoked" : "already_revoked";
  }
  const [row] = await runPrepared<{ revoked: number }>(REVOKE[kind], [
    revocation.jti,
    revocation.expiresAt,
    revocation.reason ?? null,
    revocation.revokedBy ?? null,
  ]);
  noteRevoked(kind, revocation.jti, revocation.expiresAt);
  return row.revoked === 1 ? "revoked" : "already_revoked";
}

export type ParsedRevocation = { kind: TokenKind; jti: string; expiresAt: Date };

/**
 * What revoking this token would denylist: its signature must be TIM's (an
 * expired token may still be revoked). `kinds` limits which token kinds qualify.
 * Throws InvalidTokenError.
 */
export async function revocationTarget(token: unknown, kinds: readonly TokenKind[]): Promise<ParsedRevocation> {
  const { payload } = await verifyJwt(token, { ignoreExpiry: true });
  const kind = kindOf(payload);
  if (!kind || !kinds.includes(kind)) throw new InvalidTokenError("Wrong token type");
  if (!isUuid(payload.jti)) throw new InvalidTokenError("Invalid claims");
  return { kind, jti: payload.jti, expiresAt: new Date((payload.exp as number) * 1000) };
}

/** Revokes a compact token of one of `kinds` (signature checked first). */
export async function revokeToken(
  token: unknown,
  kinds: readonly TokenKind[],
  by: Pick<Revocation, "reason" | "revokedBy">,
): Promise<{ outcome: RevocationOutcome; jti: string; kind: TokenKind }> {
  const target = await revocationTarget(token, kinds);
  const outcome = await revokeByJti(target.kind, { ...target, ...by });
  return { outcome, jti: target.jti, kind: target.kind };
}
