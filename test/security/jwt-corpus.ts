import { createHmac, randomUUID } from "node:crypto";
import { deflateRawSync } from "node:zlib";
import { CompactEncrypt, exportJWK, exportSPKI, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";

/**
 * The JWT attack corpus (issue 12 §7): tokens an attacker can build, described
 * as data. Each variant names its group and how it is made from a context of
 * real material (TIM's published key, real tokens with their metadata rows);
 * test/security/jwt-attacks.test.ts runs every variant against every token
 * endpoint and asserts refusal with nothing written.
 *
 * "TIM-signed" variants are signed with TIM's own active key: they stand for a
 * token TIM never issued in that form (a leaked key, a sibling deployment, a
 * bug) and check that the claim or header itself is what gets it refused.
 */

export type Endpoint = "validate" | "validateBoolean" | "introspect" | "extend" | "revoke" | "rfc7009Revoke" | "taraExtend";
/** Every variant runs against these unless it names its own. */
export const DEFAULT_ENDPOINTS: readonly Endpoint[] = ["validate", "validateBoolean", "introspect", "extend", "revoke", "rfc7009Revoke"];

export type SigningKey = { alg: string; key: CryptoKey | Uint8Array };

export type CorpusContext = {
  issuer: string;
  audience: string;
  tim: { kid: string; alg: string; jwk: JWK; privateKey: CryptoKey };
  /** A key TIM retired and no longer publishes (its tokens all expired), private part included. */
  retired: { kid: string; alg: string; privateKey: CryptoKey };
  /** A newly issued real custom token (with its metadata row), one per call. */
  fresh: () => Promise<string>;
  /** Another real custom token, for swapped signatures and payloads. */
  other: string;
  /** A real TIM TARA JWT with its tara.jwt_metadata row. */
  tara: string;
};

export type Variant = {
  group: string;
  name: string;
  make: (ctx: CorpusContext, k: AttackerKeys) => Promise<string>;
  /** Endpoints this variant runs against (default DEFAULT_ENDPOINTS). */
  endpoints?: readonly Endpoint[];
};

// ---------------------------------------------------------------- encoding ---

type Claims = Record<string, any>;

const b64u = (data: string | Uint8Array) => Buffer.from(data).toString("base64url");
const json = (value: unknown) => JSON.stringify(value);
const now = () => Math.floor(Date.now() / 1000);
const parts = (token: string) => token.split(".") as [string, string, string];
export const payloadOf = (token: string): Record<string, any> => JSON.parse(Buffer.from(parts(token)[1], "base64url").toString("utf8"));
export const headerOf = (token: string): Record<string, any> => JSON.parse(Buffer.from(parts(token)[0], "base64url").toString("utf8"));

const WEBCRYPTO: Record<string, AlgorithmIdentifier | RsaPssParams | EcdsaParams> = {
  RS256: { name: "RSASSA-PKCS1-v1_5" },
  RS384: { name: "RSASSA-PKCS1-v1_5" },
  RS512: { name: "RSASSA-PKCS1-v1_5" },
  PS256: { name: "RSA-PSS", saltLength: 32 } as RsaPssParams,
  ES256: { name: "ECDSA", hash: "SHA-256" } as EcdsaParams,
  ES384: { name: "ECDSA", hash: "SHA-384" } as EcdsaParams,
  EdDSA: { name: "Ed25519" },
};

/**
 * A compact JWS over exactly the given header and payload text (objects are
 * serialised, strings taken as they are, so duplicate keys and odd numbers
 * survive). `signAs` is the algorithm actually used, whatever the header says.
 */
export async function jws(signer: SigningKey, header: object | string, payload: object | string | Uint8Array): Promise<string> {
  const h = b64u(typeof header === "string" ? header : json(header));
  const p = b64u(typeof payload === "string" || payload instanceof Uint8Array ? payload : json(payload));
  const input = `${h}.${p}`;
  let signature: Buffer;
  if (signer.alg.startsWith("HS")) {
    signature = createHmac(`sha${signer.alg.slice(2)}`, signer.key as Uint8Array)
      .update(input)
      .digest();
  } else {
    const params = WEBCRYPTO[signer.alg];
    signature = Buffer.from(await crypto.subtle.sign(params, signer.key as CryptoKey, new TextEncoder().encode(input)));
  }
  return `${input}.${b64u(signature)}`;
}

/** Keys an attacker holds: one per asymmetric algorithm. */
export type AttackerKeys = Record<"RS256" | "RS384" | "RS512" | "PS256" | "ES256" | "ES384" | "EdDSA", { privateKey: CryptoKey; jwk: JWK }>;

export async function attackerKeys(): Promise<AttackerKeys> {
  const algs = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"] as const;
  const pairs = await Promise.all(
    algs.map(async (alg) => {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      return [alg, { privateKey, jwk: await exportJWK(publicKey) }] as const;
    }),
  );
  return Object.fromEntries(pairs) as AttackerKeys;
}

// ------------------------------------------------------------- ingredients ---

/** Claims that would pass every check but the signature (fresh jti: no metadata row). */
function forgedClaims(ctx: CorpusContext, extra: Record<string, unknown> = {}) {
  const iat = now();
  return {
    sub: "attacker",
    role: "admin",
    iss: ctx.issuer,
    aud: ctx.audience,
    iat,
    exp: iat + 3600,
    jti: randomUUID(),
    token_type: "custom_jwt",
    ...extra,
  };
}

const timKey = (ctx: CorpusContext): SigningKey => ({ alg: ctx.tim.alg, key: ctx.tim.privateKey });
const timHeader = (ctx: CorpusContext, extra: Record<string, unknown> = {}) => ({ alg: ctx.tim.alg, kid: ctx.tim.kid, typ: "JWT", ...extra });

/** A real token's claims, changed, signed again by TIM (the row of its jti exists). */
async function timResigned(ctx: CorpusContext, change: (claims: Record<string, any>) => Record<string, any> | string, header: Record<string, unknown> = {}) {
  const claims = payloadOf(await ctx.fresh());
  return jws(timKey(ctx), timHeader(ctx, header), change(claims));
}

/** Forged claims signed by the attacker's key of `alg`, with TIM's kid in the header. */
async function attackerSigned(ctx: CorpusContext, k: AttackerKeys, alg: keyof AttackerKeys, header: Record<string, unknown> = {}, claims?: object | string) {
  return jws({ alg, key: k[alg].privateKey }, { alg, kid: ctx.tim.kid, typ: "JWT", ...header }, claims ?? forgedClaims(ctx));
}

/** The public key as an attacker fetched it from the JWKS: PEM (SPKI) text and JWK JSON. */
async function publicKeyForms(ctx: CorpusContext) {
  const key = (await importJWK({ ...ctx.tim.jwk, alg: ctx.tim.alg }, ctx.tim.alg, { extractable: true })) as CryptoKey;
  const pem = await exportSPKI(key);
  return { pem, pemTrimmed: pem.trim(), jwk: json(ctx.tim.jwk) };
}

async function unsigned(alg: unknown, ctx: CorpusContext, signature = "") {
  const header = alg === undefined ? { kid: ctx.tim.kid, typ: "JWT" } : { alg, kid: ctx.tim.kid, typ: "JWT" };
  return `${b64u(json(header))}.${b64u(json(forgedClaims(ctx)))}.${signature}`;
}

async function resignedAs(ctx: CorpusContext, hs: "HS256" | "HS384" | "HS512", form: "pem" | "pemTrimmed" | "jwk") {
  const secret = new TextEncoder().encode((await publicKeyForms(ctx))[form]);
  return jws({ alg: hs, key: secret }, { alg: hs, kid: ctx.tim.kid, typ: "JWT" }, forgedClaims(ctx));
}

/** A real token with its signature segment replaced. */
async function withSignature(ctx: CorpusContext, change: (sig: string, token: string) => string) {
  const token = await ctx.fresh();
  const [h, p, s] = parts(token);
  return `${h}.${p}.${change(s, token)}`;
}

/** A real token with its payload changed and the original signature kept. */
async function withPayload(ctx: CorpusContext, change: (claims: Record<string, any>) => Record<string, any>) {
  const token = await ctx.fresh();
  const [h, p, s] = parts(token);
  const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
  return `${h}.${b64u(json(change(claims)))}.${s}`;
}

const flipBit = (sig: string, at: number) => {
  const bytes = Buffer.from(sig, "base64url");
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] ^= 0x01;
  return b64u(bytes);
};

const nested = (depth: number) => {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = { n: value };
  return value;
};

const std = (segment: string) => Buffer.from(segment, "base64url").toString("base64");

/** A self-signed-looking certificate chain entry (the header must be refused before it is parsed). */
const FAKE_X5C = Buffer.from("attacker certificate").toString("base64");

// ------------------------------------------------------------------ corpus ---

const ALG_NONE = ["none", "None", "NONE", "nOnE", "none "];
const HS = ["HS256", "HS384", "HS512"] as const;
const KEY_FORMS = ["pem", "pemTrimmed", "jwk"] as const;
const FOREIGN = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"] as const;

export const CORPUS: Variant[] = [
  // alg none, every casing, with and without a signature
  ...ALG_NONE.map((alg): Variant => ({ group: "alg none", name: `alg ${JSON.stringify(alg)}, empty signature`, make: (ctx) => unsigned(alg, ctx) })),
  ...ALG_NONE.slice(0, 2).map(
    (alg): Variant => ({
      group: "alg none",
      name: `alg ${JSON.stringify(alg)} with a real token's signature`,
      make: async (ctx) => unsigned(alg, ctx, parts(await ctx.fresh())[2]),
    }),
  ),
  { group: "alg none", name: "alg missing", make: (ctx) => unsigned(undefined, ctx) },
  { group: "alg none", name: "alg null", make: (ctx) => unsigned(null, ctx) },
  { group: "alg none", name: "alg empty string", make: (ctx) => unsigned("", ctx) },
  { group: "alg none", name: 'alg array ["RS256"]', make: (ctx) => unsigned(["RS256"], ctx, "c2ln") },

  // HMAC keyed with TIM's public key
  ...HS.flatMap((hs) =>
    KEY_FORMS.map((form): Variant => ({ group: "HS confusion", name: `${hs} keyed with the public key (${form})`, make: (ctx) => resignedAs(ctx, hs, form) })),
  ),

  // asymmetric keys of the attacker, with TIM's kid
  ...FOREIGN.map((alg): Variant => ({ group: "foreign key", name: `${alg} by a foreign key with TIM's kid`, make: (ctx, k) => attackerSigned(ctx, k, alg) })),
  {
    group: "foreign key",
    name: "RS256 by a foreign key, header alg ES256 (algorithm switch)",
    make: (ctx, k) => jws({ alg: "RS256", key: k.RS256.privateKey }, { alg: "ES256", kid: ctx.tim.kid }, forgedClaims(ctx)),
  },

  // kid tricks (foreign signature)
  ...(
    [
      ["unknown kid", randomUUID()],
      ["path traversal", "../../../../../../dev/null"],
      ["path traversal to a file", "../../../../etc/passwd"],
      ["SQL-ish", "' OR '1'='1"],
      ["SQL-ish statement", "x'; DELETE FROM tim.signing_keys; --"],
      ["empty kid", ""],
      ["kid array", ["a", "b"]],
      ["kid array holding TIM's kid", "__TIM_KID_ARRAY__"],
      ["kid number", 12345],
      ["kid null", null],
      ["kid object", { kid: "x" }],
      ["very long kid (10 000 chars)", "k".repeat(10_000)],
      ["kid with a NUL", "a\u0000b"],
      ["kid with a lone surrogate", "a\ud800b"],
    ] as const
  ).map(
    ([name, kid]): Variant => ({
      group: "kid",
      name,
      make: (ctx, k) => attackerSigned(ctx, k, "RS256", { kid: kid === "__TIM_KID_ARRAY__" ? [ctx.tim.kid] : kid }),
    }),
  ),
  {
    group: "kid",
    name: "kid missing",
    make: (ctx, k) => jws({ alg: "RS256", key: k.RS256.privateKey }, { alg: "RS256", typ: "JWT" }, forgedClaims(ctx)),
  },
  {
    group: "kid",
    name: "a retired key's kid, signed with that key",
    make: (ctx) => jws({ alg: ctx.retired.alg, key: ctx.retired.privateKey }, { alg: ctx.retired.alg, kid: ctx.retired.kid, typ: "JWT" }, forgedClaims(ctx)),
  },
  {
    group: "kid",
    name: "a retired key's kid on a TIM-signed real token",
    make: (ctx) => timResigned(ctx, (c) => c, { kid: ctx.retired.kid }),
  },

  // headers that bring their own key: attacker-signed, and TIM-signed (the header alone must refuse it)
  { group: "key reference", name: "jwk header with the attacker's key", make: (ctx, k) => attackerSigned(ctx, k, "RS256", { jwk: k.RS256.jwk }) },
  {
    group: "key reference",
    name: "jwk header, no kid",
    make: (ctx, k) => jws({ alg: "RS256", key: k.RS256.privateKey }, { alg: "RS256", jwk: k.RS256.jwk }, forgedClaims(ctx)),
  },
  { group: "key reference", name: "jku to an attacker JWKS", make: (ctx, k) => attackerSigned(ctx, k, "RS256", { jku: "https://attacker.example/jwks.json" }) },
  { group: "key reference", name: "jku to a loopback URL", make: (ctx, k) => attackerSigned(ctx, k, "RS256", { jku: "http://127.0.0.1:1/jwks" }) },
  {
    group: "key reference",
    name: "x5u to an attacker certificate",
    make: (ctx, k) => attackerSigned(ctx, k, "RS256", { x5u: "https://attacker.example/cert.pem" }),
  },
  { group: "key reference", name: "x5c with an attacker certificate", make: (ctx, k) => attackerSigned(ctx, k, "RS256", { x5c: [FAKE_X5C] }) },
  { group: "key reference", name: "TIM-signed real token with a jwk header", make: (ctx, k) => timResigned(ctx, (c) => c, { jwk: k.RS256.jwk }) },
  {
    group: "key reference",
    name: "TIM-signed real token with a jku header",
    make: (ctx) => timResigned(ctx, (c) => c, { jku: "https://attacker.example/jwks.json" }),
  },
  {
    group: "key reference",
    name: "TIM-signed real token with an x5u header",
    make: (ctx) => timResigned(ctx, (c) => c, { x5u: "https://attacker.example/c.pem" }),
  },
  { group: "key reference", name: "TIM-signed real token with an x5c header", make: (ctx) => timResigned(ctx, (c) => c, { x5c: [FAKE_X5C] }) },

  // crit, b64, zip on TIM-signed real tokens: only the header can make them invalid
  { group: "crit", name: "crit with an unknown extension", make: (ctx) => timResigned(ctx, (c) => c, { crit: ["x-attacker"], "x-attacker": true }) },
  { group: "crit", name: "crit naming an absent parameter", make: (ctx) => timResigned(ctx, (c) => c, { crit: ["x-absent"] }) },
  { group: "crit", name: "crit with a registered parameter (exp)", make: (ctx) => timResigned(ctx, (c) => c, { crit: ["exp"], exp: 1 }) },
  { group: "crit", name: "crit empty array", make: (ctx) => timResigned(ctx, (c) => c, { crit: [] }) },
  { group: "crit", name: "crit as a string", make: (ctx) => timResigned(ctx, (c) => c, { crit: "b64" }) },
  { group: "b64", name: "b64:false with crit, JSON payload", make: (ctx) => timResigned(ctx, (c) => c, { b64: false, crit: ["b64"] }) },
  {
    group: "zip",
    name: "zip:DEF with a deflated payload",
    make: async (ctx) => {
      const claims = payloadOf(await ctx.fresh());
      return jws(timKey(ctx), timHeader(ctx, { zip: "DEF" }), deflateRawSync(Buffer.from(json(claims))));
    },
  },
  { group: "zip", name: "zip:DEF, attacker-signed", make: (ctx, k) => attackerSigned(ctx, k, "RS256", { zip: "DEF" }) },

  // signature tampering of real tokens
  { group: "signature", name: "first bit flipped", make: (ctx) => withSignature(ctx, (s) => flipBit(s, 0)) },
  { group: "signature", name: "last bit flipped", make: (ctx) => withSignature(ctx, (s) => flipBit(s, -1)) },
  { group: "signature", name: "truncated by one character", make: (ctx) => withSignature(ctx, (s) => s.slice(0, -1)) },
  { group: "signature", name: "truncated to half", make: (ctx) => withSignature(ctx, (s) => s.slice(0, s.length / 2)) },
  { group: "signature", name: "empty signature", make: (ctx) => withSignature(ctx, () => "") },
  { group: "signature", name: "another token's signature", make: (ctx) => withSignature(ctx, () => parts(ctx.other)[2]) },
  { group: "signature", name: "the TARA token's signature", make: (ctx) => withSignature(ctx, () => parts(ctx.tara)[2]) },
  { group: "signature", name: "signature doubled", make: (ctx) => withSignature(ctx, (s) => s + s) },
  { group: "signature", name: "signature all zero bytes", make: (ctx) => withSignature(ctx, (s) => b64u(Buffer.alloc(Buffer.from(s, "base64url").length))) },

  // payload tampering, TIM's signature kept
  { group: "payload", name: "sub changed", make: (ctx) => withPayload(ctx, (c) => ({ ...c, sub: "admin" })) },
  { group: "payload", name: "role claim added", make: (ctx) => withPayload(ctx, (c) => ({ ...c, role: "admin" })) },
  { group: "payload", name: "exp pushed a year ahead", make: (ctx) => withPayload(ctx, (c) => ({ ...c, exp: c.exp + 365 * 86_400 })) },
  { group: "payload", name: "aud changed", make: (ctx) => withPayload(ctx, (c) => ({ ...c, aud: "payment-service" })) },
  { group: "payload", name: "iss changed", make: (ctx) => withPayload(ctx, (c) => ({ ...c, iss: "EVIL" })) },
  { group: "payload", name: "another token's payload", make: async (ctx) => withPayload(ctx, () => payloadOf(ctx.other)) },
  {
    group: "payload",
    name: "header of another key (kid swapped to the retired key)",
    make: async (ctx) => {
      const [, p, s] = parts(await ctx.fresh());
      return `${b64u(json({ alg: ctx.retired.alg, kid: ctx.retired.kid, typ: "JWT" }))}.${p}.${s}`;
    },
  },

  // time claims on TIM-signed real tokens (the row exists: the claim itself must refuse them)
  ...(<[string, (c: Claims) => Claims | string][]>[
    ["expired an hour ago", (c) => ({ ...c, exp: now() - 3600 })],
    ["exp negative", (c) => ({ ...c, exp: -1 })],
    ["exp zero", (c) => ({ ...c, exp: 0 })],
    ["exp missing", ({ exp: _exp, ...c }) => c],
    ["exp as a string", (c) => ({ ...c, exp: String(c.exp) })],
    ["exp null", (c) => ({ ...c, exp: null })],
    ["exp 1e400 (Infinity)", (c) => json(c).replace(/"exp":\d+/, '"exp":1e400')],
    ["exp -1e400", (c) => json(c).replace(/"exp":\d+/, '"exp":-1e400')],
    ['exp "NaN"', (c) => ({ ...c, exp: "NaN" })],
    ["exp 1e308 (beyond any date)", (c) => json(c).replace(/"exp":\d+/, '"exp":1e308')],
    ["nbf in the future", (c) => ({ ...c, nbf: now() + 3600 })],
    ["iat a day in the future", (c) => ({ ...c, iat: now() + 86_400 })],
    ["iat 1e400", (c) => json(c).replace(/"iat":\d+/, '"iat":1e400')],
    ["iat as a string", (c) => ({ ...c, iat: "now" })],
  ]).map(
    ([name, change]): Variant => ({
      group: "time claims",
      name: `TIM-signed: ${name}`,
      make: (ctx) => timResigned(ctx, change),
      // TIM revokes expired tokens of its own on purpose (README: "Expired tokens may still be revoked").
      ...(/expired|exp negative|exp zero/.test(name) ? { endpoints: ["validate", "validateBoolean", "introspect", "extend"] as const } : {}),
    }),
  ),
  { group: "time claims", name: "forged: expired", make: (ctx, k) => attackerSigned(ctx, k, "RS256", {}, forgedClaims(ctx, { exp: now() - 60 })) },

  // issuer
  { group: "issuer", name: "TIM-signed: foreign issuer", make: (ctx) => timResigned(ctx, (c) => ({ ...c, iss: "https://evil.example" })) },
  { group: "issuer", name: "TIM-signed: issuer missing", make: (ctx) => timResigned(ctx, ({ iss: _iss, ...c }) => c) },
  { group: "issuer", name: "TIM-signed: issuer as an array", make: (ctx) => timResigned(ctx, (c) => ({ ...c, iss: [c.iss] })) },
  {
    group: "issuer",
    name: "TIM-signed: issuer differing in case",
    make: (ctx) => timResigned(ctx, (c) => ({ ...c, iss: String(c.iss).toLowerCase() === c.iss ? String(c.iss).toUpperCase() : String(c.iss).toLowerCase() })),
  },
  {
    group: "issuer",
    name: "TIM-signed: foreign issuer, no metadata row",
    make: (ctx) => jws(timKey(ctx), timHeader(ctx), forgedClaims(ctx, { iss: "https://evil.example" })),
  },
  { group: "issuer", name: "forged: foreign issuer", make: (ctx, k) => attackerSigned(ctx, k, "ES256", {}, forgedClaims(ctx, { iss: "EVIL" })) },

  // audience (forged; TIM-signed audiences are the issuer's to choose)
  {
    group: "audience",
    name: "forged: audience array with TIM's audience",
    make: (ctx, k) => attackerSigned(ctx, k, "RS256", {}, forgedClaims(ctx, { aud: ["x", ctx.audience] })),
  },
  { group: "audience", name: "forged: audience empty array", make: (ctx, k) => attackerSigned(ctx, k, "RS256", {}, forgedClaims(ctx, { aud: [] })) },
  { group: "audience", name: "forged: audience number", make: (ctx, k) => attackerSigned(ctx, k, "RS256", {}, forgedClaims(ctx, { aud: 7 })) },
  { group: "audience", name: "tampered: audience array appended", make: (ctx) => withPayload(ctx, (c) => ({ ...c, aud: [c.aud, "payment-service"] })) },

  // jti
  { group: "jti", name: "TIM-signed: jti missing", make: (ctx) => timResigned(ctx, ({ jti: _jti, ...c }) => c) },
  { group: "jti", name: "TIM-signed: jti not a UUID", make: (ctx) => timResigned(ctx, (c) => ({ ...c, jti: "not-a-uuid" })) },
  { group: "jti", name: "TIM-signed: jti a number", make: (ctx) => timResigned(ctx, (c) => ({ ...c, jti: 42 })) },
  { group: "jti", name: "TIM-signed: jti 5 000 characters", make: (ctx) => timResigned(ctx, (c) => ({ ...c, jti: `${c.jti}${"0".repeat(4964)}` })) },
  {
    group: "jti",
    name: "forged: duplicate of a real jti",
    make: async (ctx, k) => attackerSigned(ctx, k, "RS256", {}, forgedClaims(ctx, { jti: payloadOf(ctx.other).jti })),
  },
  { group: "jti", name: "tampered: jti of another real token", make: (ctx) => withPayload(ctx, (c) => ({ ...c, jti: payloadOf(ctx.other).jti })) },

  // duplicate JSON keys: read last-wins (JSON.parse, PostgreSQL jsonb), every reading must be refused
  {
    group: "duplicate keys",
    name: "header alg RS256 then none",
    make: (ctx) =>
      timResigned(ctx, (c) => c, {}).then((t) => {
        const [, p, s] = parts(t);
        return `${b64u(`{"alg":"${ctx.tim.alg}","kid":"${ctx.tim.kid}","alg":"none"}`)}.${p}.${s}`;
      }),
  },
  {
    group: "duplicate keys",
    name: "header kid TIM's then unknown, TIM-signed",
    make: async (ctx) => {
      const claims = payloadOf(await ctx.fresh());
      return jws(timKey(ctx), `{"alg":"${ctx.tim.alg}","kid":"${ctx.tim.kid}","kid":"${randomUUID()}"}`, claims);
    },
  },
  {
    group: "duplicate keys",
    name: "header jku hidden behind a duplicate alg, TIM-signed",
    make: async (ctx) => {
      const claims = payloadOf(await ctx.fresh());
      return jws(timKey(ctx), `{"alg":"HS256","jku":"https://attacker.example","alg":"${ctx.tim.alg}","kid":"${ctx.tim.kid}"}`, claims);
    },
  },
  {
    group: "duplicate keys",
    name: "payload exp future then past, TIM-signed",
    make: (ctx) => timResigned(ctx, (c) => json(c).replace(/}$/, `,"exp":${now() - 3600}}`)),
    endpoints: ["validate", "validateBoolean", "introspect", "extend"],
  },
  {
    group: "duplicate keys",
    name: "payload iss TIM then foreign, TIM-signed",
    make: (ctx) => timResigned(ctx, (c) => json(c).replace(/}$/, ',"iss":"https://evil.example"}')),
  },
  {
    group: "duplicate keys",
    name: "payload token_type custom then foreign, TIM-signed",
    make: (ctx) => timResigned(ctx, (c) => json(c).replace(/}$/, ',"token_type":"admin_jwt"}')),
  },
  {
    group: "duplicate keys",
    name: "payload jti real then not a UUID, TIM-signed",
    make: (ctx) => timResigned(ctx, (c) => json(c).replace(/}$/, ',"jti":"x"}')),
  },

  // size and nesting
  { group: "size", name: "forged: 20 KB claim", make: (ctx, k) => attackerSigned(ctx, k, "RS256", {}, forgedClaims(ctx, { pad: "x".repeat(20_000) })) },
  {
    group: "size",
    name: "forged: 60 KB claim (just under the body limit)",
    make: (ctx, k) => attackerSigned(ctx, k, "RS256", {}, forgedClaims(ctx, { pad: "x".repeat(44_000) })),
  },
  {
    group: "size",
    name: "forged: 100 KB token (over the body limit)",
    make: (ctx, k) => attackerSigned(ctx, k, "RS256", {}, forgedClaims(ctx, { pad: "x".repeat(75_000) })),
  },
  {
    group: "size",
    name: "forged: 5 000 claims",
    make: (ctx, k) => attackerSigned(ctx, k, "RS256", {}, forgedClaims(ctx, Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`c${i}`, i])))),
  },
  { group: "size", name: "forged: 16 KB header", make: (ctx, k) => attackerSigned(ctx, k, "RS256", { pad: "h".repeat(16_000) }) },
  {
    group: "nesting",
    name: "forged: claims nested 1 000 deep",
    make: (ctx, k) => attackerSigned(ctx, k, "RS256", {}, forgedClaims(ctx, { deep: nested(1000) })),
  },
  {
    group: "nesting",
    name: "forged: claims nested 5 000 deep (raw)",
    make: (ctx, k) => attackerSigned(ctx, k, "RS256", {}, json(forgedClaims(ctx)).replace(/}$/, `,"deep":${"[".repeat(5000)}${"]".repeat(5000)}}`)),
  },
  { group: "nesting", name: "forged: header nested 2 000 deep", make: (ctx, k) => attackerSigned(ctx, k, "RS256", { deep: nested(2000) }) },

  // JWE and compact-form oddities
  {
    group: "JWE",
    name: "JWE compact encrypted to TIM's public key",
    make: async (ctx) => {
      const claims = new TextEncoder().encode(json(forgedClaims(ctx)));
      if (ctx.tim.jwk.kty !== "RSA") return `${b64u(json({ alg: "dir", enc: "A256GCM" }))}..${b64u("iv")}.${b64u(claims)}.${b64u("tag")}`;
      const key = await importJWK({ ...ctx.tim.jwk, alg: "RSA-OAEP-256", use: "enc" }, "RSA-OAEP-256");
      return new CompactEncrypt(claims).setProtectedHeader({ alg: "RSA-OAEP-256", enc: "A256GCM", kid: ctx.tim.kid, cty: "JWT" }).encrypt(key);
    },
  },
  {
    group: "JWE",
    name: "five parts, dir + empty key",
    make: async (ctx) => `${b64u(json({ alg: "dir", enc: "A128GCM", kid: ctx.tim.kid }))}..${b64u("iv")}.${b64u(json(forgedClaims(ctx)))}.${b64u("tag")}`,
  },
  { group: "JWE", name: "a real token with two extra parts", make: async (ctx) => `${await ctx.fresh()}.AAAA.BBBB` },
  { group: "compact form", name: "leading space", make: async (ctx) => ` ${await ctx.fresh()}` },
  { group: "compact form", name: "trailing newline", make: async (ctx) => `${await ctx.fresh()}\n` },
  { group: "compact form", name: "space inside", make: async (ctx) => (await ctx.fresh()).replace(".", ". ") },
  { group: "compact form", name: "Bearer prefix", make: async (ctx) => `Bearer ${await ctx.fresh()}` },
  { group: "compact form", name: "wrapped in quotes", make: async (ctx) => `"${await ctx.fresh()}"` },
  {
    group: "compact form",
    name: "'=' padding on every part",
    make: async (ctx) =>
      (await ctx.fresh())
        .split(".")
        .map((p) => `${p}==`)
        .join("."),
  },
  { group: "compact form", name: "signature in standard base64 (+/)", make: (ctx) => withSignature(ctx, (s) => std(s).replace(/=+$/, "")) },
  {
    group: "compact form",
    name: "header in standard base64 with padding",
    make: async (ctx) => {
      const [h, p, s] = parts(await ctx.fresh());
      return `${std(h)}.${p}.${s}`;
    },
  },
  { group: "compact form", name: "four parts", make: async (ctx) => `${await ctx.fresh()}.x` },
  {
    group: "compact form",
    name: "two parts",
    make: async (ctx) =>
      parts(await ctx.fresh())
        .slice(0, 2)
        .join("."),
  },
  { group: "compact form", name: "only dots", make: async () => ".." },
  { group: "compact form", name: "fullwidth dots", make: async (ctx) => (await ctx.fresh()).replaceAll(".", "\uff0e") },
  { group: "compact form", name: "payload not JSON", make: async (ctx) => jws(timKey(ctx), timHeader(ctx), "not json") },
  { group: "compact form", name: "payload a JSON array", make: async (ctx) => jws(timKey(ctx), timHeader(ctx), json([forgedClaims(ctx)])) },
  { group: "compact form", name: "header not JSON", make: async (ctx) => jws(timKey(ctx), "{alg:RS256}", forgedClaims(ctx)) },
  { group: "compact form", name: "NUL inside the token", make: async (ctx) => (await ctx.fresh()).replace(".", ".\u0000") },

  // cross-kind
  { group: "cross-kind", name: "real TARA token at custom-only endpoints", make: async (ctx) => ctx.tara, endpoints: ["extend", "revoke"] },
  // RFC 7009 /revoke by an API client: TARA sessions are ended by their owner or an administrator (issue 12 §3).
  { group: "cross-kind", name: "real TARA token at RFC 7009 /revoke by an API client", make: async (ctx) => ctx.tara, endpoints: ["rfc7009Revoke"] },
  { group: "cross-kind", name: "real custom token at /jwt/tara/extend", make: (ctx) => ctx.fresh(), endpoints: ["taraExtend"] },
  {
    group: "cross-kind",
    name: "TARA token's claims re-signed as custom_jwt (no custom row)",
    make: async (ctx) => jws(timKey(ctx), timHeader(ctx), { ...payloadOf(ctx.tara), token_type: "custom_jwt" }),
  },
  {
    group: "cross-kind",
    name: "custom token's claims re-signed as tara_jwt (no TARA row)",
    make: (ctx) => timResigned(ctx, (c) => ({ ...c, token_type: "tara_jwt" })),
  },
  { group: "cross-kind", name: "TIM-signed: token_type unknown", make: (ctx) => timResigned(ctx, (c) => ({ ...c, token_type: "admin_jwt" })) },
  { group: "cross-kind", name: "TIM-signed: token_type missing", make: (ctx) => timResigned(ctx, ({ token_type: _t, ...c }) => c) },
  { group: "cross-kind", name: "TIM-signed: token_type as an array", make: (ctx) => timResigned(ctx, (c) => ({ ...c, token_type: ["custom_jwt"] })) },
  {
    group: "cross-kind",
    name: "tampered: TARA token's token_type changed",
    make: async (ctx) => {
      const [h, p, s] = parts(ctx.tara);
      const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
      return `${h}.${b64u(json({ ...claims, token_type: "custom_jwt" }))}.${s}`;
    },
  },
  {
    group: "cross-kind",
    name: "forged TARA token with TIM's kid",
    make: (ctx, k) => attackerSigned(ctx, k, "RS256", {}, forgedClaims(ctx, { token_type: "tara_jwt", sid: randomUUID(), amr: ["mID"], acr: "high" })),
  },
];
