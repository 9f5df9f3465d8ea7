import { z } from "zod";
import { batcher } from "@/lib/db/batcher";
import { TimError, isDataRefusal, refusedInput } from "@/lib/http/errors";
import { prepared, runPrepared } from "@/lib/db/prepared";
import { InvalidTokenError, verifyJwt } from "@/lib/jwt/verify";
import { notePending, noteRevoked } from "@/lib/tokens/denylist-set";
import { KINDS, byKind, isUuid, kindOf, type DbTx, type TokenKind } from "@/lib/tokens/kinds";
import { storableString } from "@/lib/db/storable";
import { countTokens } from "@/lib/metrics/registry";
import { storedAddress, type ChangeSource } from "@/lib/tokens/origin";

export const revokeRequestSchema = z.object({
  token: z.string().min(1).max(16_384),
  reason: storableString.trim().min(1).max(500).optional(),
});

/** not_owned: another client issued the token (see Revocation.onlyIssuedBy); nothing was written. */
export type RevocationOutcome = "revoked" | "already_revoked" | "not_owned";

export type Revocation = ChangeSource & {
  jti: string;
  /** The token's own expiry: the denylist row can go once it passed. */
  expiresAt: Date;
  reason?: string | null;
  /** Who revoked: `client:<id>`, `admin:<subject>`, `user:<subject>`, `anonymous`. */
  revokedBy?: string | null;
  /** Revoke only if the token's metadata row names this API client (tokenOwnerLimit); unset: any token. */
  onlyIssuedBy?: string;
};

/** RFC 7009 §2.1 (with RFC 6749 §5.2's error shape): this client may not revoke the token. */
export function refusedRfc7009(description: string): TimError {
  return new TimError("unauthorized_client", description, { error_description: description });
}

/** The answer to a client revoking or extending a token another client issued. */
export function notTokenOwner(): TimError {
  return new TimError("token_not_owned", "This token was issued by another API client; ending it needs the scope tokens:revoke:any.", {
    reason: "Token not issued by this client",
  });
}

/*
 * One statement per group of concurrent revocations: the denylist rows and the
 * allowlist removals commit together, in one commit (and one NOTIFY queue
 * lock) for the group. Rows go in jti order so that overlapping groups take
 * their row locks in the same order. A row with an `owner` is written only if
 * the token's metadata row names that client (one index probe, in the same
 * statement); the others come back as not owned.
 * $1: [{jwt_uuid, expires_at, reason, revoked_by, owner, request_id, source_address}].
 */
const REVOKE = byKind((k) =>
  prepared(
    `revoke_${k.kind}`,
    `WITH asked AS (
       SELECT x.*, (x.owner IS NULL
              OR (SELECT m.client_id FROM ${k.table.metadata} m WHERE m.jwt_uuid = x.jwt_uuid) IS NOT DISTINCT FROM x.owner) AS owned
         FROM jsonb_to_recordset($1::jsonb)
              AS x(jwt_uuid uuid, expires_at timestamptz, reason text, revoked_by text, owner text, request_id text, source_address inet)
     ), denied AS (
       INSERT INTO ${k.table.denylist} (jwt_uuid, expires_at, reason, revoked_by, request_id, source_address)
       SELECT jwt_uuid, expires_at, reason, revoked_by, request_id, source_address FROM asked WHERE owned ORDER BY jwt_uuid
       ON CONFLICT (jwt_uuid) DO NOTHING RETURNING jwt_uuid
     ), unlisted AS (DELETE FROM ${k.table.allowlist} WHERE jwt_uuid IN (SELECT jwt_uuid FROM asked WHERE owned))
     SELECT jwt_uuid::text AS jti, NULL AS owner FROM denied
     UNION ALL
     SELECT jwt_uuid::text, owner FROM asked WHERE NOT owned`,
  ),
);

function revokeGroup(kind: TokenKind): (r: Revocation) => Promise<RevocationOutcome> {
  return batcher<Revocation, RevocationOutcome>(
    async (revocations) => {
      // A jti asked twice in one group: the first asking it may end revokes it, the others find it revoked.
      const askingKey = (r: Revocation) => `${r.jti} ${r.onlyIssuedBy ?? ""}`;
      const first = new Map<string, Revocation>();
      for (const r of revocations) if (!first.has(askingKey(r))) first.set(askingKey(r), r);
      const rows = await runPrepared<{ jti: string; owner: string | null }>(REVOKE[kind], [
        JSON.stringify(
          [...first.values()].map((r) => ({
            jwt_uuid: r.jti,
            expires_at: r.expiresAt.toISOString(),
            reason: r.reason ?? null,
            revoked_by: r.revokedBy ?? null,
            owner: r.onlyIssuedBy ?? null,
            request_id: r.requestId ?? null,
            source_address: storedAddress(r.sourceAddress),
          })),
        ),
      ]);
      const revoked = new Set(rows.filter((r) => r.owner === null).map((r) => r.jti));
      const notOwned = new Set(rows.filter((r) => r.owner !== null).map((r) => `${r.jti} ${r.owner}`));
      return revocations.map((r) => {
        if (notOwned.has(askingKey(r))) return "not_owned";
        if (!revoked.delete(r.jti)) return "already_revoked";
        return "revoked";
      });
    },
    { name: "revoke", maxSize: 500, maxInFlight: 2 },
  );
}
const revokeInGroup = byKind((k) => revokeGroup(k.kind));

/**
 * Puts one token (by jti) on its kind's denylist and drops its allowlist entry,
 * in the caller's transaction when `tx` is given (for callers that may end any
 * token: `onlyIssuedBy` is not read there), else together with concurrent
 * revocations (one statement, one commit). Idempotent: a second
 * revocation answers "already_revoked" and keeps the first row.
 */
export async function revokeByJti(kind: TokenKind, revocation: Revocation, tx?: DbTx): Promise<RevocationOutcome> {
  if (tx) {
    notePending(kind, revocation.jti);
    const { denylist, allowlist } = KINDS[kind].sql;
    const count = await tx.$executeRaw`
      INSERT INTO ${denylist} (jwt_uuid, expires_at, reason, revoked_by, request_id, source_address)
      VALUES (${revocation.jti}::uuid, ${revocation.expiresAt}, ${revocation.reason ?? null}, ${revocation.revokedBy ?? null},
              ${revocation.requestId ?? null}, ${storedAddress(revocation.sourceAddress)}::inet)
      ON CONFLICT (jwt_uuid) DO NOTHING`;
    await tx.$executeRaw`DELETE FROM ${allowlist} WHERE jwt_uuid = ${revocation.jti}::uuid`;
    // Counted when the statement ran; a transaction rolled back later still counts (rare: an audit write failing).
    const outcome = count === 1 ? "revoked" : "already_revoked";
    countTokens("revoked", kind, outcome);
    return outcome;
  }
  const outcome = await revokeInGroup[kind](revocation).catch((err: unknown): never => {
    countTokens("revoked", kind, "failed");
    // Refused for this revocation's own data (its group committed without it).
    throw isDataRefusal(err) ? refusedInput(err, "reason") : err;
  });
  countTokens("revoked", kind, outcome);
  if (outcome !== "not_owned") noteRevoked(kind, revocation.jti, revocation.expiresAt);
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
  by: Pick<Revocation, "reason" | "revokedBy" | "onlyIssuedBy" | "requestId" | "sourceAddress">,
): Promise<{ outcome: RevocationOutcome; jti: string; kind: TokenKind }> {
  const target = await revocationTarget(token, kinds);
  const outcome = await revokeByJti(target.kind, { ...target, ...by });
  return { outcome, jti: target.jti, kind: target.kind };
}
