import { hkdfSync } from "node:crypto";
import { CompactEncrypt, compactDecrypt, type JWK } from "jose";
import { config } from "@/lib/config/env";
import { log } from "@/lib/log/logger";

/**
 * Private signing keys at rest: a JWE (dir, A256GCM) under a key derived from
 * TIM_KEY_ENCRYPTION_SECRET, or plain JSON, loudly, when no secret is set.
 */

export type SealedKey = { privateKey: string; privateKeyEncrypted: boolean };

const encryptionKeys = new Map<string, { secret: string; key: Uint8Array }>();

/** A key per purpose (HKDF salt), so a sealed value of one kind never opens as another. */
function keyEncryptionKey(purpose = "tim.signing_keys"): Uint8Array | undefined {
  const secret = config().TIM_KEY_ENCRYPTION_SECRET;
  if (!secret) return undefined;
  let cached = encryptionKeys.get(purpose);
  if (cached?.secret !== secret) {
    cached = { secret, key: new Uint8Array(hkdfSync("sha256", secret, purpose, "private-key-encryption v1", 32)) };
    encryptionKeys.set(purpose, cached);
  }
  return cached.key;
}

/** Other secrets TIM must send on (a push receiver's authorization header): sealed the same way, under their own key. */
export async function sealSecret(purpose: string, plain: string): Promise<{ sealed: string; encrypted: boolean }> {
  const kek = keyEncryptionKey(purpose);
  if (!kek) return { sealed: plain, encrypted: false };
  return { sealed: await encrypt(plain, kek), encrypted: true };
}

export async function openSecret(purpose: string, row: { sealed: string; encrypted: boolean }): Promise<string> {
  if (!row.encrypted) return row.sealed;
  const kek = keyEncryptionKey(purpose);
  if (!kek) throw new Error(`A ${purpose} secret is encrypted but TIM_KEY_ENCRYPTION_SECRET is not set.`);
  return decrypt(row.sealed, kek);
}

const encrypt = (plain: string, kek: Uint8Array) =>
  new CompactEncrypt(new TextEncoder().encode(plain)).setProtectedHeader({ alg: "dir", enc: "A256GCM" }).encrypt(kek);

async function decrypt(jwe: string, kek: Uint8Array): Promise<string> {
  const { plaintext } = await compactDecrypt(jwe, kek, { keyManagementAlgorithms: ["dir"], contentEncryptionAlgorithms: ["A256GCM"] });
  return new TextDecoder().decode(plaintext);
}

/** Whether keys stored now are encrypted (TIM_KEY_ENCRYPTION_SECRET is set). */
export function sealsEncrypted(): boolean {
  return keyEncryptionKey() !== undefined;
}

export async function sealPrivateJwk(jwk: JWK): Promise<SealedKey> {
  const kek = keyEncryptionKey();
  const plain = JSON.stringify(jwk);
  if (!kek) {
    warnPlainStorage();
    return { privateKey: plain, privateKeyEncrypted: false };
  }
  return { privateKey: await encrypt(plain, kek), privateKeyEncrypted: true };
}

export async function openPrivateJwk(row: { kid: string } & SealedKey): Promise<JWK> {
  if (!row.privateKeyEncrypted) {
    warnPlainStorage();
    return JSON.parse(row.privateKey) as JWK;
  }
  const kek = keyEncryptionKey();
  if (!kek) {
    throw new Error(`Signing key ${row.kid} is encrypted but TIM_KEY_ENCRYPTION_SECRET is not set.`);
  }
  try {
    return JSON.parse(await decrypt(row.privateKey, kek)) as JWK;
  } catch {
    throw new Error(`Signing key ${row.kid} cannot be decrypted: TIM_KEY_ENCRYPTION_SECRET is not the one it was stored with.`);
  }
}

// Once per process, also when Next bundles lib/ a second time.
const WARNED = Symbol.for("tim.signing-keys.warned-plain");

function warnPlainStorage(): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[WARNED]) return;
  g[WARNED] = true;
  log.warn(
    "SIGNING KEY STORED UNENCRYPTED: TIM_KEY_ENCRYPTION_SECRET is not set, so the private signing key is kept in plain text in tim.signing_keys. Set TIM_KEY_ENCRYPTION_SECRET (at least 16 characters) in production.",
  );
}
