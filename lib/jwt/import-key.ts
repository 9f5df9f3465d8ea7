import { calculateJwkThumbprint, type JWK } from "jose";
import { db } from "@/lib/db/client";
import { TimError } from "@/lib/http/errors";
import { refreshKeys } from "@/lib/jwt/key-cache";
import { SIGNING_ALGS, publicPart, publishedJwk, type SigningAlg } from "@/lib/jwt/key-material";
import { sealPrivateJwk } from "@/lib/jwt/key-sealing";
import { withKeyLock, type KeyChangeHook, type KeyTx } from "@/lib/jwt/key-store";

/** A verification key brought in from another issuer (TIM 2.0): public JWK, private JWK when the source held one. */
export type ImportedKey = { kid: string; alg: SigningAlg; publicJwk: JWK; privateJwk?: JWK };
export type KeyImport = { kid: string; outcome: "imported" | "present"; verifiesUntil: Date };

/** Whether `key` may be imported: "new", "present" (the same public key under that kid), or refused (another key holds the kid). */
export async function checkKeyImport(key: ImportedKey, tx?: KeyTx): Promise<"new" | "present"> {
  const client = tx ?? (await db());
  const existing = await client.signingKey.findUnique({ where: { kid: key.kid }, select: { publicJwk: true } });
  if (!existing) return "new";
  const [theirs, ours] = await Promise.all([calculateJwkThumbprint(publicPart(existing.publicJwk as JWK)), calculateJwkThumbprint(publicPart(key.publicJwk))]);
  if (theirs !== ours) {
    throw new TimError(
      "key_conflict",
      `TIM already has a different signing key with kid ${key.kid}; the imported key was not stored (tokens signed with it could not be told apart).`,
    );
  }
  return "present";
}

/**
 * Stores a key another issuer signed with (TIM 2.0's `jwtsign`) as a retired,
 * verify-only key: published in the JWKS and accepted for verification until
 * `verifyUntil` (its last token's expiry; a later import only moves it
 * forward), never signing. A private key, when given, is kept as TIM keeps
 * its own (encrypted with TIM_KEY_ENCRYPTION_SECRET when set). Every instance
 * reloads its keys when this commits (the table's change signal); `within`
 * runs in the same transaction (its audit event).
 */
export async function importRetiredKey(key: ImportedKey, verifyUntil: Date, within?: KeyChangeHook): Promise<KeyImport> {
  if (!SIGNING_ALGS.includes(key.alg)) throw new Error(`Unsupported key algorithm ${key.alg}.`);
  const result = await withKeyLock(async (tx) => {
    const status = await checkKeyImport(key, tx);
    if (status === "present") {
      await tx.$executeRaw`
        UPDATE tim.signing_keys SET last_token_expires_at = GREATEST(COALESCE(last_token_expires_at, ${verifyUntil}), ${verifyUntil})
         WHERE kid = ${key.kid}`;
    } else {
      const sealed = key.privateJwk?.d ? await sealPrivateJwk(key.privateJwk) : { privateKey: null, privateKeyEncrypted: false };
      const now = new Date();
      await tx.signingKey.create({
        data: {
          kid: key.kid,
          alg: key.alg,
          publicJwk: publishedJwk(key.kid, key.alg, key.publicJwk) as object,
          ...sealed,
          status: "retired",
          createdAt: now,
          retiredAt: now,
          lastTokenExpiresAt: verifyUntil,
        },
      });
    }
    const row = await tx.signingKey.findUniqueOrThrow({ where: { kid: key.kid }, select: { lastTokenExpiresAt: true } });
    await within?.(tx, key.kid, { outcome: status === "new" ? "imported" : "present" });
    return { kid: key.kid, outcome: status === "new" ? ("imported" as const) : ("present" as const), verifiesUntil: row.lastTokenExpiresAt ?? verifyUntil };
  });
  await refreshKeys();
  return result;
}
