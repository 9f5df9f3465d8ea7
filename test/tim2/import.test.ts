import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { SignJWT, exportPKCS8, exportSPKI, generateKeyPair, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { foldTokenChanges } from "@/lib/audit/fold-token-changes";
import { config, resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import type { SqlSession } from "@/lib/db/sql-session";
import { importTim2, IMPORT_AUDIT_ACTION, type ImportSummary } from "@/lib/migration-tim2/import-tim2";
import { readSigningKey } from "@/lib/migration-tim2/read-signing-key";
import { searchTokens } from "@/lib/reporting/search";
import { tokenDetail } from "@/lib/reporting/token-detail";
import { runRetention } from "@/lib/retention/run";
import { startTestRunner } from "@/test/jobs/support";
import { startTestServer, type TestServer } from "@/test/support/http";
import { createScratchDb, onPostgres, type ScratchDb } from "@/test/support/scratch-db";
import { call, newClient, type TestClient } from "@/test/tokens/helpers";

/**
 * TIM 2.0's schema as its db/init.sql creates it (github:Buerostack/TIM): custom JWTs in custom_jwt.*,
 * its auth side in auth.*; timestamps without time zone; jwt_metadata keyed by id, jwt_uuid not unique.
 */
const TIM2_INIT_SQL = `
CREATE SCHEMA IF NOT EXISTS custom_jwt;
CREATE SCHEMA IF NOT EXISTS auth;
CREATE TABLE custom_jwt.denylist (
  jwt_uuid uuid PRIMARY KEY, created_at timestamp NOT NULL DEFAULT now(), denylisted_at timestamp NOT NULL DEFAULT now(),
  expires_at timestamp NOT NULL, reason text);
CREATE INDEX idx_custom_jwt_denylist_exp ON custom_jwt.denylist (expires_at);
CREATE TABLE custom_jwt.jwt_metadata (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), jwt_uuid uuid NOT NULL, created_at timestamp NOT NULL DEFAULT now(),
  claim_keys text NOT NULL, issued_at timestamp NOT NULL, expires_at timestamp NOT NULL, subject text, jwt_name text,
  audience text, issuer text, supersedes uuid, original_jwt_uuid uuid NOT NULL);
CREATE INDEX idx_custom_jwt_metadata_jwt_uuid ON custom_jwt.jwt_metadata (jwt_uuid, created_at DESC);
CREATE TABLE auth.denylist (
  jwt_uuid uuid PRIMARY KEY, created_at timestamp NOT NULL DEFAULT now(), denylisted_at timestamp NOT NULL DEFAULT now(),
  expires_at timestamp NOT NULL, reason text);
CREATE TABLE auth.jwt_metadata (
  jwt_uuid uuid PRIMARY KEY, created_at timestamp NOT NULL DEFAULT now(), claim_keys text NOT NULL,
  issued_at timestamp NOT NULL, expires_at timestamp NOT NULL);
CREATE TABLE auth.oauth_state (state text PRIMARY KEY, created_at timestamp NOT NULL DEFAULT now(), pkce_verifier text);
`;

const ROWS = 3_000;
const BATCH = 500;

/** A `timestamp without time zone` value in UTC, as TIM 2.0 (JVM in UTC) writes an Instant. */
const ts = (seconds: number) => new Date(seconds * 1000).toISOString().replace("Z", "");

type Tim2Token = { token: string; jti: string; id: string; iat: number; exp: number; sub: string };

/**
 * Signs as TIM 2.0's JwtSignerService.sign(identity, iss, audiences, ttl) does with CustomJwtService.generate's
 * claims: RS256, header {alg, kid: "jwtsign"} (Nimbus adds no typ), iss, iat, exp, a random jti, aud (a one-element
 * list serialises as a string), the caller's claims and token_type "custom_jwt".
 */
async function signAsTim2(key: CryptoKey, claims: Record<string, unknown>, ttlSeconds: number, iat = Math.floor(Date.now() / 1000)) {
  const jti = randomUUID();
  const token = await new SignJWT({ ...claims, token_type: "custom_jwt", iss: "TIM", aud: "payment-service", iat, exp: iat + ttlSeconds, jti })
    .setProtectedHeader({ alg: "RS256", kid: "jwtsign" })
    .sign(key);
  return { token, jti, iat, exp: iat + ttlSeconds };
}

let server: TestServer;
let client: TestClient;
let sourceDb: ScratchDb;
let source: SqlSession;
let keyFile: string;
let dir: string;
const live: Tim2Token[] = [];
let revoked: Tim2Token;
let chainRoot: Tim2Token;
let chainHead: Tim2Token;
const expiredJtis: string[] = [];
const url = (p: string) => `${server.url}${p}`;

type MetaRow = Record<string, unknown>;

async function insertMetadata(rows: MetaRow[]) {
  await source.query(
    `INSERT INTO custom_jwt.jwt_metadata (id, jwt_uuid, created_at, claim_keys, issued_at, expires_at, subject, jwt_name, audience, issuer, supersedes, original_jwt_uuid)
     SELECT id, jwt_uuid, created_at, claim_keys, issued_at, expires_at, subject, jwt_name, audience, issuer, supersedes, original_jwt_uuid
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, jwt_uuid uuid, created_at timestamp, claim_keys text, issued_at timestamp,
            expires_at timestamp, subject text, jwt_name text, audience text, issuer text, supersedes uuid, original_jwt_uuid uuid)`,
    [JSON.stringify(rows)],
  );
}

const metaOf = (t: { jti: string; iat: number; exp: number }, extra: MetaRow = {}): MetaRow & { id: string } => ({
  id: randomUUID(),
  jwt_uuid: t.jti,
  created_at: ts(t.iat),
  claim_keys: "sub,role",
  issued_at: ts(t.iat),
  expires_at: ts(t.exp),
  subject: "EE38001085718",
  jwt_name: "PAYMENT",
  audience: "payment-service",
  issuer: "TIM",
  supersedes: null,
  original_jwt_uuid: t.jti,
  ...extra,
});

const run = (extra: Partial<Parameters<typeof importTim2>[0]> = {}) =>
  importTim2({ source, sourceName: "tim2-test:5432/tim", batchSize: BATCH, key: readSigningKey(keyFile), clientId: client.clientId, ...extra });

async function timCounts() {
  const prisma = await db();
  const [custom, tara, customDenied, taraDenied, keys, audits, progress] = await Promise.all([
    prisma.customJwtMetadata.count({ where: { importedFrom: "tim2" } }),
    prisma.taraJwtMetadata.count({ where: { importedFrom: "tim2" } }),
    prisma.customDenylist.count({ where: { revokedBy: "import:tim2" } }),
    prisma.taraDenylist.count({ where: { revokedBy: "import:tim2" } }),
    prisma.signingKey.count({ where: { kid: "jwtsign" } }),
    prisma.audit.count({ where: { action: IMPORT_AUDIT_ACTION } }),
    prisma.tim2ImportProgress.count(),
  ]);
  return { custom, tara, customDenied, taraDenied, keys, audits, progress };
}

beforeAll(async () => {
  // On PGlite this file has its database to itself: keys are sealed with a secret of its own. (On PostgreSQL the test
  // files share one database, whose signing key the others must still open: the run's own setting applies.)
  if (!onPostgres) {
    process.env.TIM_KEY_ENCRYPTION_SECRET = "tim2-import-test-secret-0123456789";
    resetConfig();
  }
  server = await startTestServer();
  client = await newClient();
  sourceDb = await createScratchDb();
  source = await sourceDb.session();
  await source.exec(TIM2_INIT_SQL);

  dir = mkdtempSync(path.join(tmpdir(), "tim2-key-"));
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  keyFile = path.join(dir, "jwtsign.pem");
  writeFileSync(keyFile, await exportPKCS8(privateKey));

  const now = Math.floor(Date.now() / 1000);
  const rows: MetaRow[] = [];
  // Live tokens, a few of them kept to present to TIM.
  for (let i = 0; i < ROWS - 10; i++) {
    const t = await signAsTim2(privateKey, { sub: `EE${38001085718 + i}`, role: "payer" }, 3_600 + i);
    const row = metaOf(t, { subject: `EE${38001085718 + i}` });
    rows.push(row);
    if (i < 3) live.push({ ...t, id: row.id, sub: String(row.subject) });
  }
  // Revoked in TIM 2.0 (its denylist).
  const r = await signAsTim2(privateKey, { sub: "EE60001017716", role: "payer" }, 7_200);
  const rRow = metaOf(r);
  rows.push(rRow);
  revoked = { ...r, id: rRow.id, sub: "EE60001017716" };
  // An extension chain as CustomJwtService.extend writes it: a new row (supersedes = the old row's id, same original),
  // the old token on the denylist without a reason.
  const a = await signAsTim2(privateKey, { sub: "EE47101010033", role: "admin" }, 600, now - 300);
  const aRow = metaOf(a, { subject: "EE47101010033" });
  const b = await signAsTim2(privateKey, { sub: "EE47101010033", role: "admin" }, 3_600);
  const bRow = metaOf(b, { subject: "EE47101010033", supersedes: aRow.id, original_jwt_uuid: a.jti, jwt_name: null });
  rows.push(aRow, bRow);
  chainRoot = { ...a, id: aRow.id, sub: "EE47101010033" };
  chainHead = { ...b, id: bRow.id, sub: "EE47101010033" };
  // Expired long ago, past TIM's retention (30 days by default).
  for (let i = 0; i < 4; i++) {
    const jti = randomUUID();
    expiredJtis.push(jti);
    rows.push(metaOf({ jti, iat: now - 86_400 * 61, exp: now - 86_400 * 60 }));
  }
  // TIM 2.0 keeps versions by id: the same jwt_uuid twice (TIM keeps one row per token).
  rows.push({ ...metaOf({ jti: live[0].jti, iat: live[0].iat, exp: live[0].exp }), created_at: ts(live[0].iat + 1) });
  // A row TIM cannot hold: no positive lifetime.
  rows.push(metaOf({ jti: randomUUID(), iat: now, exp: now }));
  await insertMetadata(rows);
  await source.query(
    `INSERT INTO custom_jwt.denylist (jwt_uuid, denylisted_at, expires_at, reason) VALUES
       ($1, $2::timestamp, $3::timestamp, 'security_incident'), ($4, $5::timestamp, $6::timestamp, NULL)`,
    [revoked.jti, ts(now - 60), ts(revoked.exp), chainRoot.jti, ts(chainHead.iat), ts(chainRoot.exp)],
  );
  // TIM 2.0's auth side: metadata without subject or chain, one revoked.
  const authJtis = [randomUUID(), randomUUID(), randomUUID()];
  for (const jti of authJtis) {
    await source.query(
      `INSERT INTO auth.jwt_metadata (jwt_uuid, claim_keys, issued_at, expires_at) VALUES ($1, 'sub,given_name', $2::timestamp, $3::timestamp)`,
      [jti, ts(now - 100), ts(now + 3_500)],
    );
  }
  await source.query(`INSERT INTO auth.denylist (jwt_uuid, expires_at, reason) VALUES ($1, $2::timestamp, 'logout')`, [authJtis[0], ts(now + 3_500)]);
});

afterAll(async () => {
  await source?.release();
  await sourceDb?.drop();
  await server?.close();
});

describe("npm run import:tim2 (lib/migration-tim2)", () => {
  let first: ImportSummary;
  let final: ImportSummary;

  it("--dry-run reads and checks everything and writes nothing", async () => {
    const before = await timCounts();
    const dry = await run({ dryRun: true });
    expect(dry.finished).toBe(true);
    // metadata: ROWS - 1 rows (live, revoked, chain, expired, duplicate, zero lifetime); denylists 2 + 1; auth metadata 3
    expect(dry.totals.read).toBe(ROWS - 1 + 3 + 3);
    expect(dry.key).toMatchObject({ kid: "jwtsign", outcome: "would_import" });
    expect(await timCounts()).toEqual(before);
    expect(before).toMatchObject({ custom: 0, keys: 0, audits: 0, progress: 0 });
  });

  it("an interrupted run stops after a batch and the next run continues there; one audit entry", async () => {
    const stop = new AbortController();
    let batches = 0;
    first = await run({
      signal: stop.signal,
      onProgress: (p) => {
        if (p.table === "custom_jwt.jwt_metadata" && p.done > 0 && ++batches === 2) stop.abort();
      },
    });
    expect(first.finished).toBe(false);
    const midway = await timCounts();
    // denylists come first: what TIM 2.0 revoked is revoked in TIM before any of its tokens is there
    expect(midway).toMatchObject({ customDenied: 2, taraDenied: 1, keys: 0, audits: 0 });
    // two batches of the metadata table (less the rows skipped in them)
    expect(midway.custom).toBeGreaterThanOrEqual(2 * BATCH - 2);
    expect(midway.custom).toBeLessThanOrEqual(2 * BATCH);
    expect(midway.progress).toBeGreaterThan(0);

    final = await run();
    expect(final.finished).toBe(true);
    expect(final.resumed).toBe(true);
    const metadata = final.tables.find((t) => t.table === "custom_jwt.jwt_metadata")!;
    // every source row read once over both runs; the duplicate jwt_uuid and the zero-lifetime row skipped
    expect(metadata.counts.read).toBe(ROWS - 10 + 1 + 2 + 4 + 1 + 1);
    expect(metadata.counts.imported).toBe(ROWS - 10 + 1 + 2 + 4);
    expect(metadata.counts.skipped).toEqual({ conflict: 1, no_positive_lifetime: 1 });
    expect(final.key).toMatchObject({ kid: "jwtsign", outcome: "imported" });
    expect(await timCounts()).toMatchObject({ custom: ROWS - 3, tara: 3, customDenied: 2, taraDenied: 1, keys: 1, audits: 1, progress: 0 });
    const prisma = await db();
    const audit = await prisma.audit.findFirstOrThrow({ where: { action: IMPORT_AUDIT_ACTION } });
    expect(audit.counts).toMatchObject({ read: final.totals.read, imported: final.totals.imported });
    const rate = final.totals.read / final.seconds;
    console.log(`import:tim2 rate (resumed run): ${Math.round(rate)} rows/s`);
  });

  it("imported rows are marked: no claims, no token hash, imported_from tim2; the key is retired and verify-only", async () => {
    const prisma = await db();
    const row = await prisma.customJwtMetadata.findUniqueOrThrow({ where: { jwtUuid: chainHead.jti } });
    expect(row).toMatchObject({
      id: chainHead.id,
      claimsJson: null,
      tokenHash: null,
      importedFrom: "tim2",
      supersedes: chainRoot.id,
      originalJwtUuid: chainRoot.jti,
      clientId: client.clientId,
      issuer: "TIM",
    });
    expect(row.issuedAt.getTime()).toBe(chainHead.iat * 1000);
    const tara = await prisma.taraJwtMetadata.findFirstOrThrow({ where: { importedFrom: "tim2" } });
    expect(tara).toMatchObject({ originalJwtUuid: tara.jwtUuid, tokenType: "tara_jwt", claimsJson: null });
    const key = await prisma.signingKey.findUniqueOrThrow({ where: { kid: "jwtsign" } });
    // kept as TIM keeps its own keys: encrypted at rest with TIM_KEY_ENCRYPTION_SECRET (a compact JWE)
    const sealed = Boolean(config().TIM_KEY_ENCRYPTION_SECRET);
    expect(sealed || onPostgres).toBe(true);
    expect(key).toMatchObject({ alg: "RS256", status: "retired", privateKeyEncrypted: sealed, activatedAt: null });
    if (sealed) {
      expect(key.privateKey!.split(".")).toHaveLength(5);
      expect(key.privateKey).not.toContain('"d"');
    }
    expect(key.lastTokenExpiresAt!.getTime()).toBeGreaterThanOrEqual(live[0].exp * 1000);
    // revocations and extensions TIM 2.0 made are not folded into the trail as if TIM had made them now
    await foldTokenChanges();
    const mentions = await prisma.$queryRaw<Array<{ n: number }>>`
      SELECT count(*)::int AS n FROM tim.audit WHERE target::text LIKE ${`%${chainRoot.jti}%`}`;
    expect(mentions[0].n).toBe(0);
    // the console's token page: claims not recorded (null), the marker with the metadata
    const detail = await tokenDetail(chainHead.jti);
    expect(detail).toMatchObject({ claims: null, metadata: { importedFrom: "tim2", claimKeys: "sub,role" } });
    expect(detail!.chain.chain.map((v) => v.jwt_uuid)).toEqual([chainRoot.jti, chainHead.jti]);
    // search and export show the marker
    const page = await searchTokens({ subject: chainHead.sub } as never, { limit: 10, sort: "issued_at", order: "desc" } as never);
    expect(page.items.map((i) => i.imported_from)).toEqual(["tim2", "tim2"]);
    // a TIM token is issued with claims and hash as before: the CHECK holds rows without a marker to both
    await expect(
      prisma.$executeRaw`INSERT INTO custom.jwt_metadata (jwt_uuid, claim_keys, issued_at, expires_at, original_jwt_uuid)
                         VALUES (gen_random_uuid(), 'sub', now(), now() + interval '1 hour', gen_random_uuid())`,
    ).rejects.toThrow();
  });

  it("TIM 2.0's tokens validate and introspect active; revoked ones (its denylist) stay revoked", async () => {
    const ok = await call(url("/jwt/custom/validate"), { json: { token: live[1].token }, auth: client.basic });
    expect(ok.body.reason).toBe("Valid");
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ valid: true, subject: live[1].sub, jwt_id: live[1].jti });
    const intro = await call(url("/introspect"), { form: { token: live[1].token }, auth: client.basic });
    expect(intro.body).toMatchObject({ active: true, jti: live[1].jti, jwt_name: "PAYMENT", original_jwt_uuid: live[1].jti, extension_count: 0 });

    const bad = await call(url("/jwt/custom/validate"), { json: { token: revoked.token }, auth: client.basic });
    expect(bad.status).toBe(401);
    expect(bad.body.reason).toBe("Token revoked");
    expect((await call(url("/introspect"), { form: { token: revoked.token }, auth: client.basic })).body).toEqual({ active: false });
    // the extended-away version of the chain is revoked, its successor active with the chain TIM 2.0 recorded
    expect((await call(url("/introspect"), { form: { token: chainRoot.token }, auth: client.basic })).body).toEqual({ active: false });
    expect((await call(url("/introspect"), { form: { token: chainHead.token }, auth: client.basic })).body).toMatchObject({
      active: true,
      original_jwt_uuid: chainRoot.jti,
      supersedes: chainRoot.id,
      extension_count: 1,
    });
  });

  it("TIM 2.0's tokens extend (a TIM token chained to the old one) and revoke", async () => {
    const res = await call(url("/jwt/custom/extend"), { json: { token: chainHead.token, expirationInMinutes: 30 }, auth: client.basic });
    expect(res.status).toBe(200);
    const token = res.body.token as string;
    const intro = await call(url("/introspect"), { form: { token }, auth: client.basic });
    expect(intro.body).toMatchObject({
      active: true,
      sub: chainHead.sub,
      role: "admin",
      original_jwt_uuid: chainRoot.jti,
      supersedes: chainHead.id,
      extension_count: 2,
    });
    expect(JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString()).kid).not.toBe("jwtsign");
    const prisma = await db();
    const extended = await prisma.customJwtMetadata.findUniqueOrThrow({ where: { jwtUuid: intro.body.jti as string } });
    expect(extended.importedFrom).toBeNull();
    expect(extended.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect((await call(url("/introspect"), { form: { token: chainHead.token }, auth: client.basic })).body).toEqual({ active: false });

    const revokedNow = await call(url("/jwt/custom/revoke"), { json: { token: live[2].token, reason: "migrated" }, auth: client.basic });
    expect(revokedNow.status).toBe(200);
    expect((await call(url("/introspect"), { form: { token: live[2].token }, auth: client.basic })).body).toEqual({ active: false });
  });

  it("a second run imports nothing new", async () => {
    const before = await timCounts();
    const again = await run();
    expect(again.finished).toBe(true);
    expect(again.resumed).toBe(false);
    expect(again.totals.imported).toBe(0);
    expect(again.totals.read).toBe(final.totals.read);
    // the interrupted and the resumed run read each source row once between them
    expect(final.tables.map((t) => t.counts.read)).toEqual(again.tables.map((t) => t.counts.read));
    expect(again.key).toMatchObject({ outcome: "present" });
    expect(await timCounts()).toEqual({ ...before, audits: before.audits + 1 });
  });

  it("one import at a time: a second one at once is refused (409 import_running), also from another process on PostgreSQL", async () => {
    const before = await timCounts();
    const [first, second] = await Promise.allSettled([run(), run()]);
    expect(first.status).toBe("fulfilled");
    expect(second).toMatchObject({ status: "rejected", reason: { code: "import_running", status: 409 } });
    expect(await timCounts()).toEqual({ ...before, audits: before.audits + 1 });
    if (onPostgres) {
      // another process's import holds the lock on a session of its own
      const other = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await other.connect();
      try {
        await other.query("SELECT pg_advisory_lock(hashtext('tim.import_tim2'))");
        await expect(run()).rejects.toMatchObject({ code: "import_running" });
      } finally {
        await other.end();
      }
    }
    // the lock went with the run: the next one runs
    await expect(run()).resolves.toMatchObject({ finished: true });
  });

  it("retention archives imported rows like any other, and a later run does not bring them back", async () => {
    const runner = await startTestRunner();
    try {
      await runRetention({ trigger: "manual", requestedBy: "test" });
    } finally {
      await runner.stop();
    }
    const prisma = await db();
    const archived = await prisma.customJwtMetadataArchive.findMany({ where: { jwtUuid: { in: expiredJtis } } });
    expect(archived).toHaveLength(4);
    for (const a of archived) expect(a).toMatchObject({ importedFrom: "tim2", claimsJson: null, tokenHash: null, useCount: 0 });
    expect(await prisma.customJwtMetadata.count({ where: { jwtUuid: { in: expiredJtis } } })).toBe(0);
    const again = await run();
    expect(again.totals.imported).toBe(0);
    expect(await prisma.customJwtMetadata.count({ where: { jwtUuid: { in: expiredJtis } } })).toBe(0);
  });

  it("the seeds' schema variant (custom.jwt_metadata with four columns, custom.denylist) imports too", async () => {
    const other = await createScratchDb();
    const s = await other.session();
    try {
      await s.exec(`CREATE SCHEMA custom;
        CREATE TABLE custom.jwt_metadata (jwt_uuid uuid PRIMARY KEY, claim_keys text NOT NULL, issued_at timestamp NOT NULL, expires_at timestamp NOT NULL);
        CREATE TABLE custom.denylist (jwt_uuid uuid PRIMARY KEY, denylisted_at timestamp NOT NULL DEFAULT now(), expires_at timestamp NOT NULL, reason text);`);
      const now = Math.floor(Date.now() / 1000);
      const jtis = [randomUUID(), randomUUID()];
      for (const jti of jtis)
        await s.query(`INSERT INTO custom.jwt_metadata VALUES ($1, 'sub,role', $2::timestamp, $3::timestamp)`, [jti, ts(now), ts(now + 60)]);
      await s.query(`INSERT INTO custom.denylist (jwt_uuid, expires_at, reason) VALUES ($1, $2::timestamp, 'user_logout')`, [jtis[1], ts(now + 60)]);
      const result = await importTim2({ source: s, sourceName: "seeds:5432/tim" });
      expect(result.tables.map((t) => [t.table, t.counts.imported])).toEqual([
        ["custom.denylist", 1],
        ["custom.jwt_metadata", 2],
      ]);
      const prisma = await db();
      const row = await prisma.customJwtMetadata.findUniqueOrThrow({ where: { jwtUuid: jtis[0] } });
      expect(row).toMatchObject({ originalJwtUuid: jtis[0], subject: null, importedFrom: "tim2", clientId: null });
      expect(row.createdAt).toEqual(row.issuedAt);
    } finally {
      await s.release();
      await other.drop();
    }
  });

  it("refuses a TIM database as the source", async () => {
    const other = await createScratchDb();
    const s = await other.session();
    try {
      await s.exec(
        `CREATE SCHEMA custom; CREATE TABLE custom.jwt_metadata (jwt_uuid uuid, claim_keys text, issued_at timestamptz, expires_at timestamptz, token_hash text);`,
      );
      await expect(importTim2({ source: s, sourceName: "tim:5432/tim" })).rejects.toThrow(/is a TIM database/);
    } finally {
      await s.release();
      await other.drop();
    }
  });
});

describe("TIM 2.0's signing key files", () => {
  const keytool = (() => {
    try {
      execFileSync("keytool", ["-help"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();

  it("a PEM public key or TIM 2.0's JWKS is enough to verify (no private key kept)", async () => {
    const { publicKey } = await generateKeyPair("RS256", { extractable: true });
    const d = mkdtempSync(path.join(tmpdir(), "tim2-pub-"));
    writeFileSync(path.join(d, "pub.pem"), await exportSPKI(publicKey));
    const pem = readSigningKey(path.join(d, "pub.pem"));
    expect(pem).toMatchObject({ kid: "jwtsign", alg: "RS256" });
    expect(pem.privateJwk).toBeUndefined();
    writeFileSync(path.join(d, "jwks.json"), JSON.stringify({ keys: [{ ...pem.publicJwk, kid: "jwtsign", use: "sig" }] }));
    expect(readSigningKey(path.join(d, "jwks.json")).publicJwk).toEqual(pem.publicJwk);
  });

  // TIM 2.0's entrypoint.sh makes its key with keytool (a PKCS#12 file named .jks on Java 9+); older ones are JKS.
  it.runIf(keytool)("TIM 2.0's keystore as its entrypoint makes it (PKCS#12) and a JKS one: entry jwtsign, kid jwtsign", () => {
    const d = mkdtempSync(path.join(tmpdir(), "tim2-ks-"));
    for (const type of ["PKCS12", "JKS"]) {
      const file = path.join(d, `${type}.jks`);
      execFileSync(
        "keytool",
        [
          "-genkeypair",
          "-alias",
          "jwtsign",
          "-keyalg",
          "RSA",
          "-keysize",
          "2048",
          "-keystore",
          file,
          "-storetype",
          type,
          "-storepass",
          "changeme",
          "-keypass",
          "changeme",
          "-dname",
          "CN=demo, OU=, O=, L=, ST=, C=",
          "-validity",
          "3650",
        ],
        { stdio: "ignore" },
      );
      const key = readSigningKey(file, { password: "changeme" });
      expect(key).toMatchObject({ kid: "jwtsign", alg: "RS256" });
      expect(key.privateJwk?.n).toBe(key.publicJwk.n);
      expect(() => readSigningKey(file, { password: "wrong" })).toThrow(/Cannot open the keystore/);
      expect(() => readSigningKey(file)).toThrow(/give its password/);
    }
  });
});

describe("the command line", () => {
  const cli = (args: string[], env: Record<string, string | undefined>) => {
    try {
      const stdout = execFileSync("npx", ["tsx", "scripts/import-tim2.ts", ...args], {
        env: { ...process.env, DATABASE_URL: undefined, ...env } as NodeJS.ProcessEnv,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      return { code: 0, out: stdout };
    } catch (err) {
      const e = err as { status: number; stdout: string; stderr: string };
      return { code: e.status, out: `${e.stdout}${e.stderr}` };
    }
  };

  it("refuses an embedded database another process holds, naming it", () => {
    const d = mkdtempSync(path.join(tmpdir(), "tim2-lock-"));
    const dataDir = path.join(d, "pglite");
    // held by this (live) test process, as a running `npm start` holds it
    writeFileSync(`${dataDir}.lock`, JSON.stringify({ pid: process.pid, started: new Date().toISOString(), command: "tim start" }));
    const res = cli(["--from", "postgres://tim@127.0.0.1:1/tim"], { TIM_PGLITE_DIR: dataDir });
    expect(res.code).toBe(1);
    expect(res.out).toContain(`The embedded database in ${dataDir} is in use by process ${process.pid} (tim start`);
  }, 120_000);

  // The TIM 2.0 side by URL needs a PostgreSQL server: on a PGlite run the use case is tested above through a session.
  it.runIf(onPostgres)(
    "imports from a TIM 2.0 database by URL: a dry run, a run, and the summary",
    async () => {
      const admin = new pg.Client({ connectionString: process.env.TIM_TEST_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL });
      await admin.connect();
      const name = `tim2_cli_${Date.now()}`;
      await admin.query(`CREATE DATABASE ${name}`);
      const from = new URL(process.env.TIM_TEST_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL!);
      from.pathname = `/${name}`;
      const tim2 = new pg.Client({ connectionString: from.toString() });
      try {
        await tim2.connect();
        await tim2.query(TIM2_INIT_SQL);
        const now = Math.floor(Date.now() / 1000);
        await tim2.query(
          `INSERT INTO custom_jwt.jwt_metadata (jwt_uuid, claim_keys, issued_at, expires_at, issuer, original_jwt_uuid)
         SELECT u, 'sub', $1::timestamp, $2::timestamp, 'TIM-PROD', u FROM (SELECT gen_random_uuid() AS u FROM generate_series(1, 5)) s`,
          [ts(now), ts(now + 600)],
        );
        const env = { DATABASE_URL: process.env.DATABASE_URL };
        const dry = cli(["--from", from.toString(), "--dry-run"], env);
        expect(dry.code).toBe(0);
        expect(dry.out).toContain("(dry run: nothing written)");
        expect(dry.out).toMatch(/custom_jwt\.jwt_metadata\s+read 5, would import 5/);
        const done = cli(["--from", from.toString()], env);
        expect(done.code).toBe(0);
        expect(done.out).toMatch(/custom_jwt\.jwt_metadata\s+read 5, imported 5/);
        expect(done.out).toContain('WARNING: 5 live tokens have issuer "TIM-PROD", not TIM_ISSUER');
        expect(cli(["--from", from.toString()], env).out).toMatch(/read 5, imported 0, skipped 5 already_imported/);
      } finally {
        await tim2.end();
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      }
    },
    240_000,
  );

  it("says what it needs when the arguments are wrong", () => {
    expect(cli([], {})).toMatchObject({ code: 2, out: expect.stringContaining("--from is required") });
    expect(cli(["--from", "mysql://x/y"], {})).toMatchObject({ code: 2, out: expect.stringContaining("--from must be a PostgreSQL URL") });
  }, 120_000);
});
