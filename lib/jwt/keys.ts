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
import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { TimError, notFound, serviceUnavailable } from "@/lib/http/errors";
import { watchKeyChanges } from "@/lib/jwt/key-signal";
import { errorFields, log } from "@/lib/log/logger";

/**
 * TIM's signing keys: stored in tim.signing_keys, imported once per process and
 * cached here. Lifecycle: `next` (published, not signing) → `active` (signs) →
 * `retired` (published and verifying until the last token it signed expired).
 *
 * Across instances: every key change is signalled to every instance
 * (lib/jwt/key-signal.ts), and a rotation is scheduled, not immediate: the
 * next key gets `activates_at`, no earlier than its publication plus the
 * publish lead (TIM_KEY_PUBLISH_LEAD_SECONDS, default the JWKS max-age plus a
 * margin), so every instance and every verifier caching the JWKS holds the
 * key before anyone signs with it. Each instance loads the scheduled key
 * ahead and signs with it from that moment by its own clock: all switch
 * together, whatever the age of their cache. The first instance to sign after
 * it records the switch in the table (status active, the old key retired).
 * Only an emergency rotation (activateNextKey) switches at once.
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
  envKey?: { kid: string; alg: SigningAlg; publicJwk: JWK; privateKey: CryptoKey };
  ensuring?: Promise<void>;
  refreshing?: Promise<void>;
  /** A reload asked for while one was running: it starts when that one ends (it may predate the change). */
  refreshAgain?: Promise<void>;
  promoting?: Promise<void>;
  /** The TIM_SIGNING_KEY situation this process has logged and audited already. */
  envNoted?: string;
  lastUnknownKidRefresh: number;
  warnedPlain: boolean;
};

/** Key changes are signalled at once; without the signal (listener down) they are seen within this many milliseconds. */
const CACHE_TTL_MS = 60_000;
/**
 * An unknown kid triggers at most one reload per this interval (no reload
 * storms from forged kids). Genuine keys do not depend on it: they are
 * published, and signalled, before they sign.
 */
const UNKNOWN_KID_RELOAD_MS = 5_000;
/** Verifiers may cache /jwt/keys/public this long (its Cache-Control max-age). */
export const JWKS_MAX_AGE_S = 300;
/** Beyond the JWKS max-age: clock differences, a verifier's fetch in flight, TIM's own reload. */
const PUBLISH_MARGIN_S = 30;
/** The audit actor of key changes TIM makes by itself at start-up. */
const STARTUP_ACTOR: AuditActor = { type: "system_job", id: "start-up" };
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
/** Runs in the key change's own transaction, e.g. to write its audit event (decision 8); `detail` describes the change further. */
export type KeyChangeHook = (tx: KeyTx, kid: string, detail?: Record<string, string>) => Promise<unknown>;

async function withKeyLock<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  const prisma = await db();
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${KEY_LOCK}::bigint)`;
    return fn(tx);
  });
}

async function insertGeneratedKey(tx: Tx, alg: SigningAlg, status: "next" | "active") {
  const material = await generateKeyMaterial(alg);
  const sealed = await sealPrivateJwk(material.privateJwk);
  return tx.signingKey.create({
    data: {
      kid: material.kid,
      alg,
      publicJwk: material.publicJwk as object,
      ...sealed,
      status,
      // After the key generation (seconds on a busy host), not the transaction's start: the publish lead counts from here.
      createdAt: new Date(),
      activatedAt: status === "active" ? new Date() : null,
    },
    select: { kid: true, createdAt: true, activatesAt: true },
  });
}

/** Retires the active key and promotes `kid` in one step (the unique index allows one active key); `at`: when it began signing. */
async function promote(tx: Tx, kid: string, at = new Date()): Promise<void> {
  await tx.signingKey.updateMany({ where: { status: "active", NOT: { kid } }, data: { status: "retired", retiredAt: at } });
  await tx.signingKey.update({ where: { kid }, data: { status: "active", activatedAt: at, retiredAt: null } });
}

/** The publish lead in milliseconds: how long a key is published before a scheduled rotation lets it sign. */
export function publishLeadMs(): number {
  return (config().TIM_KEY_PUBLISH_LEAD_SECONDS ?? JWKS_MAX_AGE_S + PUBLISH_MARGIN_S) * 1000;
}

/** The earliest moment a key published at `createdAt` may sign. */
const signableFrom = (createdAt: Date) => new Date(createdAt.getTime() + publishLeadMs());

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
  const privateJwk = await openPrivateJwk(row);
  const privateKey = (await importJWK({ ...privateJwk, alg }, alg)) as CryptoKey;
  return { kid: row.kid, alg, publicKey, privateKey };
}

/** A reload that reads the table after this call (a running one may have read it before a change just committed). */
function refreshKeys(): Promise<void> {
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
  return refreshKeys().catch((err: unknown) =>
    log.warn("signing keys could not be reloaded; using the cached keys", { error_name: (err as Error)?.name }),
  );
}

function refreshIfStale(): void {
  if (Date.now() - cache.loadedAt >= CACHE_TTL_MS) void reloadQuietly();
}

/** The key that signs at this moment: the scheduled next key once its time has come, else the active key. */
function currentSigner(): ActiveKey | undefined {
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

// ------------------------------------------------------------------- API ---

/**
 * Makes sure a signing key is active and loaded: the first key is the one of
 * TIM_SIGNING_KEY when set, else a generated one. A rotation made since is kept
 * whatever TIM_SIGNING_KEY says (logged and audited). Idempotent and safe
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
    // A key stored without its private part was supplied through TIM_SIGNING_KEY: this process signs with it only if it holds it too.
    const usable = active && (active.privateKey !== null || active.kid === envKey?.kid);
    if (envKey && active && active.kid !== envKey.kid && usable) {
      // TIM_SIGNING_KEY seeds the first key only: a rotation made since stays (restarting must not undo it).
      await noteIgnoredEnvKey(tx, envKey.kid, active.kid);
    } else if (envKey && !usable) {
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
      await startupKeyChange(tx, envKey.kid, active ? "key.env_replace" : "key.seed", active?.kid);
      log.info("signing key from TIM_SIGNING_KEY is active", { kid: envKey.kid, alg: envKey.alg });
    } else if (!usable) {
      // No usable active key: none yet, or one supplied through a TIM_SIGNING_KEY this process lacks.
      const { kid } = await insertGeneratedKey(tx, cfg.TIM_SIGNING_ALG, "next");
      await promote(tx, kid);
      await startupKeyChange(tx, kid, active ? "key.env_replace" : "key.seed", active?.kid);
      log.info("signing key created", { kid, alg: cfg.TIM_SIGNING_ALG });
    } else if (active.privateKey !== null && !active.privateKeyEncrypted && keyEncryptionKey()) {
      // A secret was configured after the key was stored in plain text: encrypt it now.
      const sealed = await sealPrivateJwk(JSON.parse(active.privateKey) as JWK);
      await tx.signingKey.update({ where: { kid: active.kid }, data: sealed });
    }
  });
  await refreshKeys();
  if (!currentSigner()) throw new Error("No usable signing key after start-up.");
  if (!envKey && cache.active && cache.active.alg !== cfg.TIM_SIGNING_ALG) {
    // Switching at once would sign with a key resource servers have not fetched yet.
    log.warn("TIM_SIGNING_ALG differs from the active key; it applies from the next key rotation", {
      active_alg: cache.active.alg,
      configured_alg: cfg.TIM_SIGNING_ALG,
    });
  }
}

/**
 * A key TIM made the signing key by itself at start-up: the first key
 * (`key.seed`), or, replacing `previous` (a key supplied through a
 * TIM_SIGNING_KEY this process does not hold), a new one at once (`key.env_replace`).
 */
async function startupKeyChange(tx: Tx, kid: string, action: "key.seed" | "key.env_replace", previous?: string): Promise<void> {
  if (previous) {
    log.warn(
      "SIGNING KEY REPLACED AT START-UP: the active key was supplied through a TIM_SIGNING_KEY this process does not hold; the new key signs at once. Give every instance the same TIM_SIGNING_KEY (or none).",
      { kid, previous_kid: previous },
    );
  }
  await recordAudit(tx, { actor: STARTUP_ACTOR, action, target: previous ? { kid, previous_kid: previous } : { kid } });
}

/** TIM_SIGNING_KEY names another key than the one that signs: said once per process and situation, and audited. */
async function noteIgnoredEnvKey(tx: Tx, envKid: string, activeKid: string): Promise<void> {
  const situation = `${envKid} ${activeKid}`;
  if (cache.envNoted === situation) return;
  log.warn(
    "TIM_SIGNING_KEY IGNORED: it only seeds the first signing key, and the key that signs now was rotated in since (console or another instance). The rotation stays; remove TIM_SIGNING_KEY from this instance's settings.",
    { env_kid: envKid, active_kid: activeKid },
  );
  await recordAudit(tx, { actor: STARTUP_ACTOR, action: "key.env_ignored", target: { kid: envKid, active_kid: activeKid } });
  cache.envNoted = situation;
}

/** The key that signs now (loads keys on first use; reloads in the background when stale). */
export async function activeSigningKey(): Promise<ActiveKey> {
  if (!currentSigner()) await ensureSigningKey();
  else refreshIfStale();
  return currentSigner()!;
}

/**
 * A published key by kid. A kid not seen yet reloads the keys at most once
 * per UNKNOWN_KID_RELOAD_MS (forged kids cause no reload storm); inside that
 * interval it waits for a reload already running (a signalled change) rather
 * than refusing at once.
 */
export async function verificationKey(kid: string): Promise<VerificationKey | undefined> {
  if (cache.loadedAt === 0) await ensureSigningKey();
  else refreshIfStale();
  const known = cache.verification.get(kid);
  if (known) return known;
  if (Date.now() - cache.lastUnknownKidRefresh >= UNKNOWN_KID_RELOAD_MS) {
    cache.lastUnknownKidRefresh = Date.now();
    await refreshKeys();
  } else if (cache.refreshing) {
    await cache.refreshing.catch(() => undefined);
  }
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
    const kid = next?.kid ?? (await insertGeneratedKey(tx, alg, "next")).kid;
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
  const rotation = await withKeyLock(async (tx) => {
    const next =
      (await tx.signingKey.findFirst({
        where: { status: "next", privateKey: { not: null } },
        orderBy: { createdAt: "asc" },
        select: { kid: true, createdAt: true, activatesAt: true },
      })) ?? (await insertGeneratedKey(tx, config().TIM_SIGNING_ALG, "next"));
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

/** A verification key brought in from another issuer (TIM 2.0): public JWK, private JWK when the source held one. */
export type ImportedKey = { kid: string; alg: SigningAlg; publicJwk: JWK; privateJwk?: JWK };
export type KeyImport = { kid: string; outcome: "imported" | "present"; verifiesUntil: Date };

/** Whether `key` may be imported: "new", "present" (the same public key under that kid), or refused (another key holds the kid). */
export async function checkKeyImport(key: ImportedKey, tx?: Tx): Promise<"new" | "present"> {
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

/** The signing keys as operators watch them: the active key and its age, the next scheduled rotation (null: none scheduled). */
export type KeyState = {
  activeKid: string | null;
  alg: string | null;
  activeSince: Date | null;
  nextKid: string | null;
  nextRotationAt: Date | null;
};

/** Reads the key state from tim.signing_keys (what every instance follows), not this process's cache. */
export async function keyState(): Promise<KeyState> {
  const rows = await (await db()).signingKey.findMany({
    where: { OR: [{ status: "active" }, { status: "next", activatesAt: { not: null } }] },
    select: { kid: true, alg: true, status: true, createdAt: true, activatedAt: true, activatesAt: true },
    orderBy: { createdAt: "desc" },
  });
  const active = rows.find((r) => r.status === "active");
  const next = rows.filter((r) => r.status === "next").sort((a, b) => a.activatesAt!.getTime() - b.activatesAt!.getTime())[0];
  return {
    activeKid: active?.kid ?? null,
    alg: active?.alg ?? null,
    activeSince: active ? (active.activatedAt ?? active.createdAt) : null,
    nextKid: next?.kid ?? null,
    nextRotationAt: next?.activatesAt ?? null,
  };
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
