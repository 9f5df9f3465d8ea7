import { decodeProtectedHeader, jwtVerify, type JWTHeaderParameters, type JWTPayload } from "jose";
import { KeyCache } from "./keys.js";
import { RevocationSet } from "./revocations.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pushHandler, type PushOptions } from "./push.js";
import { PollStream, type StreamOptions } from "./stream.js";

/** Why a token was refused. */
export type RefusalReason =
  /** Not a compact JWS, or its header or payload is not JSON. */
  | "malformed"
  /** `alg` is not one of `algorithms` (`none` and HMAC never are), or the key is for another algorithm. */
  | "unsupported_algorithm"
  /** The header names a key by URL or carries one (`jku`, `x5u`, `jwk`, `x5c`), or a JOSE `typ` of something else (a SET, an introspection answer). */
  | "invalid_header"
  /** No published key of TIM has this `kid`, even after fetching the JWKS again. */
  | "unknown_key"
  | "invalid_signature"
  | "expired"
  | "not_yet_valid"
  | "invalid_issuer"
  | "invalid_audience"
  /** `token_type` is not one of `tokenTypes`. */
  | "invalid_token_type"
  /** A required claim (`exp`, `jti`) is missing or of the wrong type. */
  | "invalid_claims"
  /** TIM revoked this token (its `jti`), or it is the old token of an extension. */
  | "revoked"
  /** The TARA session of this token (`sid`) was ended. */
  | "session_revoked"
  /**
   * Fail closed: the verifier has not completed a poll of TIM's revocations within `maxSilence` (TIM or the
   * network is down, or the verifier was not started), so it cannot tell a revoked token from a live one.
   */
  | "revocations_stale"
  /** Fail closed: the revocation set holds more than `maxRevocations` entries. */
  | "revocation_set_full";

export type VerifyResult = { valid: true; payload: JWTPayload; header: JWTHeaderParameters } | { valid: false; reason: RefusalReason };

export type VerifierOptions = {
  /** TIM's issuer, `TIM_ISSUER` (default "TIM"): every token's and every SET's `iss`. */
  issuer: string;
  /** TIM's JWKS, e.g. `https://tim.example/jwt/keys/public`. */
  jwksUrl: string;
  /** The audience(s) this resource server accepts: a token's `aud` must contain one. */
  audience: string | string[];
  /** Accepted `token_type` claims. Default `["custom_jwt"]`; TIM TARA JWTs are `tara_jwt`. */
  tokenTypes?: string[];
  /** Accepted signature algorithms. Default TIM's: RS256, ES256, EdDSA. */
  algorithms?: string[];
  /** Clock tolerance for `exp`, `nbf`, `iat` (seconds). Default 5. */
  clockTolerance?: number;
  /**
   * Fail closed after this long without a completed poll (ms): every verification is then refused with
   * `revocations_stale` until a poll succeeds again. It bounds how late a revocation can be noticed
   * while TIM is unreachable. Default 30,000.
   */
  maxSilence?: number;
  /** Bound on the revocation set (revoked tokens and sessions still unexpired). Default 1,000,000; beyond it every verification is refused. */
  maxRevocations?: number;
  /**
   * Tokens whose signature and claims were verified, kept by their exact text so the same token presented
   * again costs no cryptography (only the time and revocation checks, which run on every call). Bounded;
   * emptied when TIM's published keys change. Default 10,000 tokens; 0 turns it off.
   */
  cacheSize?: number;
  /** JWKS caching: background refresh age and the rate limit on fetches (a flood of unknown kids costs one fetch per cooldown). */
  jwks?: { maxAgeMs?: number; cooldownMs?: number; timeoutMs?: number };
  /** The SSF poll stream that feeds the revocation set (and tells the verifier it is in sync). */
  stream: StreamOptions;
  /** Push delivery (RFC 8935) besides the poll: what `pushHandler()` accepts. */
  push?: PushOptions;
  /** Called with poll and JWKS failures (never with tokens). Default: nothing. */
  onError?: (err: Error) => void;
  fetch?: typeof fetch;
};

export type VerifierStatus = {
  /** Verifications are answered (not refused as `revocations_stale`). */
  synced: boolean;
  /** When the last complete poll started (ms since epoch). */
  syncedAt: number | undefined;
  pollUrl: string | undefined;
  polls: number;
  /** Failed polls in a row. */
  pollFailures: number;
  lastPollError: string | undefined;
  revokedTokensAndSessions: number;
  /** Revocations applied since start (a redelivered one counted once). */
  revocationsApplied: number;
  jwksFetches: number;
  jwksAgeMs: number;
  /** Tokens held as verified (`cacheSize`). */
  cachedTokens: number;
  /** SETs applied from push deliveries. */
  pushed: number;
};

export type Verifier = {
  /**
   * Creates or resumes the stream; without a state file to resume, reads TIM's revocation snapshot; completes a
   * first poll (rejects if it cannot), then polls in the background. Every token is refused until it resolves.
   */
  start(): Promise<void>;
  /** Verifies one token locally: no request to TIM, except a JWKS fetch for a key it has not seen (rate-limited). */
  verify(token: string): Promise<VerifyResult>;
  status(): VerifierStatus;
  /**
   * An RFC 8935 push receiver, `(req, res)` for node:http: SETs TIM pushes are applied to the same revocation
   * set as polled ones (an event that comes both ways counts once). The poll stream still decides whether the
   * verifier is in sync: push speeds up revocation, it does not replace the poll's fail-closed check.
   */
  pushHandler(): (req: IncomingMessage, res: ServerResponse) => void;
  /** Stops polling, acknowledges what was applied, writes the state file. */
  close(): Promise<void>;
};

const KEY_REFERENCE_HEADERS = ["jku", "x5u", "jwk", "x5c"] as const;
/** TIM signs its tokens with `typ: JWT`; other JOSE types (a SET, an RFC 9701 introspection answer) are not access tokens. */
const TOKEN_TYPS = new Set(["jwt", "application/jwt"]);

function reasonOf(err: unknown): RefusalReason {
  const e = err as { code?: string; claim?: string };
  switch (e?.code) {
    case "ERR_JWT_EXPIRED":
      return "expired";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "invalid_signature";
    case "ERR_JOSE_ALG_NOT_ALLOWED":
    case "ERR_JOSE_NOT_SUPPORTED":
      return "unsupported_algorithm";
    case "ERR_JWKS_NO_MATCHING_KEY":
    case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
      return "unknown_key";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      if (e.claim === "iss") return "invalid_issuer";
      if (e.claim === "aud") return "invalid_audience";
      if (e.claim === "nbf" || e.claim === "iat") return "not_yet_valid";
      return "invalid_claims";
    default:
      return "malformed";
  }
}

/** A verifier of TIM tokens for a resource server (see the package README). */
export function createVerifier(opts: VerifierOptions): Verifier {
  const doFetch = opts.fetch ?? fetch;
  const onError = opts.onError ?? (() => undefined);
  const clockToleranceS = opts.clockTolerance ?? 5;
  const algorithms = opts.algorithms ?? ["RS256", "ES256", "EdDSA"];
  const tokenTypes = new Set(opts.tokenTypes ?? ["custom_jwt"]);
  const audiences = Array.isArray(opts.audience) ? opts.audience : [opts.audience];
  const maxSilence = opts.maxSilence ?? 30_000;
  if (audiences.length === 0 || audiences.some((a) => typeof a !== "string" || a === "")) throw new Error("createVerifier: audience is required");
  if (!opts.issuer) throw new Error("createVerifier: issuer is required");

  const keys = new KeyCache({ jwksUrl: opts.jwksUrl, fetch: doFetch, onError, ...opts.jwks });
  const revocations = new RevocationSet(clockToleranceS, opts.maxRevocations ?? 1_000_000);
  const deps = { issuer: opts.issuer, keys, revocations, algorithms, clockToleranceS, fetch: doFetch, onError };
  const stream = new PollStream(opts.stream, deps);
  let pushed = 0;

  const synced = () => stream.syncedAt !== undefined && Date.now() - stream.syncedAt <= maxSilence;

  const cacheSize = opts.cacheSize ?? 10_000;
  const verified = new Map<string, { payload: JWTPayload; header: JWTHeaderParameters }>();
  keys.onChange = () => verified.clear();

  /** What every call checks, cached or not: time and revocation. */
  function current(payload: JWTPayload, header: JWTHeaderParameters): VerifyResult {
    const now = Date.now() / 1000;
    if ((payload.exp as number) <= now - clockToleranceS) return { valid: false, reason: "expired" };
    if (typeof payload.nbf === "number" && payload.nbf > now + clockToleranceS) return { valid: false, reason: "not_yet_valid" };
    if (typeof payload.iat === "number" && payload.iat > now + clockToleranceS) return { valid: false, reason: "not_yet_valid" };
    if (revocations.isTokenRevoked(payload.jti as string)) return { valid: false, reason: "revoked" };
    if (typeof payload.sid === "string" && revocations.isSessionRevoked(payload.sid)) return { valid: false, reason: "session_revoked" };
    // Checked again after any await: a verification that began in sync must not pass on a feed that fell silent meanwhile.
    if (!synced()) return { valid: false, reason: "revocations_stale" };
    return { valid: true, payload, header };
  }

  async function verify(token: string): Promise<VerifyResult> {
    if (!synced()) return { valid: false, reason: "revocations_stale" };
    if (revocations.full) return { valid: false, reason: "revocation_set_full" };
    if (typeof token !== "string") return { valid: false, reason: "malformed" };
    const known = verified.get(token);
    if (known) return current(known.payload, known.header);
    let header: JWTHeaderParameters;
    try {
      header = decodeProtectedHeader(token) as JWTHeaderParameters;
    } catch {
      return { valid: false, reason: "malformed" };
    }
    if (typeof header.alg !== "string" || !algorithms.includes(header.alg)) return { valid: false, reason: "unsupported_algorithm" };
    if (KEY_REFERENCE_HEADERS.some((h) => h in header)) return { valid: false, reason: "invalid_header" };
    if (header.typ !== undefined && !TOKEN_TYPS.has(String(header.typ).toLowerCase())) return { valid: false, reason: "invalid_header" };
    if (typeof header.kid !== "string") return { valid: false, reason: "unknown_key" };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys.key, {
        issuer: opts.issuer,
        audience: audiences,
        algorithms,
        clockTolerance: clockToleranceS,
        requiredClaims: ["exp", "jti"],
      }));
    } catch (err) {
      return { valid: false, reason: reasonOf(err) };
    }
    if (typeof payload.jti !== "string" || typeof payload.exp !== "number") return { valid: false, reason: "invalid_claims" };
    if (typeof payload.token_type !== "string" || !tokenTypes.has(payload.token_type)) return { valid: false, reason: "invalid_token_type" };
    const result = current(payload, header);
    if (result.valid && cacheSize > 0) {
      // Oldest first out (a Map iterates in insertion order): the cache never holds more than cacheSize tokens.
      if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
      // Shared by every later call with this token: frozen, so no caller can change what another sees.
      verified.set(token, { payload: Object.freeze(payload), header: Object.freeze(header) });
    }
    return result;
  }

  let started = false;
  return {
    async start() {
      if (started) throw new Error("verifier already started");
      started = true;
      await keys.refresh();
      // Without saved state the verifier knows no earlier revocation: the snapshot, read once the stream exists
      // (docs/shared-signals.md), gives it every unexpired one. Until start() resolves it refuses (revocations_stale).
      if (!(await stream.open())) await stream.loadSnapshot();
      await stream.drain();
      stream.run();
    },
    verify,
    status: () => ({
      synced: synced(),
      syncedAt: stream.syncedAt,
      pollUrl: stream.pollUrl,
      polls: stream.polls,
      pollFailures: stream.failures,
      lastPollError: stream.lastError,
      revokedTokensAndSessions: revocations.size,
      revocationsApplied: revocations.applied,
      jwksFetches: keys.fetches,
      jwksAgeMs: keys.ageMs,
      cachedTokens: verified.size,
      pushed,
    }),
    pushHandler: () => pushHandler(opts.push ?? {}, { ...deps, onPushed: () => pushed++ }),
    close: () => stream.stop(),
  };
}

/** The `Authorization` header for an API client's id and secret (HTTP Basic). */
export function basicAuth(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`;
}
