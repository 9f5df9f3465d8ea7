import { config } from "@/lib/config/env";
import { TimError, notFound } from "@/lib/http/errors";
import { refreshKeys } from "@/lib/jwt/key-cache";
import type { SigningAlg } from "@/lib/jwt/key-material";
import { promote, signableFrom, withKeyLock, type KeyChangeHook } from "@/lib/jwt/key-store";

/**
 * Key rotation, as the console and its jobs ask for it: prepare a next key,
 * schedule a rotation (every instance switches at `activates_at`, after the
 * publish lead), an emergency rotation (at once), retiring a key. Each change
 * is one locked transaction; `within` runs in it (the audit event), and this
 * process reloads its keys after it commits (others on the change signal).
 */

/** Creates a `next` key: published in the JWKS, not yet signing. Returns its kid. */
export async function prepareNextKey(alg: SigningAlg = config().TIM_SIGNING_ALG, within?: KeyChangeHook): Promise<string> {
  const kid = await withKeyLock(async (tx, newKey) => {
    const next = await tx.signingKey.findFirst({ where: { status: "next", privateKey: { not: null } } });
    const kid = next?.kid ?? (await newKey(alg, "next")).kid;
    await within?.(tx, kid, { signs_from: signableFrom(next?.createdAt ?? new Date()).toISOString() });
    return kid;
  });
  await refreshKeys();
  return kid;
}

/** A rotation: the key that signs from `activatesAt` (at once when that is not in the future). */
export type KeyRotation = { kid: string; activatesAt: Date; immediate: boolean };

/**
 * Rotate now, safely across instances: the oldest `next` key (a new one when
 * there is none) signs once it has been published for the publish lead — at
 * once if it has been, else at its `activates_at`, set here. Every instance
 * switches at that moment; the current key is retired then (and stays
 * published until its tokens expire). Asking again keeps the schedule.
 */
export async function scheduleRotation(within?: KeyChangeHook): Promise<KeyRotation> {
  const rotation = await withKeyLock(async (tx, newKey) => {
    const next =
      (await tx.signingKey.findFirst({
        where: { status: "next", privateKey: { not: null } },
        orderBy: { createdAt: "asc" },
        select: { kid: true, createdAt: true, activatesAt: true },
      })) ?? (await newKey(config().TIM_SIGNING_ALG, "next"));
    const now = new Date();
    const at = next.activatesAt ?? new Date(Math.max(now.getTime(), signableFrom(next.createdAt).getTime()));
    const immediate = at <= now;
    if (immediate) await promote(tx, next.kid, now);
    else if (!next.activatesAt) await tx.signingKey.update({ where: { kid: next.kid }, data: { activatesAt: at } });
    const activatesAt = immediate ? now : at;
    await within?.(tx, next.kid, { activates_at: activatesAt.toISOString() });
    return { kid: next.kid, activatesAt, immediate };
  });
  await refreshKeys();
  return rotation;
}

/**
 * Emergency rotation (a compromised key): makes the `next` key the signing key
 * at once, without waiting for the publish lead — verifiers that cached the
 * JWKS before it was published refuse its tokens until they fetch it again.
 * Retires the current key (which stays published until its last token
 * expired). Returns the new kid.
 */
export async function activateNextKey(within?: KeyChangeHook): Promise<string> {
  const kid = await withKeyLock(async (tx) => {
    const next = await tx.signingKey.findFirst({
      where: { status: "next", privateKey: { not: null } },
      orderBy: { createdAt: "asc" },
    });
    if (!next) throw new Error("There is no prepared next key; call prepareNextKey first.");
    await promote(tx, next.kid);
    await within?.(tx, next.kid);
    return next.kid;
  });
  await refreshKeys();
  return kid;
}

/**
 * Retires a key: it no longer signs. Retiring the signing key makes the oldest
 * prepared `next` key sign instead (refused when there is none: verifiers must
 * have fetched a key before it signs). A retired key stays published until the
 * last token it signed expired, as after a rotation. Returns the key that signs now.
 */
export async function retireKey(kid: string, within?: KeyChangeHook): Promise<{ retired: string; active: string | null }> {
  const result = await withKeyLock(async (tx) => {
    const key = await tx.signingKey.findUnique({ where: { kid }, select: { status: true } });
    if (!key) throw notFound(`No signing key ${kid}.`);
    if (key.status === "retired") throw new TimError("key_retired", `Signing key ${kid} is retired already.`);
    if (key.status === "active") {
      const next = await tx.signingKey.findFirst({
        where: { status: "next", privateKey: { not: null } },
        orderBy: { createdAt: "asc" },
        select: { kid: true, createdAt: true },
      });
      if (!next) {
        throw new TimError("only_signing_key", `Signing key ${kid} is the only key that can sign: publish a next key first, or rotate now.`);
      }
      const from = signableFrom(next.createdAt);
      if (from > new Date()) {
        throw new TimError(
          "next_key_too_new",
          `The next key ${next.kid} may sign only from ${from.toISOString()}, when every verifier's cached key set holds it: rotate now to switch then, or use an emergency rotation to switch at once.`,
        );
      }
      await promote(tx, next.kid);
    } else {
      await tx.signingKey.update({ where: { kid }, data: { status: "retired", retiredAt: new Date() } });
    }
    await within?.(tx, kid);
    const active = await tx.signingKey.findFirst({ where: { status: "active" }, select: { kid: true } });
    return { retired: kid, active: active?.kid ?? null };
  });
  await refreshKeys();
  return result;
}
