import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { db } from "@/lib/db/client";
import type { KeyChangeHook } from "@/lib/jwt/key-store";
import { publishedKeys } from "@/lib/jwt/keys";
import { activateNextKey, prepareNextKey, retireKey, scheduleRotation, type KeyRotation } from "@/lib/jwt/rotate-keys";

export type SigningKeyView = {
  kid: string;
  alg: string;
  status: string;
  createdAt: Date;
  activatedAt: Date | null;
  activatesAt: Date | null;
  retiredAt: Date | null;
  lastTokenExpiresAt: Date | null;
  published: boolean;
};

/** The signing keys with their lifecycle, newest first, and whether the JWKS publishes each. */
export async function listSigningKeys(): Promise<{ keys: SigningKeyView[]; jwks: { keys: unknown[] } }> {
  const [rows, jwks] = await Promise.all([
    (await db()).signingKey.findMany({
      orderBy: { createdAt: "desc" },
      select: { kid: true, alg: true, status: true, createdAt: true, activatedAt: true, activatesAt: true, retiredAt: true, lastTokenExpiresAt: true },
    }),
    publishedKeys(),
  ]);
  const published = new Set(jwks.map((k) => k.kid));
  return { keys: rows.map((r) => ({ ...r, published: published.has(r.kid) })), jwks: { keys: jwks } };
}

/** The key change's audit event, written inside its transaction (lib/jwt/keys.ts calls the hook there). */
function audited(actor: AuditActor, action: string, requestId?: string | null): KeyChangeHook {
  return (tx, kid, detail) => recordAudit(tx, { actor, action, target: { kid, ...detail }, requestId });
}

/** Publishes a next key (without signing with it yet), so verifiers can fetch it before the switch. */
export function prepareKey(actor: AuditActor, requestId?: string | null): Promise<string> {
  return prepareNextKey(undefined, audited(actor, "key.prepare", requestId));
}

/**
 * Rotate now: the next key (a new one when there is none) signs once every
 * verifier's cached JWKS holds it — at once when it was published long enough
 * ago, else at the returned `activatesAt` (lib/jwt/keys.ts scheduleRotation).
 */
export function rotateKeyNow(actor: AuditActor, requestId?: string | null): Promise<KeyRotation> {
  return scheduleRotation(audited(actor, "key.rotate", requestId));
}

/**
 * Emergency rotation (the signing key is compromised): a new key signs at
 * once, without the publish lead; verifiers holding an older cached JWKS
 * refuse its tokens until they fetch the set again. The old key stays
 * published until its tokens expire (revoke them to refuse them).
 */
export async function rotateKeyEmergency(actor: AuditActor, requestId?: string | null): Promise<string> {
  await prepareNextKey();
  return activateNextKey(audited(actor, "key.rotate_emergency", requestId));
}

/** Retire: the key stops signing (a prepared next key takes over when it was the signing key) and stays published until its tokens expire. */
export function retireKeyFromConsole(kid: string, actor: AuditActor, requestId?: string | null) {
  return retireKey(kid, audited(actor, "key.retire", requestId));
}
