import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import jks from "jks-js";
import type { JWK } from "jose";
import type { ImportedKey } from "@/lib/jwt/import-key";

/** TIM 2.0's key alias, which its JwtSignerService also uses as the tokens' `kid`. */
export const TIM2_KEY_ALIAS = "jwtsign";

export class KeyFileError extends Error {}

export type KeyFileOptions = {
  /** Keystore entry and kid (default `jwtsign`, TIM 2.0's jwt.signature.key-alias). */
  alias?: string;
  /** Keystore password (jwt.signature.key-store-password) or a PEM private key's passphrase. */
  password?: string;
};

const JKS_MAGIC = 0xfeedfeed;

/**
 * Reads the key TIM 2.0 signed with. TIM 2.0's JwtSignerService loads entry
 * `jwtsign` of a Java keystore (jwtkeystore.jks: JKS, or PKCS#12 as keytool
 * writes by default since Java 9) and signs RS256 with `kid` = the alias.
 * Accepted here: that keystore (with its password), a PEM private key
 * (PKCS#8 or PKCS#1), or only the public part — a PEM public key, a
 * certificate, or TIM 2.0's published JWKS (GET /jwt/keys/public) — which is
 * all TIM needs to verify the tokens (the key never signs in TIM).
 */
export function readSigningKey(file: string, opts: KeyFileOptions = {}): ImportedKey {
  const alias = opts.alias ?? TIM2_KEY_ALIAS;
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    throw new KeyFileError(`Cannot read the signing key file ${file}: ${(err as Error).message}`);
  }
  const text = buf.toString("utf8").trim();
  if (text.startsWith("{")) return fromJson(text, alias);
  if (text.startsWith("-----BEGIN")) return fromPem(text, alias, opts.password);
  const isKeystore = (buf.length >= 4 && buf.readUInt32BE(0) === JKS_MAGIC) || buf[0] === 0x30;
  if (!isKeystore) throw new KeyFileError(`${file} is neither a Java keystore (JKS, PKCS#12), a PEM file nor a JWK/JWKS.`);
  if (opts.password === undefined) {
    throw new KeyFileError(`${file} is a keystore: give its password (TIM 2.0's jwt.signature.key-store-password) with --keystore-password-file.`);
  }
  let entries: ReturnType<typeof jks.toPem>;
  try {
    entries = jks.toPem(buf, opts.password);
  } catch (err) {
    throw new KeyFileError(`Cannot open the keystore ${file} (wrong password, or damaged): ${(err as Error).message}`);
  }
  const entry = entries[alias];
  if (!entry?.key && !entry?.cert) {
    throw new KeyFileError(`The keystore has no key entry "${alias}" (entries: ${Object.keys(entries).join(", ") || "none"}); name it with --key-alias.`);
  }
  const privateKey = entry.key ? createPrivateKey(entry.key) : undefined;
  const publicKey = createPublicKey(privateKey ?? firstCert(entry.cert!));
  return build(alias, publicKey, privateKey);
}

function firstCert(chain: string): string {
  const end = "-----END CERTIFICATE-----";
  return chain.slice(0, chain.indexOf(end) + end.length);
}

function fromPem(text: string, alias: string, passphrase?: string): ImportedKey {
  try {
    if (/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(text)) {
      const privateKey = createPrivateKey({ key: text, format: "pem", passphrase });
      return build(alias, createPublicKey(privateKey), privateKey);
    }
    if (/-----BEGIN (RSA )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(text)) {
      return build(alias, createPublicKey(text.includes("CERTIFICATE") ? firstCert(text) : text));
    }
  } catch (err) {
    if (err instanceof KeyFileError) throw err;
    throw new KeyFileError(`Cannot read the PEM key: ${(err as Error).message}`);
  }
  throw new KeyFileError("The PEM file holds no private key, public key or certificate.");
}

function fromJson(text: string, alias: string): ImportedKey {
  let parsed: { keys?: JWK[] } & JWK;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KeyFileError("The key file is not valid JSON (a JWK or a JWKS was expected).");
  }
  const keys = Array.isArray(parsed.keys) ? parsed.keys : [parsed];
  const jwk = keys.find((k) => k.kid === alias) ?? (keys.length === 1 ? keys[0] : undefined);
  if (!jwk) throw new KeyFileError(`The JWKS has no key with kid "${alias}" (kids: ${keys.map((k) => k.kid).join(", ")}).`);
  try {
    const privateKey = jwk.d ? createPrivateKey({ key: jwk as never, format: "jwk" }) : undefined;
    return build(jwk.kid ?? alias, createPublicKey(privateKey ?? { key: jwk as never, format: "jwk" }), privateKey);
  } catch (err) {
    throw new KeyFileError(`Cannot read the JWK: ${(err as Error).message}`);
  }
}

function build(kid: string, publicKey: KeyObject, privateKey?: KeyObject): ImportedKey {
  if (publicKey.asymmetricKeyType !== "rsa") {
    throw new KeyFileError(`The key is ${publicKey.asymmetricKeyType ?? "not asymmetric"}; TIM 2.0 signs RS256 with an RSA key.`);
  }
  const { kty, n, e } = publicKey.export({ format: "jwk" }) as JWK;
  return {
    kid,
    alg: "RS256",
    publicJwk: { kty, n, e },
    ...(privateKey ? { privateJwk: privateKey.export({ format: "jwk" }) as JWK } : {}),
  };
}
