import { describe, expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { extendToken } from "@/lib/tokens/extend";
import { insertTokenRow } from "@/test/support/token-row";
import { useApi } from "@/test/support/use-api";
import { call, claimsOf, expiredCustomToken, forged, newClient, taraTokenFixture, unique } from "@/test/tokens/helpers";

const api = useApi({ maxLifetimeMinutes: 240 });
const url = api.url;

async function issue(extra: Record<string, unknown> = {}) {
  const res = await call(url("/jwt/custom/generate"), {
    json: {
      JWTName: "EXTEND_ME",
      content: { sub: unique("x"), role: "editor", scopes: ["a", "b"] },
      expirationInMinutes: 10,
      audience: ["svc-a", "svc-b"],
      ...extra,
    },
    auth: api.client.basic,
  });
  expect(res.status).toBe(200);
  return res.body.token as string;
}

const extend = (json: unknown, auth = api.client.basic) => call(url("/jwt/custom/extend"), { json, auth });
const chainOf = (root: string, auth = api.client.basic) => call(url(`/jwt/custom/extension-chain/${root}`), { auth });

describe("POST /jwt/custom/extend", () => {
  test("a new token with the same claims and audience, new jti; chain rows and the old token's revocation", async () => {
    const token = await issue();
    const old = claimsOf(token);
    const res = await extend({ token, expirationInMinutes: 120 });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["expiresAt", "name", "status", "token"]);
    expect(res.body).toMatchObject({ status: "extended", name: "EXTEND_ME" });
    const fresh = claimsOf(res.body.token);
    expect(fresh.jti).not.toBe(old.jti);
    expect(fresh.exp - fresh.iat).toBe(7200);
    expect(new Date(res.body.expiresAt).getTime()).toBe(fresh.exp * 1000);
    const { jti: _a, iat: _b, exp: _c, ...sameOld } = old;
    const { jti: _d, iat: _e, exp: _f, ...sameNew } = fresh;
    expect(sameNew).toEqual(sameOld);
    expect(fresh.aud).toEqual(["svc-a", "svc-b"]);

    const prisma = await db();
    const oldRow = await prisma.customJwtMetadata.findUniqueOrThrow({ where: { jwtUuid: old.jti } });
    const newRow = await prisma.customJwtMetadata.findUniqueOrThrow({ where: { jwtUuid: fresh.jti } });
    expect(newRow).toMatchObject({
      supersedes: oldRow.id,
      originalJwtUuid: old.jti,
      claimKeys: oldRow.claimKeys,
      jwtName: "EXTEND_ME",
      subject: old.sub,
      audience: "svc-a,svc-b",
      clientId: api.client.clientId,
    });
    expect(newRow.claimsJson).toEqual(fresh);
    const denied = await prisma.customDenylist.findUniqueOrThrow({ where: { jwtUuid: old.jti } });
    expect(denied).toMatchObject({ reason: "extended", revokedBy: `client:${api.client.clientId}` });
    expect(denied.expiresAt.getTime()).toBe(old.exp * 1000);

    const validateOld = await call(url("/jwt/custom/validate"), { json: { token }, auth: api.client.basic });
    expect(validateOld.body.reason).toBe("Token revoked");
    const validateNew = await call(url("/jwt/custom/validate"), { json: { token: res.body.token }, auth: api.client.basic });
    expect(validateNew.status).toBe(200);
  });

  test("expirationInMinutes defaults to 60", async () => {
    const res = await extend({ token: await issue() });
    const claims = claimsOf(res.body.token);
    expect(claims.exp - claims.iat).toBe(3600);
  });

  test("expired, revoked, already extended, forged or garbage → 401 extend_denied, nothing written", async () => {
    const { token: expired } = await expiredCustomToken(unique("ee"));
    const revoked = await issue();
    await call(url("/jwt/custom/revoke"), { json: { token: revoked }, auth: api.client.basic });
    const extended = await issue();
    expect((await extend({ token: extended })).status).toBe(200);
    // Revoked past TIM's code, as another instance would: this process may not have heard of it yet.
    const revokedElsewhere = await issue();
    await (await db()).customDenylist.create({
      data: { jwtUuid: claimsOf(revokedElsewhere).jti, expiresAt: new Date(Date.now() + 600_000), reason: "elsewhere" },
    });
    const cases: [string, string][] = [
      [expired, "Token expired"],
      [revoked, "Token revoked"],
      [revokedElsewhere, "Token revoked"],
      [extended, "Token revoked"],
      [forged(await issue()), "Invalid signature"],
      ["garbage", "Malformed token"],
      [(await taraTokenFixture()).token, "Wrong token type"],
    ];
    const prisma = await db();
    for (const [token, reason] of cases) {
      const res = await extend({ token });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: "extend_denied", reason });
      if (token.split(".").length === 3 && reason !== "Malformed token") {
        const jti = claimsOf(token).jti;
        expect(await prisma.customJwtMetadata.count({ where: { supersedes: { not: null }, originalJwtUuid: jti } })).toBe(token === extended ? 1 : 0);
      }
    }
  });

  test("bad lifetimes → 400; above the client's maximum → 400; credentials and scope required", async () => {
    const token = await issue();
    for (const expirationInMinutes of [0, -1, 2.5, "60"]) {
      expect((await extend({ token, expirationInMinutes })).status).toBe(400);
    }
    expect((await extend({ token, expirationInMinutes: 241 })).status).toBe(400);
    // Unknown fields are ignored as TIM 2.0 ignores them (test/tim2); a known one with a bad value is not.
    expect((await extend({ token, setCookie: "yes" })).status).toBe(400);
    expect((await call(url("/jwt/custom/extend"), { json: { token } })).status).toBe(401);
    const validator = await newClient({ scopes: ["tokens:validate"] });
    expect((await extend({ token }, validator.basic)).status).toBe(403);
    // none of the refused requests touched the token
    expect((await call(url("/jwt/custom/validate"), { json: { token }, auth: api.client.basic })).status).toBe(200);
  });

  test("concurrent extends of one token: exactly one wins, the others get 401 or 409, the chain stays linear", async () => {
    const token = await issue();
    const root = claimsOf(token).jti;
    const results = await Promise.all(Array.from({ length: 8 }, () => extend({ token, expirationInMinutes: 30 })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    for (const s of statuses.filter((s) => s !== 200)) expect([401, 409]).toContain(s);
    for (const r of results.filter((r) => r.status === 409)) expect(r.body.error).toBe("extend_conflict");
    for (const r of results.filter((r) => r.status === 401)) expect(r.body.reason).toBe("Token revoked");

    const prisma = await db();
    const rows = await prisma.customJwtMetadata.findMany({ where: { originalJwtUuid: root } });
    expect(rows).toHaveLength(2);
    const winner = results.find((r) => r.status === 200)!;
    expect(rows.find((r) => r.supersedes !== null)!.jwtUuid).toBe(claimsOf(winner.body.token).jti);
  });

  test("concurrent extends of different tokens commit together and each gets its own successor", async () => {
    const tokens = await Promise.all(Array.from({ length: 16 }, () => issue()));
    const results = await Promise.all(tokens.map((token) => extend({ token, expirationInMinutes: 30 })));
    expect(results.map((r) => r.status)).toEqual(tokens.map(() => 200));
    const prisma = await db();
    for (const [i, token] of tokens.entries()) {
      const old = claimsOf(token);
      const next = claimsOf(results[i].body.token);
      expect(next).toMatchObject({ sub: old.sub, role: "editor" });
      const row = await prisma.customJwtMetadata.findUniqueOrThrow({ where: { jwtUuid: next.jti } });
      const oldRow = await prisma.customJwtMetadata.findUniqueOrThrow({ where: { jwtUuid: old.jti } });
      expect(row).toMatchObject({ supersedes: oldRow.id, originalJwtUuid: old.jti, subject: old.sub });
    }
  });

  test("an extension that clashes on UNIQUE(supersedes) answers 409 alone; the others in its group succeed", async () => {
    const clashing = await issue();
    // A row already naming the token as its predecessor, written past the denylist (as by hand):
    // the extension passes the denylist gate and only UNIQUE(supersedes) stops it, failing the group's statement.
    const prisma = await db();
    const old = await prisma.customJwtMetadata.findUniqueOrThrow({ where: { jwtUuid: claimsOf(clashing).jti } });
    await insertTokenRow("custom", {
      claimKeys: old.claimKeys,
      issuedAt: old.issuedAt,
      expiresAt: old.expiresAt,
      subject: null,
      audience: null,
      issuer: null,
      originalJwtUuid: old.originalJwtUuid,
      claimsJson: {},
      supersedes: old.id,
    });
    const others = await Promise.all(Array.from({ length: 5 }, () => issue()));
    const results = await Promise.all([clashing, ...others].map((token) => extend({ token, expirationInMinutes: 30 })));
    expect(results.map((r) => r.status)).toEqual([409, 200, 200, 200, 200, 200]);
    expect(results[0].body.error).toBe("extend_conflict");
    expect(await prisma.customJwtMetadata.count({ where: { originalJwtUuid: claimsOf(clashing).jti } })).toBe(2);
  });

  test("concurrent extends through the library too (the TARA helper's path)", async () => {
    const tara = await taraTokenFixture({ allowlist: "live" });
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => extendToken("tara", { token: tara.token, lifetimeMinutes: 60 })));
    const won = outcomes.filter((o) => o.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const o of outcomes.filter((o) => o.status === "rejected")) {
      expect([401, 409]).toContain((o as PromiseRejectedResult).reason.status);
    }
    const prisma = await db();
    const rows = await prisma.taraJwtMetadata.findMany({ where: { originalJwtUuid: tara.jti } });
    expect(rows).toHaveLength(2);
    const successor = rows.find((r) => r.supersedes !== null)!;
    // TARA login details carried along; the allowlist place moved to the successor
    expect(successor).toMatchObject({ authMethod: "mID", levelOfAssurance: "high", sessionId: tara.payload.sid, subject: tara.sub });
    expect(await prisma.taraAllowlist.count({ where: { jwtUuid: tara.jti } })).toBe(0);
    expect(await prisma.taraAllowlist.count({ where: { jwtUuid: successor.jwtUuid } })).toBe(1);
    expect(await prisma.taraDenylist.findUnique({ where: { jwtUuid: tara.jti } })).toMatchObject({ reason: "extended" });
  });
});

describe("GET /jwt/custom/extension-chain/{originalJwtUuid}", () => {
  test("the whole chain oldest first with ids, links and statuses", async () => {
    let token = await issue();
    const root = claimsOf(token).jti;
    const jtis = [root];
    for (let i = 0; i < 3; i++) {
      const res = await extend({ token, expirationInMinutes: 20 });
      expect(res.status).toBe(200);
      token = res.body.token;
      jtis.push(claimsOf(token).jti);
    }
    const res = await chainOf(root);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ original_jwt_uuid: root, extension_count: 3, current_jwt_uuid: jtis[3] });
    const chain = res.body.chain as Record<string, any>[];
    expect(chain.map((e) => e.jwt_uuid)).toEqual(jtis);
    expect(chain.map((e) => e.status)).toEqual(["superseded", "superseded", "superseded", "active"]);
    expect(chain[0].supersedes).toBeNull();
    for (let i = 1; i < chain.length; i++) expect(chain[i].supersedes).toBe(chain[i - 1].id);
    for (const e of chain) {
      expect(Object.keys(e)).toEqual(expect.arrayContaining(["jwt_uuid", "id", "supersedes", "issued_at", "expires_at", "created_at", "status"]));
      expect(Date.parse(e.created_at)).not.toBeNaN();
    }
    expect(chain[0].revocation_reason).toBe("extended");
    expect(chain[3].revoked_at).toBeNull();
  });

  test("expired entries say expired", async () => {
    const { jti } = await expiredCustomToken(unique("chain"));
    const res = await chainOf(jti);
    expect(res.body.chain).toHaveLength(1);
    expect(res.body.chain[0].status).toBe("expired");
  });

  test("unknown chain → 404, not a UUID → 400, credentials required", async () => {
    expect((await chainOf("4b2bc14c-c234-4f63-a4dd-4522860d9b36")).status).toBe(404);
    expect((await chainOf("not-a-uuid")).status).toBe(400);
    // a malformed percent-escape in the path is bad input, never a 500
    expect((await chainOf("%E0%A4%A")).status).toBe(400);
    expect((await call(url("/jwt/custom/extension-chain/4b2bc14c-c234-4f63-a4dd-4522860d9b36"))).status).toBe(401);
  });
});
