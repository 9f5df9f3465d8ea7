import { config } from "@/lib/config/env";

/**
 * The Security Event types TIM transmits (docs/shared-signals.md), by the name the outbox
 * (tim.ssf_events.event, set by the denylist trigger) records:
 * - `token-revoked`: a token is on its denylist (revoked, or extended: the old token of an
 *   extension). No CAEP or RISC type says "this JWT is revoked" (CAEP token-claims-change says
 *   the claims changed, and the token stays valid), so TIM defines its own URI. Subject: the
 *   token, RFC 9493's draft `jwt_id` format {iss, jti}.
 * - `session-revoked`: a TIM TARA JWT of a TARA session was revoked for any reason but an
 *   extension: the session ended (logout, the person or an administrator ending it). CAEP's
 *   type; subject: a `complex` subject whose `session` is the token's `sid`, `opaque`.
 */
export const SSF_EVENTS = {
  "token-revoked": "urn:buerostack:tim:secevent:token-revoked",
  "session-revoked": "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
} as const;
export type SsfEventName = keyof typeof SSF_EVENTS;
export const SSF_EVENT_NAMES = Object.keys(SSF_EVENTS) as SsfEventName[];
/**
 * SSF 1.0 §8.1.4: the event a receiver asks for (POST /ssf/verify) to check its stream end to end.
 * It goes to that stream only, whatever it requested; subject: the stream, `opaque`.
 */
export const VERIFICATION_EVENT = "https://schemas.openid.net/secevent/ssf/event-type/verification";

/** SSF §8.1.1 events_supported. */
export const EVENTS_SUPPORTED: string[] = Object.values(SSF_EVENTS);

/** The outbox names of the event type URIs a receiver asked for (unknown URIs are not delivered). */
export function eventNamesOf(uris: readonly string[]): SsfEventName[] {
  return SSF_EVENT_NAMES.filter((name) => uris.includes(SSF_EVENTS[name]));
}

/** One outbox row, as the poll reads it. */
export type OutboxEvent = {
  seq: bigint;
  xid: bigint;
  event: SsfEventName | "verification";
  jwt_uuid: string | null;
  session_id: string | null;
  reason: string | null;
  /** When it happened (the revocation, the verification request). */
  revoked_at: Date;
  /** The revoked token's expiry (null: a verification event, or a row older than migration 20261207300000). */
  token_expires_at: Date | null;
  stream_id: string | null;
  state: string | null;
};

/** The SET claims of an outbox row that name what happened (RFC 8417 `events`, RFC 9493 `sub_id`). */
export function describeEvent(e: OutboxEvent): { sub_id: Record<string, unknown>; events: Record<string, Record<string, unknown>> } {
  const event_timestamp = Math.floor(e.revoked_at.getTime() / 1000);
  // TIM's own event claim: when the revoked token expires anyway, so a receiver can forget the revocation then.
  const token_exp = e.token_expires_at === null ? {} : { token_exp: Math.floor(e.token_expires_at.getTime() / 1000) };
  if (e.event === "verification") {
    return { sub_id: { format: "opaque", id: e.stream_id }, events: { [VERIFICATION_EVENT]: e.state === null ? {} : { state: e.state } } };
  }
  if (e.event === "session-revoked") {
    return {
      sub_id: { format: "complex", session: { format: "opaque", id: e.session_id } },
      events: { [SSF_EVENTS[e.event]]: { event_timestamp, ...token_exp, ...(e.reason ? { reason_admin: { en: e.reason } } : {}) } },
    };
  }
  return {
    sub_id: { format: "jwt_id", iss: config().TIM_ISSUER, jti: e.jwt_uuid },
    events: { [SSF_EVENTS[e.event]]: { event_timestamp, ...token_exp, ...(e.reason ? { reason: e.reason } : {}) } },
  };
}
