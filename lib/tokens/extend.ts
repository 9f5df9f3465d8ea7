import { randomUUID } from "node:crypto";
import type { JWTPayload } from "jose";
import { z } from "zod";
import { tokenOwnerLimit, type ApiCaller } from "@/lib/clients/scopes";
import { batcher } from "@/lib/db/batcher";
import { prepared, runPrepared } from "@/lib/db/prepared";
import { TimError, isDataRefusal, isUniqueViolation, refusedInput } from "@/lib/http/errors";
import { signJwt } from "@/lib/jwt/sign";
import { InvalidTokenError, verifyJwt, type InvalidTokenReason } from "@/lib/jwt/verify";
import { knownRevoked } from "@/lib/tokens/denylist";
import { notePending, noteRevoked } from "@/lib/tokens/denylist-set";
import { checkAllowed } from "@/lib/tokens/generate";
import { tokenHash } from "@/lib/tokens/hash";
import { byKind, isUuid, kindOf, type TokenKind } from "@/lib/tokens/kinds";
import { noteRecorded } from "@/lib/tokens/recorded";
import type { TokenOrigin } from "@/lib/tokens/origin";
import { SUPERSEDED_REASON } from "@/lib/tokens/status";
import { writeWithinLimits, type LimitedSubject } from "@/lib/tokens/token-limit";
import { notTokenOwner } from "@/lib/tokens/revoke";
import { MAX_LIFETIME_MINUTES, isoSeconds, nowSeconds } from "@/lib/tokens/time";
import { countTokens, failureOutcome } from "@/lib/metrics/registry";

/**
 * TIM 2.0's extend request: expirationInMinutes defaults to 60, setCookie (TIM 2.0's OpenAPI and code) sets the
 * new token as the cookie EXTENDED_TOKEN, unknown fields are ignored as Spring ignores them.
 */
export const extendRequestSchema = z.object({
  token: z.string().min(1).max(16_384),
  expirationInMinutes: z.number().int().positive().max(MAX_LIFETIME_MINUTES).default(60),
  setCookie: z.boolean().optional(),
});

/** The cookie TIM 2.0 sets for an extended token when asked (setCookie), whatever the token's name. */
export const EXTENDED_TOKEN_COOKIE = "EXTENDED_TOKEN";

export type ExtendOptions = {
  token: unknown;
  lifetimeMinutes: number;
  /** API client recorded on the new row; default: the previous row's. */
  clientId?: string | null;
  /** Recorded as revoked_by on the old token's denylist row. */
  revokedBy?: string | null;
  /**
   * The API client asking: its policy applies as to issuance (maximum lifetime,
   * allowed audiences), and it extends only tokens it issued unless it holds
   * tokens:revoke:any (the extension revokes the old token).
   */
  caller?: ApiCaller;
  /** Where the extension came from: recorded on the new version (not the previous version's). */
  origin?: TokenOrigin;
  /** The request that asked: kept, with the origin's address, on the old token's denylist row (the audit fold reads it). */
  requestId?: string | null;
  /** The latest expiry (seconds) the new token may have, from the old token's claims; reached: 401. */
  latestExpiry?: (payload: JWTPayload) => number;
  /**
   * The limit on active tokens per subject that the new version counts against
   * (lib/tokens/token-limit.ts): the new row's client and the limit; absent or
   * a null limit: none.
   */
  limit?: { clientId: string | null; limit: number | null; revokedBy: string };
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

type ExtendDeniedReason = InvalidTokenReason | "Session lifetime exceeded";

function denied(reason: ExtendDeniedReason): TimError {
  return new TimError("extend_denied", reason, { reason });
}

/**
 * Extends a token of `kind`: a new token with the same claims (new jti, iat,
 * exp), its metadata row (supersedes = the previous row's id, same chain root)
 * and the denylist row of the old token, all in one statement (shared with
 * concurrent extensions: one commit per group). Expired,
 * revoked, unknown or forged tokens → 401 extend_denied. Of two concurrent
 * extensions of one token exactly one succeeds; UNIQUE(supersedes) and the
 * denylist primary key turn the other into 409 extend_conflict (or 401 when it
 * starts after the first committed), so the chain stays linear.
 */
export async function extendToken(kind: TokenKind, opts: ExtendOptions): Promise<ExtendedToken> {
  try {
    const extended = await extendOnce(kind, opts);
    countTokens("extended", kind, "ok");
    return extended;
  } catch (err) {
    countTokens("extended", kind, failureOutcome(err));
    throw err;
  }
}

async function extendOnce(kind: TokenKind, opts: ExtendOptions): Promise<ExtendedToken> {
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
  if (opts.caller) checkAllowed(opts.lifetimeMinutes, payload.aud ?? [], opts.caller);

  // Known here: refused before signing. Otherwise the statement below reads the denylist itself.
  if (knownRevoked(kind, oldJti)) throw denied("Token revoked");

  // Signed before the write (signing may touch tim.signing_keys); discarded if the write fails.
  const iat = nowSeconds();
  const latest = opts.latestExpiry?.(payload) ?? Infinity;
  if (latest <= iat) throw denied("Session lifetime exceeded");
  const exp = Math.min(iat + opts.lifetimeMinutes * 60, latest);
  const jti = randomUUID();
  const newPayload: JWTPayload = { ...payload, iat, exp, jti };
  const token = await signJwt(newPayload);

  notePending(kind, oldJti);
  const asked: ExtensionAsked = {
    old: oldJti,
    jti,
    iat: new Date(iat * 1000).toISOString(),
    exp: new Date(exp * 1000).toISOString(),
    claims: newPayload,
    hash: tokenHash(token),
    set_client: opts.clientId !== undefined,
    client_id: opts.clientId ?? null,
    revoked_by: opts.revokedBy ?? null,
    owner: opts.caller ? (tokenOwnerLimit(opts.caller) ?? null) : null,
    client_address: opts.origin?.clientAddress ?? null,
    user_agent: opts.origin?.userAgent ?? null,
    request_id: opts.requestId ?? null,
  };
  const limited: LimitedSubject[] =
    opts.limit?.limit && typeof payload.sub === "string"
      ? [{ clientId: opts.limit.clientId, subject: payload.sub, limit: opts.limit.limit, revokedBy: opts.limit.revokedBy }]
      : [];
  const row = await (limited.length ? extendWithinLimit(kind, asked, limited) : extendInGroup[kind](asked)).catch((err: unknown): never => {
    if (isUniqueViolation(err)) throw conflict();
    if (isDataRefusal(err)) throw refusedInput(err, "token");
    throw err;
  });
  if (row === "conflict") throw conflict();
  if (row.found === 0) throw denied("Token not found");
  if (!row.owned) throw notTokenOwner();
  if (!row.id) {
    // Nothing written: revoked (or extended) before the statement began, or by a concurrent extension.
    if (row.revoked_before) throw denied("Token revoked");
    throw conflict();
  }
  noteRevoked(kind, oldJti, row.old_expires_at!);
  noteRecorded(kind, jti, exp);
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
  old: string;
  found: number;
  /** The asking client may extend this token (see ExtendOptions.caller); nothing was written otherwise. */
  owned: boolean;
  id: string | null;
  supersedes: string | null;
  original_jwt_uuid: string | null;
  jwt_name: string | null;
  old_expires_at: Date | null;
  /** The old token was on the denylist before the statement began (revoked, or extended already). */
  revoked_before: boolean;
};

/** One extension as the statement reads it (a JSON object of $1). */
type ExtensionAsked = {
  old: string;
  jti: string;
  iat: string;
  exp: string;
  claims: JWTPayload;
  hash: string;
  set_client: boolean;
  client_id: string | null;
  revoked_by: string | null;
  /** Extend only if the old row's client_id is this; null: any token. */
  owner: string | null;
  /** The extender's address and User-Agent, for the new row. */
  client_address: string | null;
  user_agent: string | null;
  /** The asking request, for the old token's denylist row (the address there is client_address). */
  request_id: string | null;
};

/*
 * One statement per kind for a group of concurrent extensions ($1: JSON array
 * of ExtensionAsked): each old token's denylist row (in jti order, so that
 * overlapping groups lock alike), then — only where that row was written —
 * the new metadata row, a copy of the old one with what is new (supersedes =
 * old id, same chain root; TARA rows carry their login details along; the
 * address and User-Agent are the extender's), and the
 * allowlist place handed to the successor. An old token revoked or extended
 * meanwhile gets no new row (ON CONFLICT); one another client issued than the
 * asked `owner` gets nothing written; a failing statement writes nothing.
 */
const EXTEND = byKind((k) => {
  const carriedColumns = k.ownColumns.map((c) => `, ${c.column}`).join("");
  const carriedValues = k.ownColumns.map((c) => `, p.${c.column}`).join("");
  return prepared(
    `extend_${k.kind}`,
    `WITH asked AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(old uuid, jti uuid, iat timestamptz, exp timestamptz,
              claims jsonb, hash text, set_client boolean, client_id text, revoked_by text, owner text,
              client_address inet, user_agent text, request_id text)
     ), prev AS (
       SELECT m.*, a.jti AS new_jti, a.iat AS new_iat, a.exp AS new_exp, a.claims AS new_claims, a.hash AS new_hash,
              a.set_client, a.client_id AS new_client_id, a.revoked_by AS new_revoked_by,
              a.client_address AS new_client_address, a.user_agent AS new_user_agent, a.request_id AS new_request_id,
              (a.owner IS NULL OR m.client_id IS NOT DISTINCT FROM a.owner) AS owned
         FROM ${k.table.metadata} m JOIN asked a ON m.jwt_uuid = a.old
     ), den AS (
       INSERT INTO ${k.table.denylist} (jwt_uuid, expires_at, reason, revoked_by, request_id, source_address)
       SELECT jwt_uuid, expires_at, '${SUPERSEDED_REASON}', new_revoked_by, new_request_id, new_client_address
         FROM prev WHERE owned ORDER BY jwt_uuid
       ON CONFLICT (jwt_uuid) DO NOTHING RETURNING jwt_uuid, expires_at
     ), ins AS (
       INSERT INTO ${k.table.metadata} (jwt_uuid, claim_keys, issued_at, expires_at, subject, jwt_name, audience,
              issuer, supersedes, original_jwt_uuid, claims_json, token_hash, token_type, client_id,
              client_address, user_agent${carriedColumns})
       SELECT p.new_jti, p.claim_keys, p.new_iat, p.new_exp, p.subject, p.jwt_name, p.audience, p.issuer, p.id,
              p.original_jwt_uuid, p.new_claims, p.new_hash, p.token_type,
              CASE WHEN p.set_client THEN p.new_client_id ELSE p.client_id END,
              p.new_client_address, p.new_user_agent${carriedValues}
         FROM prev p JOIN den d ON d.jwt_uuid = p.jwt_uuid
       RETURNING id, jwt_uuid, supersedes, original_jwt_uuid, jwt_name
     ), unlisted AS (
       DELETE FROM ${k.table.allowlist} a USING den WHERE a.jwt_uuid = den.jwt_uuid RETURNING a.jwt_uuid
     ), listed AS (
       INSERT INTO ${k.table.allowlist} (jwt_hash, jwt_uuid, expires_at)
       SELECT p.new_hash, p.new_jti, p.new_exp FROM prev p JOIN unlisted u ON u.jwt_uuid = p.jwt_uuid
       ON CONFLICT DO NOTHING RETURNING 1
     )
     SELECT a.old::text, (p.jwt_uuid IS NOT NULL)::int AS found, coalesce(p.owned, true) AS owned, i.id::text, i.supersedes::text,
            i.original_jwt_uuid::text, i.jwt_name, d.expires_at AS old_expires_at,
            -- the statement's snapshot: rows committed before it began, not the ones den writes or waits for
            (SELECT true FROM ${k.table.denylist} x WHERE x.jwt_uuid = a.old) IS NOT NULL AS revoked_before
       FROM asked a LEFT JOIN prev p ON p.jwt_uuid = a.old LEFT JOIN den d ON d.jwt_uuid = a.old
            LEFT JOIN ins i ON i.jwt_uuid = a.jti`,
  );
});

type ExtensionResult = ExtensionRow | "conflict";

async function runExtensions(kind: TokenKind, asked: ExtensionAsked[]): Promise<ExtensionRow[]> {
  const rows = await runPrepared<ExtensionRow>(EXTEND[kind], [JSON.stringify(asked)]);
  const byOld = new Map(rows.map((r) => [r.old, r]));
  return asked.map((a) => byOld.get(a.old)!);
}

// A group the database refuses (one extension clashing on UNIQUE(supersedes), a row it cannot store) is
// re-run in parts by the batcher, so that only the extension at fault fails (see extendToken).
function extendGroup(kind: TokenKind): (asked: ExtensionAsked) => Promise<ExtensionResult> {
  return batcher<ExtensionAsked, ExtensionResult>(
    async (asked) => {
      // The same token asked twice in one group: the first asking extends it, the other one conflicts.
      const first = new Map<string, number>();
      for (const [i, a] of asked.entries()) if (!first.has(a.old)) first.set(a.old, i);
      const unique = [...first.values()].map((i) => asked[i]);
      const rows = await runExtensions(kind, unique);
      const byOld = new Map(unique.map((a, i) => [a.old, rows[i]]));
      return asked.map((a, i) => (first.get(a.old) === i ? byOld.get(a.old)! : "conflict"));
    },
    { name: "extend", maxSize: 200, maxInFlight: 2 },
  );
}
const extendInGroup = byKind((k) => extendGroup(k.kind));

/*
 * An extension counted against a limit runs alone, under its subject's lock and
 * with the revocations past the limit, as a limited issuance does: unlocked, an
 * issuance could count the old token as the oldest, revoke it as the extension
 * supersedes it, and leave the new version over the limit.
 */
async function extendWithinLimit(kind: TokenKind, asked: ExtensionAsked, limited: LimitedSubject[]): Promise<ExtensionRow> {
  const { result } = await writeWithinLimits(kind, limited, async (tx) => {
    const [row] = await tx.$queryRawUnsafe<ExtensionRow[]>(EXTEND[kind].text, JSON.stringify([asked]));
    return { result: row, fresh: row.id ? [asked.jti] : [] };
  });
  return result;
}

function conflict(): TimError {
  return new TimError("extend_conflict", "This token is being extended or was extended already.");
}
