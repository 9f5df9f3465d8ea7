import type { JWTPayload } from "jose";
import type { RevocationSet } from "./revocations.js";

/** The Security Event types TIM transmits (TIM's docs/shared-signals.md; a repo test keeps these equal to TIM's own). */
export const TOKEN_REVOKED = "urn:buerostack:tim:secevent:token-revoked";
export const SESSION_REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
export const VERIFICATION = "https://schemas.openid.net/secevent/ssf/event-type/verification";
export const EVENTS_REQUESTED = [TOKEN_REVOKED, SESSION_REVOKED];
/** RFC 8417 §2.3: the JOSE `typ` of a Security Event Token. */
export const SET_TYP = "secevent+jwt";

type SubjectId = { format?: unknown; jti?: unknown; iss?: unknown; session?: { id?: unknown } };
type SetPayload = JWTPayload & { sub_id?: SubjectId; events?: Record<string, Record<string, unknown> | undefined> };

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/**
 * Applies one verified SET to the revocation set. A revocation is kept until the revoked token's
 * `token_exp` (TIM's event claim); an event without it (older TIM) until the SET's own `exp`, when TIM
 * stops keeping the event. Returns what the SET was, for counting; unknown event types are ignored.
 */
export function applySet(payload: SetPayload, issuer: string, set: RevocationSet): "token" | "session" | "ignored" {
  const events = payload.events ?? {};
  const sub = payload.sub_id ?? {};
  const until = (e: Record<string, unknown>) => num(e.token_exp) ?? num(payload.exp) ?? Date.now() / 1000 + 7 * 86_400;
  const token = events[TOKEN_REVOKED];
  if (token && sub.format === "jwt_id" && typeof sub.jti === "string" && (sub.iss === undefined || sub.iss === issuer)) {
    set.revokeToken(sub.jti, until(token));
    return "token";
  }
  const session = events[SESSION_REVOKED];
  if (session && sub.format === "complex" && typeof sub.session?.id === "string") {
    set.revokeSession(sub.session.id, until(session));
    return "session";
  }
  return "ignored";
}
