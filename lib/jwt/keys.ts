import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { config } from "@/lib/config/env";
import { currentSigner, keyCache as cache, refreshIfStale, refreshKeys } from "@/lib/jwt/key-cache";
import type { JWK } from "jose";
import { readSettingKey, type ActiveKey, type VerificationKey } from "@/lib/jwt/key-material";
import { sealPrivateJwk, sealsEncrypted } from "@/lib/jwt/key-sealing";
import { promote, withKeyLock, type KeyTx } from "@/lib/jwt/key-store";
import { log } from "@/lib/log/logger";

/**
 * TIM's signing keys: stored in tim.signing_keys, imported once per process and
 * cached (lib/jwt/key-cache.ts). Lifecycle: `next` (published, not signing) →
 * `active` (signs) → `retired` (published and verifying until the last token
 * it signed expired). This module makes sure a key signs at start-up and
 * answers which key signs and which verify; rotation is lib/jwt/rotate-keys.ts,
 * keys from TIM 2.0 lib/jwt/import-key.ts.
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

/**
 * An unknown kid triggers at most one reload per this interval (no reload
 * storms from forged kids). Genuine keys do not depend on it: they are
 * published, and signalled, before they sign.
 */
const UNKNOWN_KID_RELOAD_MS = 5_000;
/** The audit actor of key changes TIM makes by itself at start-up. */
const STARTUP_ACTOR: AuditActor = { type: "system_job", id: "start-up" };

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
  if (cfg.TIM_SIGNING_KEY && !cache.envKey) cache.envKey = await readSettingKey(cfg.TIM_SIGNING_KEY);
  const envKey = cfg.TIM_SIGNING_KEY ? cache.envKey : undefined;
  await withKeyLock(async (tx, newKey) => {
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
      const { kid } = await newKey(cfg.TIM_SIGNING_ALG, "next");
      await promote(tx, kid);
      await startupKeyChange(tx, kid, active ? "key.env_replace" : "key.seed", active?.kid);
      log.info("signing key created", { kid, alg: cfg.TIM_SIGNING_ALG });
    } else if (active.privateKey !== null && !active.privateKeyEncrypted && sealsEncrypted()) {
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
async function startupKeyChange(tx: KeyTx, kid: string, action: "key.seed" | "key.env_replace", previous?: string): Promise<void> {
  if (previous) {
    log.warn(
      "SIGNING KEY REPLACED AT START-UP: the active key was supplied through a TIM_SIGNING_KEY this process does not hold; the new key signs at once. Give every instance the same TIM_SIGNING_KEY (or none).",
      { kid, previous_kid: previous },
    );
  }
  await recordAudit(tx, { actor: STARTUP_ACTOR, action, target: previous ? { kid, previous_kid: previous } : { kid } });
}

/** TIM_SIGNING_KEY names another key than the one that signs: said once per process and situation, and audited. */
async function noteIgnoredEnvKey(tx: KeyTx, envKid: string, activeKid: string): Promise<void> {
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
