import { hkdfSync } from "node:crypto";
import {
  CompactEncrypt,
  calculateJwkThumbprint,
  compactDecrypt,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  type CryptoKey,
  type JWK,
} from "jose";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { TimError, notFound, serviceUnavailable } from "@/lib/http/errors";
import { errorFields, log } from "@/lib/log/logger";

/**
 * TIM's signing keys: stored in tim.signing_keys, imported once per process and
 * cached here. Lifecycle: `next` (published, not signing) → `active` (signs) →
 * `retired` (published and verifying until the last token it signed expired).
 */

export type SigningAlg = "RS256" | "ES256" | "EdDSA";
export const SIGNING_ALGS: readonly string[] = ["RS256", "ES256", "EdDSA"];

export type VerificationKey = { kid: string; alg: SigningAlg; publicKey: CryptoKey };
export type ActiveKey = VerificationKey & { privateKey: CryptoKey };

type KeyRow = {
  kid: string;
  alg: string;
  publicJwk: unknown;
  privateKey: string | null;
  privateKeyEncrypted: boolean;
  status: string;
  lastTokenExpiresAt: Date | null;
};

type KeyCache = {
  active?: ActiveKey;
  verification: Map<string, VerificationKey>;
  jwks: JWK[];
  loadedAt: number;
  /** Latest exp per kid already written to last_token_expires_at by this process. */
  recordedExpiry: Map<string, number>;
  pendingExpiry: Map<string, { until: number; write: Promise<void> }>;
  /** The key from TIM_SIGNING_KEY, imported once. */
  envKey?: { kid: string; alg: SigningAlg; publicJwk: JWK; privateKey: CryptoKey };
  ensuring?: Promise<void>;
  refreshing?: Promise<void>;
  lastUnknownKidRefresh: number;
  warnedPlain: boolean;
};

/** Other instances' rotations become visible within this many milliseconds. */
const CACHE_TTL_MS = 60_000;
/** An unknown kid triggers at most one reload per this interval (no reload storms from forged kids). */
const UNKNOWN_KID_RELOAD_MS = 5_000;
/** last_token_expires_at is written ahead by this much, so busy issuers write it about once an hour. */
const EXPIRY_RECORD_STEP_S = 3_600;
/** Serialises key-management writes across instances. */
const KEY_LOCK = 72_541_331_908;

const SLOT = Symbol.for("tim.signing-keys");
const cache: KeyCache = ((globalThis as Record<symbol, unknown>)[SLOT] ??= {
  verification: new Map(),
  jwks: [],
  loadedAt: 0,
  recordedExpiry: new Map(),
  pendingExpiry: new Map(),
  lastUnknownKidRefresh: 0,
  warnedPlain: false,
}) as KeyCache;

// ------------------------------------------------------------ encryption ---

let encryptionKey: { secret: string; key: Uint8Array } | undefined;

function keyEncryptionKey(): Uint8Array | undefined {
  const secret = config().TIM_KEY_ENCRYPTION_SECRET;
  if (!secret) return undefined;
  if (encryptionKey?.secret !== secret) {
    const key = new Uint8Array(hkdfSync("sha256", secret, "tim.signing_keys", "private-key-encryption v1", 32));
    encryptionKey = { secret, key };
  }
  return encryptionKey.key;
}

async function sealPrivateJwk(jwk: JWK): Promise<{ privateKey: string; privateKeyEncrypted: boolean }> {
  const kek = keyEncryptionKey();
  const plain = JSON.stringify(jwk);
  if (!kek) {
    warnPlainStorage();
    return { privateKey: plain, privateKeyEncrypted: false };
  }
  const jwe = await new CompactEncrypt(new TextEncoder().encode(plain))
    .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
    .encrypt(kek);
  return { privateKey: jwe, privateKeyEncrypted: true };
}

async function openPrivateJwk(row: KeyRow): Promise<JWK> {
  if (!row.privateKeyEncrypted) {
    warnPlainStorage();
    return JSON.parse(row.privateKey!) as JWK;
  }
  const kek = keyEncryptionKey();
  if (!kek) {
    throw new Error(`Signing key ${row.kid} is encrypted but TIM_KEY_ENCRYPTION_SECRET is not set.`);
  }
  try {
    const { plaintext } = await compactDecrypt(row.privateKey!, kek, {
      keyManagementAlgorithms: ["dir"],
      contentEncryptionAlgorithms: ["A256GCM"],
    });
    return JSON.parse(new TextDecoder().decode(plaintext)) as JWK;
  } catch {
    throw new Error(`Signing key ${row.kid} cannot be decrypted: TIM_KEY_ENCRYPTION_SECRET is not the one it was stored with.`);
  }
}

function warnPlainStorage(): void {
  if (cache.warnedPlain) return;
  cache.warnedPlain = true;
  log.warn(
    "SIGNING KEY STORED UNENCRYPTED: TIM_KEY_ENCRYPTION_SECRET is not set, so the private signing key is kept in plain text in tim.signing_keys. Set TIM_KEY_ENCRYPTION_SECRET (at least 16 characters) in production.",
  );
}

// ------------------------------------------------------------- key material ---

function publicPart(jwk: JWK): JWK {
  const { kty, crv, n, e, x, y } = jwk;
  return Object.fromEntries(Object.entries({ kty, crv, n, e, x, y }).filter(([, v]) => v !== undefined)) as JWK;
}

function publishedJwk(kid: string, alg: string, jwk: JWK): JWK {
  return { ...publicPart(jwk), kid, alg, use: "sig" };
}

async function generateKeyMaterial(alg: SigningAlg) {
  const { publicKey, privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === "RS256" ? { modulusLength: 2048 } : {}),
    ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}),
  });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, publicJwk: publishedJwk(kid, alg, publicJwk), privateJwk: await exportJWK(privateKey) };
}

function algForJwk(jwk: JWK, configured: SigningAlg): SigningAlg {
  if (jwk.alg && SIGNING_ALGS.includes(jwk.alg)) return jwk.alg as SigningAlg;
  if (jwk.kty === "RSA") return "RS256";
  if (jwk.kty === "EC" && jwk.crv === "P-256") return "ES256";
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") return "EdDSA";
  throw new Error(`TIM_SIGNING_KEY: unsupported key type (${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ""}); use RSA, EC P-256 or Ed25519 (configured ${configured}).`);
}

/** Imports TIM_SIGNING_KEY (PKCS#8 PEM or private JWK JSON) once. */
async function importEnvKey(source: string): Promise<NonNullable<KeyCache["envKey"]>> {
  const configured = config().TIM_SIGNING_ALG;
  let privateJwk: JWK;
  let alg: SigningAlg;
  const text = source.trim();
  try {
    if (text.startsWith("{")) {
      privateJwk = JSON.parse(text) as JWK;
      alg = algForJwk(privateJwk, configured);
    } else {
      const pem = text.replace(/\\n/g, "\n");
      const rsa = pem.includes("BEGIN RSA PRIVATE KEY");
      if (rsa) throw new Error("TIM_SIGNING_KEY must be PKCS#8 (BEGIN PRIVATE KEY), not PKCS#1.");
      const imported = await importPKCS8(pem, configured, { extractable: true });
      privateJwk = await exportJWK(imported);
      alg = configured;
    }
  } catch (err) {
    if (err instanceof Error && err.message.startsWith("TIM_SIGNING_KEY")) throw err;
    throw new Error(`TIM_SIGNING_KEY cannot be read as a ${configured} PKCS#8 PEM or private JWK.`);
  }
  if (!privateJwk.d) throw new Error("TIM_SIGNING_KEY holds no private key.");
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(publicPart(privateJwk)));
  const privateKey = (await importJWK({ ...privateJwk, alg }, alg)) as CryptoKey;
  return { kid, alg, publicJwk: publishedJwk(kid, alg, privateJwk), privateKey };
}

// ------------------------------------------------------------- persistence ---

export type KeyTx = Parameters<Parameters<Awaited<ReturnType<typeof db>>["$transaction"]>[0]>[0];
type Tx = KeyTx;
/** Runs in the key change's own transaction, e.g. to write its audit event (decision 8). */
export type KeyChangeHook = (tx: KeyTx, kid: string) => Promise<unknown>;

async function withKeyLock<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  const prisma = await db();
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${KEY_LOCK}::bigint)`;
    return fn(tx);
  });
}

async function insertGeneratedKey(tx: Tx, alg: SigningAlg, status: "next" | "active"): Promise<string> {
  const material = await generateKeyMaterial(alg);
  const sealed = await sealPrivateJwk(material.privateJwk);
  await tx.signingKey.create({
    data: {
      kid: material.kid,
      alg,
      publicJwk: material.publicJwk as object,
      ...sealed,
      status,
      activatedAt: status === "active" ? new Date() : null,
    },
  });
  return material.kid;
}

/** Retires the active key and promotes `kid` in one step (the unique index allows one active key). */
async function promote(tx: Tx, kid: string): Promise<void> {
  const now = new Date();
  await tx.signingKey.updateMany({ where: { status: "active", NOT: { kid } }, data: { status: "retired", retiredAt: now } });
  await tx.signingKey.update({ where: { kid }, data: { status: "active", activatedAt: now, retiredAt: null } });
}

// ------------------------------------------------------------------ cache ---

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
  for (const row of rows) {
    if (!SIGNING_ALGS.includes(row.alg)) continue;
    const alg = row.alg as SigningAlg;
    const publicJwk = row.publicJwk as JWK;
    const known = cache.verification.get(row.kid);
    const publicKey = known?.alg === alg ? known.publicKey : ((await importJWK(publicJwk, alg)) as CryptoKey);
    verification.set(row.kid, { kid: row.kid, alg, publicKey });
    jwks.push(publishedJwk(row.kid, alg, publicJwk));
    if (row.status === "active") active = await activeKeyFor(row, alg, publicKey);
  }
  cache.verification = verification;
  cache.jwks = jwks;
  cache.active = active;
  cache.loadedAt = Date.now();
}

async function activeKeyFor(row: KeyRow, alg: SigningAlg, publicKey: CryptoKey): Promise<ActiveKey | undefined> {
  if (cache.active?.kid === row.kid) return cache.active;
  if (row.privateKey === null) {
    // Supplied through TIM_SIGNING_KEY: usable only where that variable holds it.
    return cache.envKey?.kid === row.kid ? { ...cache.envKey, publicKey } : undefined;
  }
  const privateJwk = await openPrivateJwk(row);
  const privateKey = (await importJWK({ ...privateJwk, alg }, alg)) as CryptoKey;
  return { kid: row.kid, alg, publicKey, privateKey };
}

function refreshKeys(): Promise<void> {
  cache.refreshing ??= loadKeys().finally(() => {
    cache.refreshing = undefined;
  });
  return cache.refreshing;
}

function refreshIfStale(): void {
  if (Date.now() - cache.loadedAt < CACHE_TTL_MS) return;
  refreshKeys().catch((err: unknown) =>
    log.warn("signing keys could not be reloaded; using the cached keys", { error_name: (err as Error)?.name }),
  );
}

// ------------------------------------------------------------------- API ---

/**
 * Makes sure a signing key is active and loaded: imports TIM_SIGNING_KEY when
 * set, otherwise creates the first key on the first start. Idempotent and safe
 * when several instances start at once (advisory lock).
 */
export function ensureSigningKey(): Promise<void> {
  cache.ensuring ??= ensure().finally(() => {
    cache.ensuring = undefined;
  });
  return cache.ensuring;
}

async function ensure(): Promise<void> {
  const cfg = config();
  if (cfg.TIM_SIGNING_KEY && !cache.envKey) cache.envKey = await importEnvKey(cfg.TIM_SIGNING_KEY);
  const envKey = cfg.TIM_SIGNING_KEY ? cache.envKey : undefined;
  await withKeyLock(async (tx) => {
    const active = await tx.signingKey.findFirst({ where: { status: "active" } });
    if (envKey) {
      if (active?.kid === envKey.kid) return;
      await tx.signingKey.upsert({
        where: { kid: envKey.kid },
        create: {
          kid: envKey.kid,
          alg: envKey.alg,
          publicJwk: envKey.publicJwk as object,
          privateKey: null,
          privateKeyEncrypted: false,
          status: "next",
        },
        update: {},
      });
      await promote(tx, envKey.kid);
      log.info("signing key from TIM_SIGNING_KEY is active", { kid: envKey.kid, alg: envKey.alg });
      return;
    }
    // No usable active key: none yet, or one supplied through an env variable that is gone.
    if (!active || active.privateKey === null) {
      const kid = await insertGeneratedKey(tx, cfg.TIM_SIGNING_ALG, "next");
      await promote(tx, kid);
      log.info("signing key created", { kid, alg: cfg.TIM_SIGNING_ALG });
    } else if (active.privateKey !== null && !active.privateKeyEncrypted && keyEncryptionKey()) {
      // A secret was configured after the key was stored in plain text: encrypt it now.
      const sealed = await sealPrivateJwk(JSON.parse(active.privateKey) as JWK);
      await tx.signingKey.update({ where: { kid: active.kid }, data: sealed });
    }
  });
  await refreshKeys();
  if (!cache.active) throw new Error("No usable signing key after start-up.");
  if (!envKey && cache.active.alg !== cfg.TIM_SIGNING_ALG) {
    // Switching at once would sign with a key resource servers have not fetched yet.
    log.warn("TIM_SIGNING_ALG differs from the active key; it applies from the next key rotation (prepareNextKey, then activateNextKey)", {
      active_alg: cache.active.alg,
      configured_alg: cfg.TIM_SIGNING_ALG,
    });
  }
}

/** The key that signs now (loads keys on first use; reloads in the background when stale). */
export async function activeSigningKey(): Promise<ActiveKey> {
  if (!cache.active) await ensureSigningKey();
  else refreshIfStale();
  return cache.active!;
}

/** A published key by kid; reloads once (rate-limited) for kids not seen yet, e.g. another instance's new key. */
export async function verificationKey(kid: string): Promise<VerificationKey | undefined> {
  if (cache.loadedAt === 0) await ensureSigningKey();
  else refreshIfStale();
  const known = cache.verification.get(kid);
  if (known) return known;
  if (Date.now() - cache.lastUnknownKidRefresh < UNKNOWN_KID_RELOAD_MS) return undefined;
  cache.lastUnknownKidRefresh = Date.now();
  await refreshKeys();
  return cache.verification.get(kid);
}

/** Every key that may sign or still has live tokens (public parts only). */
export async function publishedKeys(): Promise<JWK[]> {
  if (cache.loadedAt === 0) await ensureSigningKey();
  else refreshIfStale();
  return cache.jwks;
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

/** Creates a `next` key: published in the JWKS, not yet signing. Returns its kid. */
export async function prepareNextKey(alg: SigningAlg = config().TIM_SIGNING_ALG, within?: KeyChangeHook): Promise<string> {
  const kid = await withKeyLock(async (tx) => {
    const next = await tx.signingKey.findFirst({ where: { status: "next", privateKey: { not: null } } });
    const kid = next?.kid ?? (await insertGeneratedKey(tx, alg, "next"));
    await within?.(tx, kid);
    return kid;
  });
  await refreshKeys();
  return kid;
}

/**
 * Makes the `next` key the signing key and retires the current one (which stays
 * published until its last token expired). Returns the new kid.
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
        select: { kid: true },
      });
      if (!next) {
        throw new TimError("only_signing_key", `Signing key ${kid} is the only key that can sign: publish a next key first, or rotate now.`);
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

/** Forgets the cached keys (tests that change the key environment). */
export function resetKeyCache(): void {
  cache.active = undefined;
  cache.envKey = undefined;
  cache.verification = new Map();
  cache.jwks = [];
  cache.loadedAt = 0;
  cache.recordedExpiry = new Map();
  cache.pendingExpiry = new Map();
  cache.lastUnknownKidRefresh = 0;
}
