import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, importPKCS8, type CryptoKey, type JWK } from "jose";
import { config } from "@/lib/config/env";
import { sealPrivateJwk } from "@/lib/jwt/key-sealing";

/** Signing key types and material: generated, read from TIM_SIGNING_KEY, published as JWKs. */

export type SigningAlg = "RS256" | "ES256" | "EdDSA";
export const SIGNING_ALGS: readonly string[] = ["RS256", "ES256", "EdDSA"];

export type VerificationKey = { kid: string; alg: SigningAlg; publicKey: CryptoKey };
export type ActiveKey = VerificationKey & { privateKey: CryptoKey };

/** A generated key as it is stored: its kid (the thumbprint), published JWK and sealed private part. */
export type KeyMaterial = { kid: string; alg: SigningAlg; publicJwk: JWK; privateKey: string; privateKeyEncrypted: boolean };

/** A key read from TIM_SIGNING_KEY (never stored: its private part stays in the setting). */
export type SettingKey = { kid: string; alg: SigningAlg; publicJwk: JWK; privateKey: CryptoKey };

export function publicPart(jwk: JWK): JWK {
  const { kty, crv, n, e, x, y } = jwk;
  return Object.fromEntries(Object.entries({ kty, crv, n, e, x, y }).filter(([, v]) => v !== undefined)) as JWK;
}

export function publishedJwk(kid: string, alg: string, jwk: JWK): JWK {
  return { ...publicPart(jwk), kid, alg, use: "sig" };
}

/** A new key pair, sealed for storage. Seconds of CPU for RSA on a busy host: never inside a transaction. */
export async function generateKeyMaterial(alg: SigningAlg): Promise<KeyMaterial> {
  const { publicKey, privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === "RS256" ? { modulusLength: 2048 } : {}),
    ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}),
  });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, alg, publicJwk: publishedJwk(kid, alg, publicJwk), ...(await sealPrivateJwk(await exportJWK(privateKey))) };
}

function algForJwk(jwk: JWK, configured: SigningAlg): SigningAlg {
  if (jwk.alg && SIGNING_ALGS.includes(jwk.alg)) return jwk.alg as SigningAlg;
  if (jwk.kty === "RSA") return "RS256";
  if (jwk.kty === "EC" && jwk.crv === "P-256") return "ES256";
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") return "EdDSA";
  throw new Error(
    `TIM_SIGNING_KEY: unsupported key type (${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ""}); use RSA, EC P-256 or Ed25519 (configured ${configured}).`,
  );
}

/** Imports TIM_SIGNING_KEY (PKCS#8 PEM or private JWK JSON). */
export async function readSettingKey(source: string): Promise<SettingKey> {
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
