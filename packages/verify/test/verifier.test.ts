import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { SignJWT, decodeJwt, generateKeyPair } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { config, resetConfig } from "@/lib/config/env";
import { deliverPushStreams } from "@/lib/ssf/push";
import { activateNextKey, prepareNextKey } from "@/lib/jwt/rotate-keys";
import { activeSigningKey } from "@/lib/jwt/keys";
import { signJwt } from "@/lib/jwt/sign";
import { SSF_EVENTS, VERIFICATION_EVENT } from "@/lib/ssf/events";
import { usePrivateDatabase } from "@/test/jwt/private-database";
import { startTestServer, type TestServer } from "@/test/support/http";
import { call, claimsOf, newClient, taraTokenFixture, type TestClient } from "@/test/tokens/helpers";
import { SESSION_REVOKED, TOKEN_REVOKED, VERIFICATION, createVerifier, type Verifier, type VerifierOptions } from "../src/index.js";
import { RevocationSet } from "../src/revocations.js";

/**
 * The verifier package against a real TIM over HTTP (its API route handlers on a loopback port):
 * JWKS, claims, revocations from an SSF poll stream, failing closed while TIM is away.
 * Key rotation changes the signing key: this file has a database of its own on PostgreSQL.
 */
usePrivateDatabase();

let tim: TestServer;
let port: number;
const url = (p: string) => `http://127.0.0.1:${port}${p}`;
/** Requests TIM received, by path (without query): what the verifiers ask of TIM. */
const seen = new Map<string, number>();
const count = (req: IncomingMessage) => {
  const p = (req.url ?? "/").split("?")[0];
  const key = p.startsWith("/ssf/poll/") ? "/ssf/poll" : p;
  seen.set(key, (seen.get(key) ?? 0) + 1);
};
/** Every request TIM received but polls. */
const nonPollRequests = () => [...seen].filter(([p]) => p !== "/ssf/poll").reduce((n, [, c]) => n + c, 0);

let receiver: TestClient;
let issuer: TestClient;
const verifiers: Verifier[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function options(overrides: Partial<VerifierOptions> = {}): VerifierOptions {
  return {
    issuer: config().TIM_ISSUER,
    jwksUrl: url("/jwt/keys/public"),
    audience: "rs-orders",
    tokenTypes: ["custom_jwt", "tara_jwt"],
    // Generous: the machine running the tests may be busy; the fail-closed test sets its own.
    maxSilence: 5_000,
    jwks: { cooldownMs: 300 },
    ...overrides,
    stream: { streamsUrl: url("/ssf/streams"), authorization: receiver.basic, intervalMs: 100, ...overrides.stream },
  };
}
async function started(overrides: Partial<VerifierOptions> = {}): Promise<Verifier> {
  const v = createVerifier(options(overrides));
  verifiers.push(v);
  await v.start();
  return v;
}

async function issue(audience: string | string[] = "rs-orders", content: Record<string, unknown> = {}): Promise<string> {
  const res = await call(url("/jwt/custom/generate"), {
    json: { JWTName: "ACCESS", content: { sub: `user-${randomUUID()}`, ...content }, audience, expirationInMinutes: 30 },
    auth: issuer.basic,
  });
  expect(res.status, res.text).toBe(200);
  return res.body.token as string;
}
const revoke = async (token: string) => {
  const res = await call(url("/jwt/custom/revoke"), { json: { token, reason: "compromised" }, auth: issuer.basic });
  expect(res.status, res.text).toBe(200);
};

/** Waits until `check` holds (fails only when it never does within the limit); returns how long it took. */
async function within(ms: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
  return Date.now() - t0;
}
const reasonOf = async (v: Verifier, token: string) => {
  const r = await v.verify(token);
  return r.valid ? "valid" : r.reason;
};

beforeAll(async () => {
  tim = await startTestServer({ onRequest: count });
  port = Number(new URL(tim.url).port);
  receiver = await newClient({ scopes: ["ssf:receive"] });
  issuer = await newClient({ scopes: ["tokens:issue", "tokens:revoke"] });
});
// Each test's verifiers stop polling when it ends.
afterEach(async () => {
  for (const v of verifiers.splice(0)) await v.close();
});
afterAll(async () => tim.close());

describe("packages/verify against a real TIM", () => {
  test("its event types are TIM's", () => {
    expect(TOKEN_REVOKED).toBe(SSF_EVENTS["token-revoked"]);
    expect(SESSION_REVOKED).toBe(SSF_EVENTS["session-revoked"]);
    expect(VERIFICATION).toBe(VERIFICATION_EVENT);
  });

  test("before start it refuses everything (fail closed); started, it accepts a valid token without asking TIM", async () => {
    const token = await issue();
    const v = createVerifier(options());
    verifiers.push(v);
    expect(await v.verify(token)).toEqual({ valid: false, reason: "revocations_stale" });
    await v.start();
    const before = nonPollRequests();
    for (let i = 0; i < 200; i++) {
      const r = await v.verify(token);
      expect(r.valid).toBe(true);
    }
    const r = await v.verify(token);
    expect(r.valid && r.payload).toMatchObject({ jti: claimsOf(token).jti, token_type: "custom_jwt", aud: "rs-orders" });
    expect(nonPollRequests() - before).toBe(0);
    expect(v.status()).toMatchObject({ synced: true, jwksFetches: 1, pollUrl: expect.stringContaining("/ssf/poll/"), cachedTokens: 1 });
  });

  test("the verified-token cache is bounded and skips no check that depends on time or revocation", async () => {
    const v = await started({ cacheSize: 3 });
    const tokens = await Promise.all(Array.from({ length: 5 }, () => issue()));
    for (const t of tokens) expect(await reasonOf(v, t)).toBe("valid");
    expect(v.status().cachedTokens).toBe(3);
    const uncached = await started({ cacheSize: 0 });
    expect(await reasonOf(uncached, tokens[0])).toBe("valid");
    expect(uncached.status().cachedTokens).toBe(0);
    // The newest token is cached; revoked, it is refused all the same.
    await revoke(tokens[4]);
    await within(10_000, "cached token refused once revoked", async () => (await reasonOf(v, tokens[4])) === "revoked");
    await within(10_000, "refused by the uncached verifier", async () => (await reasonOf(uncached, tokens[4])) === "revoked");
  });

  test("a revoked token is refused within seconds, with no request to TIM per verification", async () => {
    const v = await started();
    const token = await issue();
    const other = await issue();
    expect(await reasonOf(v, token)).toBe("valid");
    const before = nonPollRequests();
    const polls = seen.get("/ssf/poll") ?? 0;
    await revoke(token);
    const afterRevoke = nonPollRequests(); // the revocation itself
    let verifications = 0;
    const ms = await within(10_000, "revoked token refused", async () => {
      verifications++;
      return (await reasonOf(v, token)) === "revoked";
    });
    console.log(`revocation refused by the verifier ${ms} ms after TIM's 200 (${verifications} verifications, ${(seen.get("/ssf/poll") ?? 0) - polls} polls)`);
    expect(afterRevoke - before).toBe(1);
    expect(nonPollRequests()).toBe(afterRevoke);
    expect(verifications).toBeGreaterThan(1);
    expect(await reasonOf(v, other)).toBe("valid");
  });

  test("an extension's old token is refused, the new one accepted", async () => {
    const v = await started();
    const token = await issue();
    const res = await call(url("/jwt/custom/extend"), { json: { token, expirationInMinutes: 20 }, auth: issuer.basic });
    expect(res.status, res.text).toBe(200);
    const extended = res.body.token as string;
    await within(10_000, "old token refused", async () => (await reasonOf(v, token)) === "revoked");
    expect(await reasonOf(v, extended)).toBe("valid");
  });

  test("an ended TARA session refuses its token (session-revoked, by sid)", async () => {
    const v = await started();
    const tara = await taraTokenFixture({ allowlist: "live" });
    const aud = createVerifier(options({ audience: "tim-audience" }));
    verifiers.push(aud);
    await aud.start();
    expect(await reasonOf(aud, tara.token)).toBe("valid");
    expect(await reasonOf(v, tara.token)).toBe("invalid_audience");
    const logout = await call(url("/auth/logout"), { method: "POST", auth: `Bearer ${tara.token}` });
    expect(logout.status, logout.text).toBe(200);
    await within(10_000, "session's token refused", async () => (await reasonOf(aud, tara.token)) === "session_revoked");
    // Custom tokens only (the default): a TARA token is the wrong type.
    const customOnly = await started({ audience: "tim-audience", tokenTypes: undefined });
    const fresh = await taraTokenFixture({ allowlist: "live" });
    expect(await reasonOf(customOnly, fresh.token)).toBe("invalid_token_type");
  });

  test("wrong aud, iss or token_type, an expired or future token, a SET or a token without jti: refused", async () => {
    const v = await started();
    expect(await reasonOf(v, await issue("rs-billing"))).toBe("invalid_audience");
    expect(await reasonOf(v, await issue(["rs-billing", "rs-orders"]))).toBe("valid");
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: "s", iss: config().TIM_ISSUER, aud: "rs-orders", iat: now, exp: now + 600, jti: randomUUID(), token_type: "custom_jwt" };
    // Signed with TIM's own key, so only the claim differs.
    expect(await reasonOf(v, await signJwt(claims))).toBe("valid");
    expect(await reasonOf(v, await signJwt({ ...claims, iss: "https://not-tim.example" }))).toBe("invalid_issuer");
    expect(await reasonOf(v, await signJwt({ ...claims, token_type: "id_token" }))).toBe("invalid_token_type");
    const { token_type: _, ...untyped } = claims;
    expect(await reasonOf(v, await signJwt(untyped))).toBe("invalid_token_type");
    const { jti: __, ...noJti } = claims;
    expect(await reasonOf(v, await signJwt(noJti))).toBe("invalid_claims");
    expect(await reasonOf(v, await signJwt({ ...claims, iat: now - 1200, exp: now - 600 }))).toBe("expired");
    // Within the clock tolerance (5 s) an exp just past is still accepted; beyond it not.
    expect(await reasonOf(v, await signJwt({ ...claims, exp: now - 2 }))).toBe("valid");
    expect(await reasonOf(v, await signJwt({ ...claims, nbf: now + 600 }))).toBe("not_yet_valid");
    expect(await reasonOf(v, await signJwt({ ...claims, iat: now + 600 }))).toBe("not_yet_valid");
    expect(await reasonOf(v, await signJwt(claims, "secevent+jwt"))).toBe("invalid_header");
  });

  test("forged tokens: alg none, a changed payload, another key under TIM's kid, HS256 with the public key, a key by URL", async () => {
    const v = await started();
    const token = await issue();
    const [h, p, s] = token.split(".");
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const header = JSON.parse(Buffer.from(h, "base64url").toString());
    const payload = claimsOf(token);
    expect(await reasonOf(v, `${b64({ alg: "none", typ: "JWT" })}.${p}.`)).toBe("unsupported_algorithm");
    expect(await reasonOf(v, `${b64({ ...header, alg: "none" })}.${p}.`)).toBe("unsupported_algorithm");
    expect(await reasonOf(v, `${h}.${b64({ ...payload, aud: "rs-orders", sub: "admin" })}.${s}`)).toBe("invalid_signature");
    const attacker = await generateKeyPair("RS256");
    const forged = await new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: header.kid, typ: "JWT" }).sign(attacker.privateKey);
    expect(await reasonOf(v, forged)).toBe("invalid_signature");
    const jwks = (await call(url("/jwt/keys/public"))).body as { keys: Array<{ kid: string; n: string }> };
    const hmac = await new SignJWT(payload)
      .setProtectedHeader({ alg: "HS256", kid: header.kid })
      .sign(new TextEncoder().encode(JSON.stringify(jwks.keys.find((k) => k.kid === header.kid))));
    expect(await reasonOf(v, hmac)).toBe("unsupported_algorithm");
    const jku = await new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: header.kid, jku: "https://evil.example/jwks" }).sign(attacker.privateKey);
    expect(await reasonOf(v, jku)).toBe("invalid_header");
    expect(await reasonOf(v, "not.a.jwt")).toBe("malformed");
    expect(await reasonOf(v, "")).toBe("malformed");
    expect(await reasonOf(v, token)).toBe("valid");
  });

  test("key rotation: a token of a key the cache has not seen makes it fetch the JWKS once, then it is accepted; unknown kids cannot hammer TIM", async () => {
    const v = await started();
    const oldToken = await issue();
    expect(await reasonOf(v, oldToken)).toBe("valid");
    const fetchesBefore = v.status().jwksFetches;
    const oldKid = (await activeSigningKey()).kid;
    // Emergency rotation: the new key signs at once, before the verifier could have seen it published.
    await prepareNextKey();
    const newKid = await activateNextKey();
    expect(newKid).not.toBe(oldKid);
    await sleep(350); // past the fetch cooldown of this test's verifiers
    const rotated = await issue();
    expect(JSON.parse(Buffer.from(rotated.split(".")[0], "base64url").toString()).kid).toBe(newKid);
    expect(await reasonOf(v, rotated)).toBe("valid");
    expect(v.status().jwksFetches).toBe(fetchesBefore + 1);
    // The published keys changed: what was verified with the old set is verified again.
    expect(v.status().cachedTokens).toBe(1);
    expect(await reasonOf(v, oldToken)).toBe("valid"); // the retired key stays published
    expect(v.status().cachedTokens).toBe(2);

    // 200 tokens naming made-up kids: refused, and TIM sees at most one JWKS request per cooldown (300 ms).
    const attacker = await generateKeyPair("RS256");
    const payload = claimsOf(rotated);
    const made = await Promise.all(
      Array.from({ length: 200 }, () => new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: randomUUID(), typ: "JWT" }).sign(attacker.privateKey)),
    );
    const jwksBefore = seen.get("/jwt/keys/public") ?? 0;
    const t0 = Date.now();
    const floods = await Promise.all(made.map((t) => reasonOf(v, t)));
    const elapsed = Date.now() - t0;
    expect(new Set(floods)).toEqual(new Set(["unknown_key"]));
    expect((seen.get("/jwt/keys/public") ?? 0) - jwksBefore).toBeLessThanOrEqual(1 + Math.ceil(elapsed / 300));
  });

  test("TIM stopped: refused after maxSilence with a reason of its own; TIM back: accepted again", async () => {
    const v = await started({ maxSilence: 1_500 });
    const token = await issue();
    expect(await reasonOf(v, token)).toBe("valid");
    await tim.close();
    try {
      const ms = await within(10_000, "refused while TIM is away", async () => (await reasonOf(v, token)) === "revocations_stale");
      console.log(`TIM stopped: the verifier refuses after ${ms} ms (maxSilence 1,500 ms)`);
      expect(v.status()).toMatchObject({ synced: false });
      expect(Date.now() - v.status().syncedAt!).toBeGreaterThan(1_500);
      expect(v.status().pollFailures).toBeGreaterThan(0);
    } finally {
      tim = await startTestServer({ port, onRequest: count });
    }
    await within(10_000, "accepted after TIM is back", async () => (await reasonOf(v, token)) === "valid");
    expect(v.status()).toMatchObject({ synced: true, pollFailures: 0 });
  });

  test("a restarted verifier with its state file resumes its stream and still refuses what it acknowledged before", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "tim-verify-"));
    try {
      const stateFile = path.join(dir, "state.json");
      const first = await started({ stream: { stateFile } as VerifierOptions["stream"] });
      const token = await issue();
      await revoke(token);
      await within(10_000, "refused", async () => (await reasonOf(first, token)) === "revoked");
      const pollUrl = first.status().pollUrl;
      await first.close(); // acknowledges the event: TIM will not send it again
      const saved = JSON.parse(await readFile(stateFile, "utf8"));
      expect(saved.pollUrl).toBe(pollUrl);
      expect(JSON.stringify(saved)).not.toContain(token.split(".")[2]);

      const second = await started({ stream: { stateFile } as VerifierOptions["stream"] });
      expect(second.status().pollUrl).toBe(pollUrl);
      expect(await reasonOf(second, token)).toBe("revoked");
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a fresh verifier without a state file reads TIM's revocation snapshot on start: what was revoked and acknowledged before is refused at once", async () => {
    const first = await started();
    const token = await issue();
    const other = await issue();
    const tara = await taraTokenFixture({ allowlist: "live" });
    await revoke(token);
    const logout = await call(url("/auth/logout"), { method: "POST", auth: `Bearer ${tara.token}` });
    expect(logout.status, logout.text).toBe(200);
    await within(10_000, "refused by the first verifier", async () => (await reasonOf(first, token)) === "revoked");
    const pollUrl = first.status().pollUrl!;
    await first.close(); // acknowledges the events: no stream owes them to anyone any more

    // A new stream owes only later revocations; the snapshot gives the earlier ones.
    const fresh = createVerifier(options({ audience: ["rs-orders", "tim-audience"] }));
    verifiers.push(fresh);
    const starting = fresh.start();
    expect(await reasonOf(fresh, other)).toBe("revocations_stale"); // not ready until the snapshot is in
    await starting;
    expect(seen.get("/ssf/revocations")).toBeGreaterThan(0);
    expect(await reasonOf(fresh, token)).toBe("revoked");
    expect(await reasonOf(fresh, tara.token)).toBe("revoked");
    // A TARA token of the same session TIM never issued a revocation for: refused by its sid.
    const sameSession = await signJwt({ ...tara.payload, jti: randomUUID() });
    expect(await reasonOf(fresh, sameSession)).toBe("session_revoked");
    expect(await reasonOf(fresh, other)).toBe("valid");

    // The first verifier's stream resumed without its state (pollUrl only): the snapshot's URL is found beside it.
    const resumed = await started({
      audience: "rs-orders",
      stream: { pollUrl, streamsUrl: undefined, audience: receiver.clientId } as VerifierOptions["stream"],
    });
    expect(await reasonOf(resumed, token)).toBe("revoked");

    // Past maxRevocations the snapshot leaves the verifier refusing every token, as a full poll would.
    const small = await started({ maxRevocations: 1 });
    expect(await reasonOf(small, other)).toBe("revocation_set_full");
  });

  test("push (RFC 8935) besides poll: TIM's push job delivers to the verifier's handler, refused at once; the same event by poll counts once", async () => {
    process.env.TIM_SSF_PUSH_ALLOW_INTERNAL = "true"; // plain http on loopback, for this test
    resetConfig();
    const secret = `Bearer push-${randomUUID()}`;
    // Polls rarely here, so that what refuses the token first is the push.
    const v = await started({
      stream: { intervalMs: 3_000 } as VerifierOptions["stream"],
      maxSilence: 20_000,
      push: { authorization: secret, audience: receiver.clientId },
    });
    const rs = createServer(v.pushHandler());
    // Any free port: the PostgreSQL and PGlite passes run this file at the same time in CI.
    await new Promise<void>((resolve) => rs.listen(0, "127.0.0.1", resolve));
    const pushPort = (rs.address() as import("node:net").AddressInfo).port;
    try {
      const created = await call(url("/ssf/streams"), {
        json: { delivery: { method: "urn:ietf:rfc:8935", endpoint_url: `http://127.0.0.1:${pushPort}/ssf`, authorization_header: secret } },
        auth: receiver.basic,
      });
      expect(created.status, created.text).toBe(201);
      const token = await issue();
      expect(await reasonOf(v, token)).toBe("valid");
      const applied = v.status().revocationsApplied;
      await revoke(token);
      const run = await deliverPushStreams();
      expect(run.delivered).toBeGreaterThanOrEqual(1);
      expect(await reasonOf(v, token)).toBe("revoked");
      expect(v.status().pushed).toBeGreaterThanOrEqual(1);
      expect(v.status().revocationsApplied).toBe(applied + 1);
      // The poll brings the same revocation: nothing new.
      const polls = v.status().polls;
      await within(15_000, "a poll after the push", async () => v.status().polls >= polls + 2);
      expect(v.status().revocationsApplied).toBe(applied + 1);

      // The handler refuses what is not TIM's SET for this stream (RFC 8935 §2.4 error bodies).
      const post = (body: string, headers: Record<string, string>) =>
        fetch(`http://127.0.0.1:${pushPort}/ssf`, { method: "POST", headers, body }).then(async (r) => ({ status: r.status, body: await r.text() }));
      const set = await signJwt(
        {
          iss: config().TIM_ISSUER,
          aud: receiver.clientId,
          jti: randomUUID(),
          iat: Math.floor(Date.now() / 1000),
          exp: Math.floor(Date.now() / 1000) + 60,
          sub_id: { format: "jwt_id", iss: config().TIM_ISSUER, jti: "not-revoked" },
          events: { [TOKEN_REVOKED]: {} },
        },
        "secevent+jwt",
      );
      expect((await post(set, { "content-type": "application/secevent+jwt", authorization: "Bearer wrong" })).status).toBe(401);
      expect((await post(set, { "content-type": "application/json", authorization: secret })).status).toBe(400);
      const [h, p] = set.split(".");
      const forged = await post(`${h}.${p}.${"A".repeat(342)}`, { "content-type": "application/secevent+jwt", authorization: secret });
      expect(forged).toMatchObject({ status: 400, body: expect.stringContaining("invalid_key") });
      const otherAud = await signJwt({ ...decodeJwt(set), aud: "someone-else" }, "secevent+jwt");
      expect(await post(otherAud, { "content-type": "application/secevent+jwt", authorization: secret })).toMatchObject({
        status: 400,
        body: expect.stringContaining("invalid_audience"),
      });
      expect((await post(set, { "content-type": "application/secevent+jwt", authorization: secret })).status).toBe(202);
    } finally {
      await new Promise((resolve) => rs.close(resolve));
      delete process.env.TIM_SSF_PUSH_ALLOW_INTERNAL;
      resetConfig();
    }
  });

  test("the revocation set keeps a revocation until the token's exp (token_exp from TIM), then forgets it", async () => {
    const v = await started();
    const token = await issue();
    const size = v.status().revokedTokensAndSessions;
    await revoke(token);
    await within(10_000, "refused", async () => (await reasonOf(v, token)) === "revoked");
    expect(v.status().revokedTokensAndSessions).toBe(size + 1);

    const set = new RevocationSet(0, 10);
    const now = Date.now() / 1000;
    expect(set.revokeToken("expired-already", now - 1)).toBe(false);
    expect(set.revokeToken("soon", now + 1)).toBe(true);
    expect(set.revokeSession("sid", now + 600)).toBe(true);
    expect(set.isTokenRevoked("soon")).toBe(true);
    await sleep(1_100);
    set.prune(0);
    expect(set.isTokenRevoked("soon")).toBe(false);
    expect(set.isSessionRevoked("sid")).toBe(true);
    expect(set.size).toBe(1);
  });
});
