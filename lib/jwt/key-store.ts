import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { generateKeyMaterial, type KeyMaterial, type SigningAlg } from "@/lib/jwt/key-material";

/** Writes to tim.signing_keys: one key change at a time across instances, in a transaction of its own. */

export type KeyTx = Parameters<Parameters<Awaited<ReturnType<typeof db>>["$transaction"]>[0]>[0];
/** Runs in the key change's own transaction, e.g. to write its audit event (decision 8); `detail` describes the change further. */
export type KeyChangeHook = (tx: KeyTx, kid: string, detail?: Record<string, string>) => Promise<unknown>;
/** Stores a newly generated key in the running key change (its material was made before the lock was taken). */
export type NewKey = (alg: SigningAlg, status: "next" | "active") => Promise<{ kid: string; createdAt: Date; activatesAt: Date | null }>;

/** Serialises key-management writes across instances. */
const KEY_LOCK = 72_541_331_908;
/** Verifiers may cache /jwt/keys/public this long (its Cache-Control max-age). */
export const JWKS_MAX_AGE_S = 300;
/** Beyond the JWKS max-age: clock differences, a verifier's fetch in flight, TIM's own reload. */
const PUBLISH_MARGIN_S = 30;

/** The locked step asked for a key of `alg` it was not given: made outside the lock, then the step runs again. */
class KeyMaterialNeeded extends Error {
  constructor(readonly alg: SigningAlg) {
    super(`key material for ${alg} needed`);
  }
}

/**
 * Runs `change` in a transaction holding the key lock. A new key pair is never
 * generated inside it (RSA takes seconds on a busy host, while every other key
 * change and the transaction's timeout wait): when `change` asks `newKey` for
 * one, the transaction is rolled back, the key generated, and `change` runs
 * again with it at hand (it decides afresh under the lock, so a key another
 * instance made meanwhile is used instead and the spare one dropped).
 */
export async function withKeyLock<T>(change: (tx: KeyTx, newKey: NewKey) => Promise<T>): Promise<T> {
  const prisma = await db();
  const spare = new Map<SigningAlg, KeyMaterial>();
  for (;;) {
    try {
      return await prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${KEY_LOCK}::bigint)`;
        return change(tx, (alg, status) => {
          const material = spare.get(alg);
          if (!material) throw new KeyMaterialNeeded(alg);
          return insertKey(tx, material, status);
        });
      });
    } catch (err) {
      if (!(err instanceof KeyMaterialNeeded)) throw err;
      spare.set(err.alg, await generateKeyMaterial(err.alg));
    }
  }
}

function insertKey(tx: KeyTx, material: KeyMaterial, status: "next" | "active") {
  const now = new Date();
  return tx.signingKey.create({
    data: { ...material, publicJwk: material.publicJwk as object, status, createdAt: now, activatedAt: status === "active" ? now : null },
    select: { kid: true, createdAt: true, activatesAt: true },
  });
}

/** Retires the active key and promotes `kid` in one step (the unique index allows one active key); `at`: when it began signing. */
export async function promote(tx: KeyTx, kid: string, at = new Date()): Promise<void> {
  await tx.signingKey.updateMany({ where: { status: "active", NOT: { kid } }, data: { status: "retired", retiredAt: at } });
  await tx.signingKey.update({ where: { kid }, data: { status: "active", activatedAt: at, retiredAt: null } });
}

/** The publish lead in milliseconds: how long a key is published before a scheduled rotation lets it sign. */
export function publishLeadMs(): number {
  return (config().TIM_KEY_PUBLISH_LEAD_SECONDS ?? JWKS_MAX_AGE_S + PUBLISH_MARGIN_S) * 1000;
}

/** The earliest moment a key published at `createdAt` may sign. */
export const signableFrom = (createdAt: Date) => new Date(createdAt.getTime() + publishLeadMs());
