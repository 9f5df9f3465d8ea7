import { z } from "zod";
import { batcher } from "@/lib/db/batcher";
import { isDataRefusal, refusedInput } from "@/lib/http/errors";
import { prepared, runPrepared, type PreparedStatement } from "@/lib/db/prepared";
import { InvalidTokenError, verifyJwt } from "@/lib/jwt/verify";
import { notePending, noteRevoked } from "@/lib/tokens/denylist";
import { isUuid, kindOf, tokenTables, type DbTx, type TokenKind } from "@/lib/tokens/kinds";
import { storableString } from "@/lib/db/storable";

export const revokeRequestSchema = z.object({
  token: z.string().min(1).max(16_384),
  reason: storableString.trim().min(1).max(500).optional(),
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

/*
 * One statement per group of concurrent revocations: the denylist rows and the
 * allowlist removals commit together, in one commit (and one NOTIFY queue
 * lock) for the group. Rows go in jti order so that overlapping groups take
 * their row locks in the same order. $1: [{jwt_uuid, expires_at, reason, revoked_by}].
 */
const revokeStatement = (schema: TokenKind) =>
  prepared(
    `revoke_${schema}`,
    `WITH asked AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(jwt_uuid uuid, expires_at timestamptz, reason text, revoked_by text)
     ), denied AS (
       INSERT INTO ${schema}.denylist (jwt_uuid, expires_at, reason, revoked_by)
       SELECT jwt_uuid, expires_at, reason, revoked_by FROM asked ORDER BY jwt_uuid
       ON CONFLICT (jwt_uuid) DO NOTHING RETURNING jwt_uuid
     ), unlisted AS (DELETE FROM ${schema}.allowlist WHERE jwt_uuid IN (SELECT jwt_uuid FROM asked))
     SELECT jwt_uuid::text AS jti FROM denied`,
  );
const REVOKE: Record<TokenKind, PreparedStatement> = { custom: revokeStatement("custom"), tara: revokeStatement("tara") };

function revokeGroup(kind: TokenKind) {
  return batcher<Revocation, RevocationOutcome>(
    async (revocations) => {
      // A jti asked twice in one group: the first asking revokes it, the second finds it revoked.
      const first = new Map<string, number>();
      revocations.forEach((r, i) => first.has(r.jti) || first.set(r.jti, i));
      const rows = await runPrepared<{ jti: string }>(REVOKE[kind], [
        JSON.stringify(
          [...first.keys()].map((jti) => {
            const r = revocations[first.get(jti)!];
            return { jwt_uuid: jti, expires_at: r.expiresAt.toISOString(), reason: r.reason ?? null, revoked_by: r.revokedBy ?? null };
          }),
        ),
      ]);
      const revoked = new Set(rows.map((r) => r.jti));
      return revocations.map((r, i) => (first.get(r.jti) === i && revoked.has(r.jti) ? "revoked" : "already_revoked"));
    },
    { maxSize: 500, maxInFlight: 2 },
  );
}
const revokeInGroup: Record<TokenKind, (r: Revocation) => Promise<RevocationOutcome>> = {
  custom: revokeGroup("custom"),
  tara: revokeGroup("tara"),
};

/**
 * Puts one token (by jti) on its kind's denylist and drops its allowlist entry,
 * in the caller's transaction when `tx` is given, else together with concurrent
 * revocations (one statement, one commit). Idempotent: a second
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
  const outcome = await revokeInGroup[kind](revocation).catch((err: unknown): never => {
    // Refused for this revocation's own data (its group committed without it).
    throw isDataRefusal(err) ? refusedInput(err, "reason") : err;
  });
  noteRevoked(kind, revocation.jti, revocation.expiresAt);
  return outcome;
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
