import { randomUUID } from "node:crypto";
import type { JWTPayload } from "jose";
import { z } from "zod";
import { prepared, runPrepared, type PreparedStatement } from "@/lib/db/prepared";
import { TimError } from "@/lib/http/errors";
import { signJwt } from "@/lib/jwt/sign";
import { InvalidTokenError, verifyJwt, type InvalidTokenReason } from "@/lib/jwt/verify";
import { isRevoked, notePending, noteRevoked } from "@/lib/tokens/denylist";
import { tokenHash } from "@/lib/tokens/hash";
import { isUniqueViolation, isUuid, kindOf, type TokenKind } from "@/lib/tokens/kinds";
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
 * and the denylist row of the old token, all in one statement. Expired,
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

  if (await isRevoked(kind, oldJti)) throw denied("Token revoked");

  // Signed before the write (signing may touch tim.signing_keys); discarded if the write fails.
  const iat = nowSeconds();
  const exp = iat + opts.lifetimeMinutes * 60;
  const jti = randomUUID();
  const newPayload: JWTPayload = { ...payload, iat, exp, jti };
  const token = await signJwt(newPayload);

  notePending(kind, oldJti);
  let row: ExtensionRow;
  try {
    [row] = await runPrepared<ExtensionRow>(EXTEND[kind], [
      oldJti,
      jti,
      new Date(iat * 1000),
      new Date(exp * 1000),
      JSON.stringify(newPayload),
      tokenHash(token),
      opts.clientId !== undefined,
      opts.clientId ?? null,
      opts.revokedBy ?? null,
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict();
    throw err;
  }
  if (row.found === 0) throw denied("Token not found");
  // Revoked (or extended) between the check above and the write: nothing was written.
  if (!row.id) throw conflict();
  noteRevoked(kind, oldJti, row.old_expires_at!);
  return {
    token,
    jti,
    name: row.jwt_name,
    expiresAt: isoSeconds(exp),
    payload: newPayload,
    id: row.id,
    supersedes: row.supersedes!,
    originalJwtUuid: row.original_jwt_uuid!,
  };
}

type ExtensionRow = {
  found: number;
  id: string | null;
  supersedes: string | null;
  original_jwt_uuid: string | null;
  jwt_name: string | null;
  old_expires_at: Date | null;
};

/*
 * One statement per kind: the old token's denylist row, the new metadata row
 * (a copy of the old one with what is new: supersedes = old id, same chain
 * root; TARA rows carry their login details along) and the allowlist place
 * handed to the successor. The new row is written only if the denylist row
 * was (ON CONFLICT: revoked or extended meanwhile → nothing written); two
 * concurrent extensions meet on the denylist key or UNIQUE(supersedes), and
 * a failing statement writes nothing.
 * $1 old jti, $2 new jti, $3 iat, $4 exp, $5 claims, $6 token hash,
 * $7 whether $8 replaces the client id, $9 revoked_by.
 */
const EXTEND: Record<TokenKind, PreparedStatement> = {
  custom: prepared(
    "extend_custom",
    `WITH prev AS (SELECT * FROM custom.jwt_metadata WHERE jwt_uuid = $1),
     den AS (
       INSERT INTO custom.denylist (jwt_uuid, expires_at, reason, revoked_by)
       SELECT jwt_uuid, expires_at, 'extended', $9 FROM prev
       ON CONFLICT (jwt_uuid) DO NOTHING RETURNING jwt_uuid, expires_at
     ), ins AS (
       INSERT INTO custom.jwt_metadata (jwt_uuid, claim_keys, issued_at, expires_at, subject, jwt_name, audience,
              issuer, supersedes, original_jwt_uuid, claims_json, token_hash, token_type, client_id)
       SELECT $2, p.claim_keys, $3, $4, p.subject, p.jwt_name, p.audience, p.issuer, p.id, p.original_jwt_uuid,
              $5::jsonb, $6, p.token_type, CASE WHEN $7::boolean THEN $8 ELSE p.client_id END
         FROM prev p WHERE EXISTS (SELECT 1 FROM den)
       RETURNING id, supersedes, original_jwt_uuid, jwt_name
     ), unlisted AS (
       DELETE FROM custom.allowlist a USING den WHERE a.jwt_uuid = den.jwt_uuid RETURNING a.jwt_uuid
     ), listed AS (
       INSERT INTO custom.allowlist (jwt_hash, jwt_uuid, expires_at)
       SELECT $6, $2, $4 FROM ins WHERE EXISTS (SELECT 1 FROM unlisted)
       ON CONFLICT DO NOTHING RETURNING 1
     )
     SELECT (SELECT count(*)::int FROM prev) AS found, i.id::text, i.supersedes::text, i.original_jwt_uuid::text,
            i.jwt_name, (SELECT expires_at FROM den) AS old_expires_at
       FROM (SELECT 1) AS one LEFT JOIN ins i ON true`,
  ),
  tara: prepared(
    "extend_tara",
    `WITH prev AS (SELECT * FROM tara.jwt_metadata WHERE jwt_uuid = $1),
     den AS (
       INSERT INTO tara.denylist (jwt_uuid, expires_at, reason, revoked_by)
       SELECT jwt_uuid, expires_at, 'extended', $9 FROM prev
       ON CONFLICT (jwt_uuid) DO NOTHING RETURNING jwt_uuid, expires_at
     ), ins AS (
       INSERT INTO tara.jwt_metadata (jwt_uuid, claim_keys, issued_at, expires_at, subject, jwt_name, audience,
              issuer, supersedes, original_jwt_uuid, claims_json, token_hash, token_type, client_id,
              auth_method, level_of_assurance, session_id, oauth_state_id, given_name, family_name)
       SELECT $2, p.claim_keys, $3, $4, p.subject, p.jwt_name, p.audience, p.issuer, p.id, p.original_jwt_uuid,
              $5::jsonb, $6, p.token_type, CASE WHEN $7::boolean THEN $8 ELSE p.client_id END,
              p.auth_method, p.level_of_assurance, p.session_id, p.oauth_state_id, p.given_name, p.family_name
         FROM prev p WHERE EXISTS (SELECT 1 FROM den)
       RETURNING id, supersedes, original_jwt_uuid, jwt_name
     ), unlisted AS (
       DELETE FROM tara.allowlist a USING den WHERE a.jwt_uuid = den.jwt_uuid RETURNING a.jwt_uuid
     ), listed AS (
       INSERT INTO tara.allowlist (jwt_hash, jwt_uuid, expires_at)
       SELECT $6, $2, $4 FROM ins WHERE EXISTS (SELECT 1 FROM unlisted)
       ON CONFLICT DO NOTHING RETURNING 1
     )
     SELECT (SELECT count(*)::int FROM prev) AS found, i.id::text, i.supersedes::text, i.original_jwt_uuid::text,
            i.jwt_name, (SELECT expires_at FROM den) AS old_expires_at
       FROM (SELECT 1) AS one LEFT JOIN ins i ON true`,
  ),
};

function conflict(): TimError {
  return new TimError(409, "extend_conflict", "This token is being extended or was extended already.");
}
