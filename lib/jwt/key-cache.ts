import { importJWK, type CryptoKey, type JWK } from "jose";
import { db } from "@/lib/db/client";
import { serviceUnavailable } from "@/lib/http/errors";
import { SIGNING_ALGS, publishedJwk, type ActiveKey, type SettingKey, type SigningAlg, type VerificationKey } from "@/lib/jwt/key-material";
import { openPrivateJwk } from "@/lib/jwt/key-sealing";
import { watchKeyChanges } from "@/lib/jwt/key-signal";
import { promote, withKeyLock } from "@/lib/jwt/key-store";
import { errorFields, log } from "@/lib/log/logger";

/**
 * This process's copy of the signing keys: imported once, reloaded on every
 * key change signal (lib/jwt/key-signal.ts) and at least every CACHE_TTL_MS.
 * A scheduled next key is loaded ahead and signs from its `activates_at` by
 * this process's clock (see lib/jwt/keys.ts).
 */

type KeyRow = {
  kid: string;
  alg: string;
  publicJwk: unknown;
  privateKey: string | null;
  privateKeyEncrypted: boolean;
  status: string;
  lastTokenExpiresAt: Date | null;
  createdAt: Date;
  activatesAt: Date | null;
};

/** The next key of a scheduled rotation: signs from `activatesAt` (ms). */
type ScheduledKey = ActiveKey & { activatesAt: number };

type KeyCache = {
  active?: ActiveKey;
  scheduled?: ScheduledKey;
  verification: Map<string, VerificationKey>;
  jwks: JWK[];
  loadedAt: number;
  /** Latest exp per kid already written to last_token_expires_at by this process. */
  recordedExpiry: Map<string, number>;
  pendingExpiry: Map<string, { until: number; write: Promise<void> }>;
  /** The key from TIM_SIGNING_KEY, imported once. */
  envKey?: SettingKey;
  ensuring?: Promise<void>;
  refreshing?: Promise<void>;
  /** A reload asked for while one was running: it starts when that one ends (it may predate the change). */
  refreshAgain?: Promise<void>;
  promoting?: Promise<void>;
  /** The TIM_SIGNING_KEY situation this process has logged and audited already. */
  envNoted?: string;
  lastUnknownKidRefresh: number;
};

/** Key changes are signalled at once; without the signal (listener down) they are seen within this many milliseconds. */
const CACHE_TTL_MS = 60_000;
/** last_token_expires_at is written ahead by this much, so busy issuers write it about once an hour. */
const EXPIRY_RECORD_STEP_S = 3_600;

// One copy per process, also when Next bundles lib/ a second time.
const SLOT = Symbol.for("tim.signing-keys");
export const keyCache: KeyCache = ((globalThis as Record<symbol, unknown>)[SLOT] ??= {
  verification: new Map(),
  jwks: [],
  loadedAt: 0,
  recordedExpiry: new Map(),
  pendingExpiry: new Map(),
  lastUnknownKidRefresh: 0,
}) as KeyCache;
const cache = keyCache;

async function loadKeys(): Promise<void> {
  const prisma = await db();
  const rows: KeyRow[] = await prisma.signingKey.findMany({
    where: {
      OR: [{ status: { in: ["next", "active"] } }, { status: "retired", lastTokenExpiresAt: { gt: new Date() } }],
    },
    orderBy: { createdAt: "asc" },
  });
  const verification = new Map<string, VerificationKey>();
  const jwks: JWK[] = [];
  let active: ActiveKey | undefined;
  let scheduled: ScheduledKey | undefined;
  for (const row of rows) {
    if (!SIGNING_ALGS.includes(row.alg)) continue;
    const alg = row.alg as SigningAlg;
    const publicJwk = row.publicJwk as JWK;
    const known = cache.verification.get(row.kid);
    const publicKey = known?.alg === alg ? known.publicKey : ((await importJWK(publicJwk, alg)) as CryptoKey);
    verification.set(row.kid, { kid: row.kid, alg, publicKey });
    jwks.push(publishedJwk(row.kid, alg, publicJwk));
    if (row.status === "active") active = await signerFor(row, alg, publicKey);
    else if (row.status === "next" && row.activatesAt && (!scheduled || row.activatesAt.getTime() < scheduled.activatesAt)) {
      // Imported ahead, so this instance signs with it at activates_at without waiting for a reload.
      const signer = await signerFor(row, alg, publicKey);
      if (signer) scheduled = { ...signer, activatesAt: row.activatesAt.getTime() };
    }
  }
  cache.verification = verification;
  cache.jwks = jwks;
  cache.active = active;
  cache.scheduled = scheduled;
  cache.loadedAt = Date.now();
  watchKeyChanges(reloadQuietly, CACHE_TTL_MS);
}

async function signerFor(row: KeyRow, alg: SigningAlg, publicKey: CryptoKey): Promise<ActiveKey | undefined> {
  for (const known of [cache.active, cache.scheduled]) {
    if (known?.kid === row.kid) return { kid: known.kid, alg: known.alg, publicKey: known.publicKey, privateKey: known.privateKey };
  }
  if (row.privateKey === null) {
    // Supplied through TIM_SIGNING_KEY: usable only where that variable holds it.
    return cache.envKey?.kid === row.kid ? { ...cache.envKey, publicKey } : undefined;
  }
  const privateJwk = await openPrivateJwk({ kid: row.kid, privateKey: row.privateKey, privateKeyEncrypted: row.privateKeyEncrypted });
  const privateKey = (await importJWK({ ...privateJwk, alg }, alg)) as CryptoKey;
  return { kid: row.kid, alg, publicKey, privateKey };
}

/** A reload that reads the table after this call (a running one may have read it before a change just committed). */
export function refreshKeys(): Promise<void> {
  if (cache.refreshing) {
    cache.refreshAgain ??= cache.refreshing
      .catch(() => undefined)
      .then(() => {
        cache.refreshAgain = undefined;
        return refreshKeys();
      });
    return cache.refreshAgain;
  }
  cache.refreshing = loadKeys().finally(() => {
    cache.refreshing = undefined;
  });
  return cache.refreshing;
}

/** The signal's and the periodic reload: never suppressed, failures keep the cached keys. */
function reloadQuietly(): Promise<void> {
  return refreshKeys().catch((err: unknown) => log.warn("signing keys could not be reloaded; using the cached keys", { error_name: (err as Error)?.name }));
}

export function refreshIfStale(): void {
  if (Date.now() - cache.loadedAt >= CACHE_TTL_MS) void reloadQuietly();
}

/** The key that signs at this moment: the scheduled next key once its time has come, else the active key. */
export function currentSigner(): ActiveKey | undefined {
  const scheduled = cache.scheduled;
  if (!scheduled || Date.now() < scheduled.activatesAt) return cache.active;
  cache.promoting ??= recordDueActivation()
    .catch((err: unknown) => log.warn("scheduled key activation not recorded yet; signing with the new key anyway", errorFields(err)))
    .finally(() => {
      cache.promoting = undefined;
    });
  return scheduled;
}

/** Writes a due scheduled activation into the table (once, whichever instance comes first). */
async function recordDueActivation(): Promise<void> {
  await withKeyLock(async (tx) => {
    const due = await tx.signingKey.findFirst({
      where: { status: "next", activatesAt: { lte: new Date() }, privateKey: { not: null } },
      orderBy: { activatesAt: "asc" },
    });
    if (due) await promote(tx, due.kid, due.activatesAt!);
  });
  await refreshKeys();
}

/**
 * Records that `kid` signed a token valid until `exp` (seconds), so the key
 * stays published until then. Written ahead in hour steps: one write per key
 * per hour and process on a busy issuer.
 */
export function recordSignedExpiry(kid: string, exp: number): Promise<void> {
  if (exp <= (cache.recordedExpiry.get(kid) ?? 0)) return Promise.resolve();
  // Concurrent signings (a batch) share one write when it reaches far enough.
  const pending = cache.pendingExpiry.get(kid);
  if (pending && exp <= pending.until) return pending.write;
  const until = exp + EXPIRY_RECORD_STEP_S;
  const write = writeExpiry(kid, until).finally(() => {
    if (cache.pendingExpiry.get(kid)?.until === until) cache.pendingExpiry.delete(kid);
  });
  cache.pendingExpiry.set(kid, { until, write });
  return write;
}

async function writeExpiry(kid: string, until: number): Promise<void> {
  try {
    const prisma = await db();
    await prisma.$executeRaw`
      UPDATE tim.signing_keys
         SET last_token_expires_at = GREATEST(COALESCE(last_token_expires_at, to_timestamp(${until})), to_timestamp(${until}))
       WHERE kid = ${kid}`;
  } catch (err) {
    // Unrecorded, the key could leave the JWKS before this token expires: the token must not be handed out.
    log.warn("signing key expiry not recorded", { kid, ...errorFields(err) });
    throw serviceUnavailable();
  }
  cache.recordedExpiry.set(kid, Math.max(until, cache.recordedExpiry.get(kid) ?? 0));
}

/** Forgets the cached keys (tests that change the key environment). */
export function resetKeyCache(): void {
  cache.active = undefined;
  cache.scheduled = undefined;
  cache.envKey = undefined;
  cache.envNoted = undefined;
  cache.verification = new Map();
  cache.jwks = [];
  cache.loadedAt = 0;
  cache.recordedExpiry = new Map();
  cache.pendingExpiry = new Map();
  cache.lastUnknownKidRefresh = 0;
}
