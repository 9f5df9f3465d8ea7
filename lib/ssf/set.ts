import { config } from "@/lib/config/env";
import { signJwt } from "@/lib/jwt/sign";
import { describeEvent, type OutboxEvent } from "@/lib/ssf/events";

/** RFC 8417 §2.3: the JOSE `typ` of a Security Event Token. */
export const SET_TYP = "secevent+jwt";

/**
 * A SET's `jti` names the outbox row and the stream it goes to, so it is the same on every
 * redelivery (RFC 8936 acknowledges by jti) and unique across streams.
 */
export const setJti = (streamId: string, seq: bigint) => `${streamId}:${seq}`;

/** The outbox position a jti of this stream names; undefined for anything else (ignored). */
export function seqOfJti(streamId: string, jti: string): bigint | undefined {
  const prefix = `${streamId}:`;
  if (!jti.startsWith(prefix) || !/^\d{1,19}$/.test(jti.slice(prefix.length))) return undefined;
  return BigInt(jti.slice(prefix.length));
}

/**
 * Signs one event for one stream with TIM's active key. `txn` is the revoking transaction
 * (RFC 8417 §2.2): the events of one mass revocation share it. `exp` is when TIM stops
 * keeping the event (the key stays published that long, lib/jwt/sign.ts).
 */
export async function signSet(streamId: string, audience: string, e: OutboxEvent): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const keptUntil = Math.floor(e.revoked_at.getTime() / 1000) + config().TIM_SSF_EVENT_RETENTION_HOURS * 3600;
  return signJwt(
    {
      iss: config().TIM_ISSUER,
      aud: audience,
      jti: setJti(streamId, e.seq),
      iat: now,
      exp: Math.max(keptUntil, now + 60),
      txn: e.xid.toString(),
      ...describeEvent(e),
    },
    SET_TYP,
  );
}
