import { hkdfSync } from "node:crypto";
import { CompactEncrypt, compactDecrypt, type JWK } from "jose";
import { config } from "@/lib/config/env";
import { log } from "@/lib/log/logger";

/**
 * Private signing keys at rest: a JWE (dir, A256GCM) under a key derived from
 * TIM_KEY_ENCRYPTION_SECRET, or plain JSON, loudly, when no secret is set.
 */

export type SealedKey = { privateKey: string; privateKeyEncrypted: boolean };

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
  const jwe = await new CompactEncrypt(new TextEncoder().encode(plain))
    .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
    .encrypt(kek);
  return { privateKey: jwe, privateKeyEncrypted: true };
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
    const { plaintext } = await compactDecrypt(row.privateKey, kek, {
      keyManagementAlgorithms: ["dir"],
      contentEncryptionAlgorithms: ["A256GCM"],
    });
    return JSON.parse(new TextDecoder().decode(plaintext)) as JWK;
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
