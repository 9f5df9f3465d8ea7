import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { db } from "@/lib/db/client";
import { activateNextKey, prepareNextKey, publishedKeys } from "@/lib/jwt/keys";

export type SigningKeyView = {
  kid: string;
  alg: string;
  status: string;
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
  lastTokenExpiresAt: Date | null;
  published: boolean;
};

/** The signing keys with their lifecycle, newest first, and whether the JWKS publishes each. */
export async function listSigningKeys(): Promise<{ keys: SigningKeyView[]; jwks: { keys: unknown[] } }> {
  const [rows, jwks] = await Promise.all([
    (await db()).signingKey.findMany({
      orderBy: { createdAt: "desc" },
      select: { kid: true, alg: true, status: true, createdAt: true, activatedAt: true, retiredAt: true, lastTokenExpiresAt: true },
    }),
    publishedKeys(),
  ]);
  const published = new Set(jwks.map((k) => k.kid));
  return { keys: rows.map((r) => ({ ...r, published: published.has(r.kid) })), jwks: { keys: jwks } };
}

// lib/jwt/keys.ts runs each key change in its own transaction, so the audit
// event follows in the next one (see the console's report to the lead).
async function audited(actor: AuditActor, action: string, target: Record<string, string>, requestId?: string | null) {
  await (await db()).$transaction((tx) => recordAudit(tx, { actor, action, target, requestId }));
}

/** Publishes a next key (without signing with it yet), so verifiers can fetch it before the switch. */
export async function prepareKey(actor: AuditActor, requestId?: string | null): Promise<string> {
  const kid = await prepareNextKey();
  await audited(actor, "key.prepare", { kid }, requestId);
  return kid;
}

/** Rotate now: prepares a next key when there is none and makes it the signing key; the old one is retired (still published until its tokens expire). */
export async function rotateKeyNow(actor: AuditActor, requestId?: string | null): Promise<string> {
  await prepareNextKey();
  const kid = await activateNextKey();
  await audited(actor, "key.rotate", { kid }, requestId);
  return kid;
}
