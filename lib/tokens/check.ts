import type { JWTPayload } from "jose";
import { config } from "@/lib/config/env";
import { InvalidTokenError, verifyJwt, type VerifyOptions } from "@/lib/jwt/verify";
import { tokenStanding } from "@/lib/tokens/denylist";
import { tokenHash } from "@/lib/tokens/hash";
import { byKind, isUuid, kindOf, type TokenKind } from "@/lib/tokens/kinds";
import { prepared, runPrepared } from "@/lib/db/prepared";
import { knownRecorded, noteRecorded, recordRequired } from "@/lib/tokens/recorded";

export type CheckedToken = { payload: JWTPayload & { jti: string; exp: number }; kind: TokenKind };

export type CheckOptions = Pick<VerifyOptions, "audience" | "issuer"> & {
  /** Token kinds accepted here; others fail with "Wrong token type". */
  kinds?: readonly TokenKind[];
};

// A TARA token's allowlist entry, by the hash of the token ($1).
const ALLOWLISTED = byKind((k) => prepared(`allowlisted_${k.kind}`, `SELECT expires_at FROM ${k.table.allowlist} WHERE jwt_hash = $1`));

/**
 * Full validity check of a TIM token: signature with a published key, issuer
 * (TIM_ISSUER), expiry, optional audience, token kind, then the denylist
 * (in-process when its listener is live, else one primary-key lookup) and, in
 * sync mode, that its metadata row exists (asked in the same grouped lookup,
 * unless this process knows the row already), and, for TARA tokens when
 * TARA_REQUIRE_ALLOWLIST=true, the allowlist.
 * Throws InvalidTokenError with the reason; database failures propagate (fail closed).
 */
export async function checkToken(token: unknown, opts: CheckOptions = {}): Promise<CheckedToken> {
  const { payload } = await verifyJwt(token, opts);
  const kind = kindOf(payload);
  if (!kind || (opts.kinds && !opts.kinds.includes(kind))) throw new InvalidTokenError("Wrong token type");
  if (!isUuid(payload.jti)) throw new InvalidTokenError("Invalid claims");
  const needRecord = recordRequired() && !knownRecorded(kind, payload.jti);
  const standing = await tokenStanding(kind, payload.jti, needRecord);
  if (standing === "revoked") throw new InvalidTokenError("Token revoked");
  if (standing === "unrecorded") throw new InvalidTokenError("Token not found");
  if (needRecord) noteRecorded(kind, payload.jti, payload.exp as number);
  if (kind === "tara" && config().TARA_REQUIRE_ALLOWLIST) {
    const [allowed] = await runPrepared<{ expires_at: Date }>(ALLOWLISTED[kind], [tokenHash(token as string)]);
    if (!allowed || allowed.expires_at.getTime() <= Date.now()) throw new InvalidTokenError("Token not in allowlist");
  }
  return { payload: payload as CheckedToken["payload"], kind };
}
