import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTHeaderParameters, type JWTPayload } from "jose";
import { LRUCache } from "lru-cache";
import { findUnstorableJson } from "@/lib/db/storable";
import { config } from "@/lib/config/env";
import { TimError } from "@/lib/http/errors";
import { SIGNING_ALGS } from "@/lib/jwt/key-material";
import { verificationKey } from "@/lib/jwt/keys";

/** Why a token is not valid, in TIM 2.0's words (the `reason` field of validation answers). */
export type InvalidTokenReason =
  | "Malformed token"
  | "Unsupported algorithm"
  | "Invalid token header"
  | "Unknown key"
  | "Invalid signature"
  | "Token expired"
  | "Token not yet valid"
  | "Invalid audience"
  | "Invalid issuer"
  | "Invalid claims"
  | "Token revoked"
  | "Token not found"
  | "Token not in allowlist"
  | "Wrong token type";

/**
 * A token that failed verification; `reason` says why. Uncaught, it answers as
 * RFC 6750 §3.1 has a presented token refused: 401 `invalid_token` with the
 * reason and a Bearer challenge. Where the token is not the credential but the
 * subject of the request, the use case catches it.
 */
export class InvalidTokenError extends TimError {
  constructor(readonly reason: InvalidTokenReason) {
    super("invalid_token", reason, { reason }, { "www-authenticate": 'Bearer realm="TIM", error="invalid_token"' });
  }
}

export type VerifyOptions = {
  audience?: string | string[];
  /** The issuer the caller expects; TIM_ISSUER is required in any case. */
  issuer?: string;
  /** Accept expired tokens (signature still checked), e.g. to revoke one. */
  ignoreExpiry?: boolean;
};

export type VerifiedJwt = { payload: JWTPayload; header: JWTHeaderParameters };

/** Headers that would let the token choose its own verification key. */
const KEY_REFERENCE_HEADERS = ["jku", "x5u", "jwk", "x5c"] as const;
// An empty signature is let through so that `alg: none` is refused by name.
const JWS_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Tokens that verified, by their exact text and the checks asked: a client
 * presents its token for many calls, and the same text with the same signature
 * needs no second RSA check. What is kept cannot change (signature, header,
 * claims); on every hit the token must still be unexpired and its key still
 * published (the same key: a key retired or revoked since fails the token at
 * once). Only successes are kept, bounded in bytes (bounded memory, issue 13).
 */
const verified = new LRUCache<string, VerifiedJwt & { publicKey: CryptoKey }>({
  maxSize: 16 * 1024 * 1024,
  sizeCalculation: (_value, key) => 2 * key.length + 1024,
});

/** The cache key: the token with the checks that decided it (expiry is checked again on every hit). */
function verifiedKey(token: string, opts: VerifyOptions): string | undefined {
  if (opts.ignoreExpiry) return undefined;
  const audience = opts.audience === undefined ? "" : JSON.stringify(opts.audience);
  return `${config().TIM_ISSUER}\u0000${audience}\u0000${opts.issuer ?? ""}\u0000${token}`;
}

/**
 * Verifies a compact JWS signed by one of TIM's published keys. Only the key
 * named by `kid` is tried, only with that key's algorithm; `alg: none`, HMAC
 * and self-referencing key headers are refused before any cryptography. The
 * issuer must be TIM_ISSUER and `iat` may not lie further ahead than
 * TIM_CLOCK_SKEW_SECONDS. A token verified before with the same checks is
 * answered from `verified`.
 */
export async function verifyJwt(token: unknown, opts: VerifyOptions = {}): Promise<VerifiedJwt> {
  if (typeof token !== "string" || !JWS_SHAPE.test(token)) throw new InvalidTokenError("Malformed token");
  const cacheKey = verifiedKey(token, opts);
  const hit = cacheKey === undefined ? undefined : verified.get(cacheKey);
  if (hit) {
    // jose's rule: expired once exp <= now (whole seconds, no tolerance configured).
    const unexpired = (hit.payload.exp as number) > Math.floor(Date.now() / 1000);
    if (unexpired && (await verificationKey(hit.header.kid!))?.publicKey === hit.publicKey) return { payload: hit.payload, header: hit.header };
    verified.delete(cacheKey!);
  }
  let header: JWTHeaderParameters;
  try {
    header = decodeProtectedHeader(token) as JWTHeaderParameters;
  } catch {
    throw new InvalidTokenError("Malformed token");
  }
  if (typeof header.alg !== "string" || !SIGNING_ALGS.includes(header.alg)) {
    throw new InvalidTokenError("Unsupported algorithm");
  }
  if (KEY_REFERENCE_HEADERS.some((h) => h in header)) throw new InvalidTokenError("Invalid token header");
  if (typeof header.kid !== "string") throw new InvalidTokenError("Unknown key");
  const key = await verificationKey(header.kid);
  if (!key) throw new InvalidTokenError("Unknown key");
  if (key.alg !== header.alg) throw new InvalidTokenError("Unsupported algorithm");

  const cfg = config();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [key.alg],
      audience: opts.audience,
      issuer: cfg.TIM_ISSUER,
      requiredClaims: ["exp"],
      currentDate: opts.ignoreExpiry ? beforeExpiry(token) : undefined,
    }));
  } catch (err) {
    throw new InvalidTokenError(reasonFor(err));
  }
  // JSON numbers beyond double range parse as Infinity (`exp: 1e400` never expires and has no date);
  // such a token, or one TIM could not store, is not a token TIM issued.
  if (findUnstorableJson(payload)) throw new InvalidTokenError("Invalid claims");
  // A finite time claim beyond what a Date can hold (e.g. `exp: 1e308`) has no date to store or answer.
  if (TIME_CLAIMS.some((c) => typeof payload[c] === "number" && Math.abs(payload[c] as number) > MAX_EPOCH_SECONDS)) {
    throw new InvalidTokenError("Invalid claims");
  }
  if (opts.issuer !== undefined && opts.issuer !== payload.iss) throw new InvalidTokenError("Invalid issuer");
  if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000 + cfg.TIM_CLOCK_SKEW_SECONDS) {
    throw new InvalidTokenError("Token not yet valid");
  }
  if (cacheKey !== undefined) verified.set(cacheKey, { payload, header, publicKey: key.publicKey });
  return { payload, header };
}

const TIME_CLAIMS = ["exp", "iat", "nbf", "auth_time"] as const;
/** ECMAScript's Date range: ±8.64e15 ms. */
const MAX_EPOCH_SECONDS = 8.64e12;

/** A moment at which the token has not yet expired, to check everything but expiry. */
function beforeExpiry(token: string): Date | undefined {
  const { exp } = decodeJwt(token);
  return typeof exp === "number" && exp * 1000 <= Date.now() ? new Date((exp - 1) * 1000) : undefined;
}

function reasonFor(err: unknown): InvalidTokenReason {
  const e = err as { code?: string; claim?: string };
  switch (e?.code) {
    case "ERR_JWT_EXPIRED":
      return "Token expired";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "Invalid signature";
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return "Unsupported algorithm";
    case "ERR_JOSE_NOT_SUPPORTED":
      return "Invalid token header";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      if (e.claim === "aud") return "Invalid audience";
      if (e.claim === "iss") return "Invalid issuer";
      if (e.claim === "nbf") return "Token not yet valid";
      return "Invalid claims";
    default:
      return "Malformed token";
  }
}
