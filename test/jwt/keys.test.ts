import { randomUUID } from "node:crypto";
import { SignJWT, UnsecuredJWT, base64url, createLocalJWKSet, decodeProtectedHeader, exportJWK, exportPKCS8, generateKeyPair, jwtVerify } from "jose";
import { afterAll, describe, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { publicJwks } from "@/lib/jwt/jwks";
import { resetKeyCache } from "@/lib/jwt/key-cache";
import { activeSigningKey, ensureSigningKey } from "@/lib/jwt/keys";
import { activateNextKey, prepareNextKey, retireKey } from "@/lib/jwt/rotate-keys";
import { signJwt } from "@/lib/jwt/sign";
import { InvalidTokenError, verifyJwt } from "@/lib/jwt/verify";
import { tokenHash } from "@/lib/tokens/hash";
import { usePrivateDatabase } from "@/test/jwt/private-database";

usePrivateDatabase();

const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  sub: `keys-${randomUUID()}`,
  iss: "TIM",
  aud: "tim-audience",
  iat: now(),
  exp: now() + 600,
  jti: randomUUID(),
  ...extra,
});

async function reason(token: unknown, opts?: Parameters<typeof verifyJwt>[1]): Promise<string> {
  try {
    await verifyJwt(token, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidTokenError);
    return (err as InvalidTokenError).reason;
  }
  return "valid";
}

async function lastAudit() {
  return (await db()).audit.findFirst({ orderBy: { seq: "desc" }, select: { action: true, actorType: true, target: true } });
}

function withEnv(vars: Record<string, string | undefined>) {
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetConfig();
  resetKeyCache();
}

afterAll(() =>
  withEnv({ TIM_SIGNING_KEY: undefined, TIM_KEY_ENCRYPTION_SECRET: undefined, TIM_SIGNING_ALG: undefined, TIM_KEY_PUBLISH_LEAD_SECONDS: undefined }),
);

describe("signing and verification", () => {
  test("a signed token verifies and carries alg, kid and typ", async () => {
    await ensureSigningKey();
    await ensureSigningKey(); // idempotent
    const token = await signJwt(claims());
    const { header, payload } = await verifyJwt(token, { audience: "tim-audience", issuer: "TIM" });
    const key = await activeSigningKey();
    expect(header).toMatchObject({ alg: "RS256", kid: key.kid, typ: "JWT" });
    expect(payload.iss).toBe("TIM");
    // verifiable offline with the published JWKS
    const jwks = createLocalJWKSet(await publicJwks());
    await expect(jwtVerify(token, jwks)).resolves.toBeTruthy();
    for (const jwk of (await publicJwks()).keys) expect(jwk).not.toHaveProperty("d");
  });

  test("signJwt requires exp", async () => {
    await expect(signJwt({ sub: "x" })).rejects.toThrow(/exp/);
  });

  test("expired, wrong audience, wrong issuer", async () => {
    expect(await reason(await signJwt(claims({ iat: now() - 120, exp: now() - 60 })))).toBe("Token expired");
    const token = await signJwt(claims());
    expect(await reason(token, { audience: "other" })).toBe("Invalid audience");
    expect(await reason(token, { issuer: "someone-else" })).toBe("Invalid issuer");
  });

  test("a token verified before is answered without a second signature check, for the same checks only, and refused once expired", async () => {
    await ensureSigningKey();
    const token = await signJwt(claims({ exp: now() + 2 }));
    const first = await verifyJwt(token, { audience: "tim-audience" });
    const again = await verifyJwt(token, { audience: "tim-audience" });
    // The same objects: the cached verification, not a second one.
    expect(again.payload).toBe(first.payload);
    // Other checks are decided afresh.
    expect(await reason(token, { audience: "other" })).toBe("Invalid audience");
    expect(await reason(token, { audience: "tim-audience", issuer: "someone-else" })).toBe("Invalid issuer");
    // Expiry is checked on every call, cached or not.
    await new Promise((r) => setTimeout(r, (first.payload.exp! - Date.now() / 1000) * 1000 + 50));
    expect(await reason(token, { audience: "tim-audience" })).toBe("Token expired");
  });

  test("a cached verification ends with its key: once the key is no longer published, the token is refused", async () => {
    const prisma = await db();
    const token = await signJwt(claims());
    expect(await reason(token)).toBe("valid");
    expect(await reason(token)).toBe("valid");
    const previous = (await activeSigningKey()).kid;
    await prepareNextKey();
    await activateNextKey();
    await prisma.signingKey.update({ where: { kid: previous }, data: { lastTokenExpiresAt: new Date(Date.now() - 1000) } });
    resetKeyCache();
    expect(await reason(token)).toBe("Unknown key");
  });

  test("ignoreExpiry still checks the signature", async () => {
    const expired = await signJwt(claims({ iat: now() - 120, exp: now() - 60 }));
    await expect(verifyJwt(expired, { ignoreExpiry: true })).resolves.toBeTruthy();
    const [h, p] = expired.split(".");
    expect(await reason(`${h}.${p}.${base64url.encode("forged")}`, { ignoreExpiry: true })).toBe("Invalid signature");
  });
});

describe("attacks", () => {
  test("alg none is refused", async () => {
    const token = new UnsecuredJWT(claims()).encode();
    expect(await reason(token)).toBe("Unsupported algorithm");
  });

  test("HS256 signed with the public key as the secret is refused", async () => {
    const key = await activeSigningKey();
    const jwk = (await publicJwks()).keys.find((k) => k.kid === key.kid)!;
    const secrets = [new TextEncoder().encode(JSON.stringify(jwk)), new TextEncoder().encode(jwk.n!)];
    for (const secret of secrets) {
      const forged = await new SignJWT(claims()).setProtectedHeader({ alg: "HS256", kid: key.kid, typ: "JWT" }).sign(secret);
      expect(await reason(forged)).toBe("Unsupported algorithm");
    }
  });

  test("unknown kid and missing kid are refused", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const unknown = await new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid: "not-a-tim-key" }).sign(privateKey);
    expect(await reason(unknown)).toBe("Unknown key");
    const noKid = await new SignJWT(claims()).setProtectedHeader({ alg: "RS256" }).sign(privateKey);
    expect(await reason(noKid)).toBe("Unknown key");
  });

  test("jku, x5u, jwk and x5c headers are refused", async () => {
    const key = await activeSigningKey();
    const attacker = await generateKeyPair("RS256", { extractable: true });
    const attackerJwk = await exportJWK(attacker.publicKey);
    const headers = [{ jwk: attackerJwk }, { jku: "https://attacker.example/jwks.json" }, { x5u: "https://attacker.example/cert.pem" }, { x5c: ["MIIB"] }];
    for (const extra of headers) {
      const forged = await new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid: key.kid, ...extra }).sign(attacker.privateKey);
      expect(await reason(forged)).toBe("Invalid token header");
    }
  });

  test("a tampered payload fails the signature check", async () => {
    const token = await signJwt(claims({ role: "user" }));
    const [h, p, s] = token.split(".");
    const payload = JSON.parse(new TextDecoder().decode(base64url.decode(p))) as Record<string, unknown>;
    const tampered = base64url.encode(JSON.stringify({ ...payload, role: "admin" }));
    expect(await reason(`${h}.${tampered}.${s}`)).toBe("Invalid signature");
  });

  test("a signature of another algorithm on a TIM kid is refused", async () => {
    const key = await activeSigningKey();
    const { privateKey } = await generateKeyPair("ES256");
    const forged = await new SignJWT(claims()).setProtectedHeader({ alg: "ES256", kid: key.kid }).sign(privateKey);
    expect(await reason(forged)).toBe("Unsupported algorithm");
  });

  test("garbage is a malformed token", async () => {
    for (const garbage of ["", "abc", "a.b", "a.b.c.d.e", "not a jwt at all", 42, null, "e30.e30.e30"]) {
      expect(await reason(garbage)).toMatch(/Malformed token|Unsupported algorithm/);
    }
    expect(await reason("x.y.z")).toBe("Malformed token");
  });
});

describe("rotation", () => {
  test("the next key is published before it signs; old tokens still validate after rotation", async () => {
    const before = await activeSigningKey();
    const oldToken = await signJwt(claims());

    const nextKid = await prepareNextKey();
    const published = (await publicJwks()).keys.map((k) => k.kid);
    expect(published).toContain(nextKid);
    expect(published).toContain(before.kid);
    const stillOld = await signJwt(claims());
    expect(decodeProtectedHeader(stillOld).kid).toBe(before.kid);

    expect(await activateNextKey()).toBe(nextKid);
    const newToken = await signJwt(claims());
    expect(decodeProtectedHeader(newToken).kid).toBe(nextKid);

    // the retired key stays published until its last token expired, and old tokens verify
    expect((await publicJwks()).keys.map((k) => k.kid)).toContain(before.kid);
    await expect(verifyJwt(oldToken)).resolves.toBeTruthy();
    await expect(verifyJwt(newToken)).resolves.toBeTruthy();
    // also in a fresh process (cache emptied): the keys come from the database
    resetKeyCache();
    await expect(verifyJwt(oldToken)).resolves.toBeTruthy();

    const prisma = await db();
    const row = await prisma.signingKey.findUniqueOrThrow({ where: { kid: before.kid } });
    expect(row.status).toBe("retired");
    expect(row.lastTokenExpiresAt!.getTime()).toBeGreaterThanOrEqual((decodeJwtExp(oldToken) as number) * 1000);
  });

  test("concurrent requests for a next key make one: each generates outside the key lock, and decides again under it", async () => {
    const prisma = await db();
    await prisma.signingKey.deleteMany({ where: { status: "next" } });
    const kids = await Promise.all([prepareNextKey("ES256"), prepareNextKey("ES256"), prepareNextKey("ES256")]);
    expect(new Set(kids).size).toBe(1);
    expect(await prisma.signingKey.count({ where: { status: "next" } })).toBe(1);
    expect((await publicJwks()).keys.map((k) => k.kid)).toContain(kids[0]);
  });

  test("a retired key whose tokens all expired is no longer published", async () => {
    const prisma = await db();
    const kid = await prepareNextKey();
    const previous = (await activeSigningKey()).kid;
    await activateNextKey();
    await prisma.signingKey.update({ where: { kid: previous }, data: { lastTokenExpiresAt: new Date(Date.now() - 1000) } });
    resetKeyCache();
    const kids = (await publicJwks()).keys.map((k) => k.kid);
    expect(kids).toContain(kid);
    expect(kids).not.toContain(previous);
  });

  test("a key change hook runs in the change's transaction: if it fails, nothing changed", async () => {
    const prisma = await db();
    const active = (await activeSigningKey()).kid;
    const nextBefore = await prisma.signingKey.count({ where: { status: "next" } });
    await expect(
      prepareNextKey(undefined, async () => {
        throw new Error("audit failed");
      }),
    ).rejects.toThrow("audit failed");
    expect(await prisma.signingKey.count({ where: { status: "next" } })).toBe(nextBefore);

    const seen: string[] = [];
    const kid = await prepareNextKey(undefined, async (tx, k) => {
      seen.push(k, (await tx.signingKey.findUniqueOrThrow({ where: { kid: k } })).status);
    });
    expect(seen).toEqual([kid, "next"]);
    await expect(
      activateNextKey(async () => {
        throw new Error("audit failed");
      }),
    ).rejects.toThrow("audit failed");
    expect((await prisma.signingKey.findFirstOrThrow({ where: { status: "active" } })).kid).toBe(active);
    expect(await activateNextKey(async (tx, k) => expect((await tx.signingKey.findUniqueOrThrow({ where: { kid: k } })).status).toBe("active"))).toBe(kid);
  });

  test("retire: the only signing key is refused; with a next key, it takes over and the retired key stays published for its tokens", async () => {
    const prisma = await db();
    // No usable next key: retiring the signing key is refused and changes nothing.
    await prisma.signingKey.updateMany({ where: { status: "next" }, data: { status: "retired", retiredAt: new Date() } });
    const current = (await activeSigningKey()).kid;
    await expect(retireKey(current)).rejects.toMatchObject({ status: 409, code: "only_signing_key" });
    expect((await activeSigningKey()).kid).toBe(current);

    const oldToken = await signJwt(claims());
    const nextKid = await prepareNextKey();
    // Just published: verifiers may not hold it yet, so it cannot take over (default publish lead).
    await expect(retireKey(current)).rejects.toMatchObject({ status: 409, code: "next_key_too_new" });
    withEnv({ TIM_KEY_PUBLISH_LEAD_SECONDS: "0" });
    // A failing hook (audit write) undoes the retirement.
    await expect(
      retireKey(current, async () => {
        throw new Error("audit failed");
      }),
    ).rejects.toThrow("audit failed");
    expect((await prisma.signingKey.findUniqueOrThrow({ where: { kid: current } })).status).toBe("active");

    const seen: string[] = [];
    const result = await retireKey(current, async (tx, kid) => {
      seen.push(kid, (await tx.signingKey.findUniqueOrThrow({ where: { kid } })).status);
    });
    expect(result).toEqual({ retired: current, active: nextKid });
    expect(seen).toEqual([current, "retired"]);
    const token = await signJwt(claims());
    expect(decodeProtectedHeader(token).kid).toBe(nextKid);
    expect((await publicJwks()).keys.map((k) => k.kid)).toContain(current);
    await expect(verifyJwt(oldToken)).resolves.toBeTruthy();

    await expect(retireKey(current)).rejects.toMatchObject({ status: 409, code: "key_retired" });
    await expect(retireKey("no-such-kid")).rejects.toMatchObject({ status: 404 });

    // A next key that never signed: retired, it leaves the JWKS and can no longer be activated.
    const unused = await prepareNextKey();
    expect(await retireKey(unused)).toEqual({ retired: unused, active: nextKid });
    expect((await publicJwks()).keys.map((k) => k.kid)).not.toContain(unused);
    await expect(activateNextKey()).rejects.toThrow(/no prepared next key/);
    withEnv({ TIM_KEY_PUBLISH_LEAD_SECONDS: undefined });
  });

  test("ES256 and EdDSA keys are selectable", async () => {
    for (const alg of ["ES256", "EdDSA"] as const) {
      await prepareNextKey(alg);
      await activateNextKey();
      const token = await signJwt(claims());
      expect(decodeProtectedHeader(token).alg).toBe(alg);
      await expect(verifyJwt(token)).resolves.toBeTruthy();
    }
  });

  test("concurrent starts and preparations do not fail and leave one active key", async () => {
    const prisma = await db();
    resetKeyCache();
    await Promise.all([ensureSigningKey(), prepareNextKey(), ensureSigningKey()]);
    expect(await prisma.signingKey.count({ where: { status: "active" } })).toBe(1);
  });
});

describe("key storage", () => {
  test("without TIM_KEY_ENCRYPTION_SECRET the key is plain; with it the key is a dir/A256GCM JWE", async () => {
    const prisma = await db();
    withEnv({ TIM_KEY_ENCRYPTION_SECRET: undefined, TIM_SIGNING_ALG: "RS256" });
    await prepareNextKey();
    const plainKid = await activateNextKey();
    const plain = await prisma.signingKey.findUniqueOrThrow({ where: { kid: plainKid } });
    expect(plain.privateKeyEncrypted).toBe(false);
    expect(JSON.parse(plain.privateKey!)).toHaveProperty("d");

    withEnv({ TIM_KEY_ENCRYPTION_SECRET: "correct horse battery staple" });
    await ensureSigningKey(); // encrypts the plain active key in place
    const sealed = await prisma.signingKey.findUniqueOrThrow({ where: { kid: plainKid } });
    expect(sealed.privateKeyEncrypted).toBe(true);
    expect(sealed.privateKey!.split(".")).toHaveLength(5);
    expect(decodeProtectedHeader(sealed.privateKey!)).toMatchObject({ alg: "dir", enc: "A256GCM" });
    expect(sealed.privateKey).not.toContain('"d"');

    await prepareNextKey();
    const encryptedKid = await activateNextKey();
    resetKeyCache();
    const token = await signJwt(claims());
    expect(decodeProtectedHeader(token).kid).toBe(encryptedKid);
    await expect(verifyJwt(token)).resolves.toBeTruthy();

    withEnv({ TIM_KEY_ENCRYPTION_SECRET: "a different secret of some length" });
    await expect(ensureSigningKey()).rejects.toThrow(/cannot be decrypted/);
    withEnv({ TIM_KEY_ENCRYPTION_SECRET: "correct horse battery staple" });
  });

  test("TIM_SIGNING_KEY (PKCS#8 PEM) seeds the first signing key, stored without its private part (audited)", async () => {
    const prisma = await db();
    await prisma.signingKey.deleteMany();
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const pem = await exportPKCS8(privateKey);
    withEnv({ TIM_SIGNING_KEY: pem, TIM_SIGNING_ALG: "ES256" });
    await ensureSigningKey();
    const key = await activeSigningKey();
    const row = await prisma.signingKey.findUniqueOrThrow({ where: { kid: key.kid } });
    expect(row).toMatchObject({ status: "active", alg: "ES256", privateKey: null });
    expect(await lastAudit()).toMatchObject({ action: "key.seed", actorType: "system_job", target: { kid: key.kid } });
    const token = await signJwt(claims());
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: "ES256", kid: key.kid });
    await expect(verifyJwt(token)).resolves.toBeTruthy();

    // Another TIM_SIGNING_KEY while the active key is one only a TIM_SIGNING_KEY holds: it replaces it (a JWK works too), audited.
    const jwk = { ...(await exportJWK((await generateKeyPair("EdDSA", { extractable: true, crv: "Ed25519" })).privateKey)) };
    withEnv({ TIM_SIGNING_KEY: JSON.stringify(jwk), TIM_SIGNING_ALG: "RS256" });
    await ensureSigningKey();
    const replaced = await activeSigningKey();
    expect(replaced.alg).toBe("EdDSA");
    expect(await lastAudit()).toMatchObject({ action: "key.env_replace", target: { kid: replaced.kid, previous_kid: key.kid } });
    await expect(verifyJwt(token)).resolves.toBeTruthy();

    // removing the variable makes TIM generate its own key again
    withEnv({ TIM_SIGNING_KEY: undefined, TIM_SIGNING_ALG: "RS256" });
    await ensureSigningKey();
    const own = await activeSigningKey();
    expect(own.alg).toBe("RS256");
    expect((await prisma.signingKey.findUniqueOrThrow({ where: { kid: own.kid } })).privateKey).not.toBeNull();
    expect(await lastAudit()).toMatchObject({ action: "key.env_replace", target: { kid: own.kid, previous_kid: replaced.kid } });
  });

  test("a restart with TIM_SIGNING_KEY set does not undo a rotation: the variable is ignored, logged and audited once per process", async () => {
    const prisma = await db();
    await prisma.signingKey.deleteMany();
    const pem = await exportPKCS8((await generateKeyPair("RS256", { extractable: true })).privateKey);
    withEnv({ TIM_SIGNING_KEY: pem, TIM_SIGNING_ALG: "RS256" });
    await ensureSigningKey();
    const seeded = (await activeSigningKey()).kid;
    await prepareNextKey();
    const rotated = await activateNextKey();
    expect(rotated).not.toBe(seeded);

    withEnv({ TIM_SIGNING_KEY: pem }); // a restart: the key cache is gone, the variable still set
    const before = await prisma.audit.count({ where: { action: "key.env_ignored" } });
    await ensureSigningKey();
    await ensureSigningKey();
    expect((await activeSigningKey()).kid).toBe(rotated);
    expect(decodeProtectedHeader(await signJwt(claims())).kid).toBe(rotated);
    expect((await prisma.signingKey.findUniqueOrThrow({ where: { kid: seeded } })).status).toBe("retired");
    expect(await prisma.audit.count({ where: { action: "key.env_ignored" } })).toBe(before + 1);
    expect(await lastAudit()).toMatchObject({ action: "key.env_ignored", target: { kid: seeded, active_kid: rotated } });
    withEnv({ TIM_SIGNING_KEY: undefined });
  });

  test("a broken TIM_SIGNING_KEY stops start-up with a clear message", async () => {
    withEnv({ TIM_SIGNING_KEY: "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----" });
    await expect(ensureSigningKey()).rejects.toThrow(/TIM_SIGNING_KEY/);
    withEnv({ TIM_SIGNING_KEY: undefined });
  });
});

test("tokenHash is lowercase hex SHA-256", () => {
  expect(tokenHash("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

function decodeJwtExp(token: string): number | undefined {
  return (JSON.parse(new TextDecoder().decode(base64url.decode(token.split(".")[1]))) as { exp?: number }).exp;
}
