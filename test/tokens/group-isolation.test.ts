import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { anonymousCaller } from "@/lib/clients/scopes";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { TimError } from "@/lib/http/errors";
import { insertPendingMetadata } from "@/lib/jobs/metadata";
import { extendToken } from "@/lib/tokens/extend";
import { issueCustomTokens, type GenerateRequest } from "@/lib/tokens/generate";
import { revokeToken } from "@/lib/tokens/revoke";
import { dropConnectionOn, refuseRows } from "@/test/support/refuse";
import { onPostgres } from "@/test/support/scratch-db";
import { startTestServer, type TestServer } from "@/test/support/http";
import { call, claimsOf } from "@/test/tokens/helpers";

// Issue 12 §1: a row of one request that the database refuses fails that request alone (400), the rest of its
// group commits; a transient failure still fails the group (503) and leaves no token and no row.
// The direct calls below start in one turn of the event loop, so they share one group (one statement).

let server: TestServer;
let url: (path: string) => string;

beforeAll(async () => {
  process.env.TIM_API_AUTH = "off";
  resetConfig();
  server = await startTestServer();
  url = (p) => `${server.url}${p}`;
  // The signing key exists before the tests: concurrent calls then reach their group at once.
  await issueCustomTokens([request(`warm-${randomUUID()}`)], anonymousCaller);
});
afterAll(async () => {
  await server.close();
  delete process.env.TIM_API_AUTH;
  resetConfig();
});

const request = (sub: string): GenerateRequest => ({ content: { sub, role: "reader" }, expirationInMinutes: 30 });
const rowsOf = async (subjectPrefix: string) => (await db()).customJwtMetadata.count({ where: { subject: { startsWith: subjectPrefix } } });
const rowsFor = async (subject: string) => (await db()).customJwtMetadata.count({ where: { subject } });

async function settleAll<T>(calls: (() => Promise<T>)[]): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(calls.map((c) => c()));
}

function expectRefused(result: PromiseSettledResult<unknown>, status: number, message?: RegExp): void {
  expect(result.status).toBe("rejected");
  const err = (result as PromiseRejectedResult).reason;
  expect(err).toBeInstanceOf(TimError);
  expect((err as TimError).status).toBe(status);
  if (message) expect((err as TimError).message).toMatch(message);
}

async function issueOne(sub: string): Promise<string> {
  const [issued] = await issueCustomTokens([request(sub)], anonymousCaller);
  return issued.token;
}

describe("layer (a): what PostgreSQL cannot store is refused before it joins a group", () => {
  test("concurrent good and bad issuances over HTTP: every good one committed, every bad one 400 naming the field", async () => {
    const run = randomUUID();
    const bad = `bad-${run}`;
    const deep = (n: number): unknown => (n === 0 ? "x" : { d: deep(n - 1) });
    const bodies: { raw: string; field: RegExp }[] = [
      { raw: JSON.stringify({ content: { sub: bad, note: "a\u0000b" }, expirationInMinutes: 30 }), field: /content\.note: .*NUL/ },
      { raw: `{"content":{"sub":"${bad}","x":{"y":["\\ud800"]}},"expirationInMinutes":30}`, field: /content\.x\.y\.0: .*surrogate/ },
      { raw: `{"content":{"sub":"${bad}","\\udc00":1},"expirationInMinutes":30}`, field: /content\..*surrogate/ },
      { raw: `{"content":{"sub":"${bad}","n":1e400},"expirationInMinutes":30}`, field: /content\.n: .*range/ },
      { raw: JSON.stringify({ content: { sub: bad, "role,admin": true }, expirationInMinutes: 30 }), field: /content\.role,admin: .*comma/ },
      { raw: JSON.stringify({ content: { sub: `${bad}${"s".repeat(300)}` }, expirationInMinutes: 30 }), field: /content\.sub: .*255/ },
      { raw: JSON.stringify({ content: { sub: bad, big: "x".repeat(9000) }, expirationInMinutes: 30 }), field: /content: .*8192 bytes/ },
      { raw: JSON.stringify({ content: { sub: bad, deep: deep(40) }, expirationInMinutes: 30 }), field: /content\.deep(\.d)+: .*32 levels/ },
      { raw: JSON.stringify({ content: { sub: bad }, audience: ["a", "b,c"], expirationInMinutes: 30 }), field: /audience\.1: .*comma/ },
      { raw: JSON.stringify({ content: { sub: bad }, JWTName: "N\u0000", expirationInMinutes: 30 }), field: /JWTName/ },
    ];
    const good = Array.from({ length: 30 }, (_, i) => `good-${run}-${i}`);
    const [goodAnswers, badAnswers] = await Promise.all([
      Promise.all(good.map((sub) => call(url("/jwt/custom/generate"), { json: request(sub) }))),
      Promise.all(bodies.map((b) => call(url("/jwt/custom/generate"), { raw: b.raw }))),
    ]);
    goodAnswers.forEach((res, i) => {
      expect(res.status).toBe(200);
      expect(claimsOf(res.body.token).sub).toBe(good[i]);
    });
    expect(await rowsOf(`good-${run}`)).toBe(good.length);
    badAnswers.forEach((res, i) => {
      expect(res.status, bodies[i].raw.slice(0, 80)).toBe(400);
      expect(res.body.error).toBe("invalid_request");
      expect(res.body.message).toMatch(bodies[i].field);
    });
    expect(await rowsOf(bad)).toBe(0);
  });

  test("a bad row in a batch is a 400 for that batch naming the row; the batch writes nothing", async () => {
    const run = randomUUID();
    const tokens = Array.from({ length: 5 }, (_, i) => ({ content: { sub: `batch-${run}-${i}` }, expirationInMinutes: 30 }));
    (tokens[3].content as Record<string, unknown>).claim = "nul\u0000";
    const res = await call(url("/jwt/custom/generate/batch"), { json: { tokens } });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/tokens\.3\.content\.claim: .*NUL/);
    expect(await rowsOf(`batch-${run}`)).toBe(0);
  });

  test("a NUL in a revocation reason is a 400 for that revocation; concurrent revocations of other callers commit", async () => {
    const run = randomUUID();
    const tokens = await issueCustomTokens(
      Array.from({ length: 41 }, (_, i) => request(`rv-${run}-${i}`)),
      anonymousCaller,
    );
    const [badToken, ...goodTokens] = tokens.map((t) => t.token);
    const answers = await Promise.all([
      call(url("/jwt/custom/revoke"), { json: { token: badToken, reason: "evil\u0000" } }),
      ...goodTokens.map((token) => call(url("/jwt/custom/revoke"), { json: { token, reason: "rotation" } })),
    ]);
    expect(answers[0].status).toBe(400);
    expect(answers[0].body.message).toMatch(/reason: .*NUL/);
    for (const res of answers.slice(1)) expect(res.status).toBe(200);
    const denied = await (await db()).customDenylist.findMany({ where: { jwtUuid: { in: tokens.map((t) => t.jti) } } });
    expect(denied.map((d) => d.jwtUuid).sort()).toEqual(
      tokens
        .slice(1)
        .map((t) => t.jti)
        .sort(),
    );
    const still = await call(url("/jwt/custom/validate"), { json: { token: badToken } });
    expect(still.body.valid).toBe(true);
  });
});

describe("layer (b): a row the database refuses fails alone, the rest of its group commits", () => {
  test("custom issuance: refused rows answer 400, every other request of the group commits (and a refused batch writes none of its rows)", async () => {
    const run = randomUUID();
    const restore = await refuseRows("custom.jwt_metadata", `NEW.subject LIKE 'refuse-${run}%'`);
    try {
      const calls = [
        ...Array.from({ length: 20 }, (_, i) => () => issueCustomTokens([request(`ok-${run}-${i}`)], anonymousCaller)),
        ...Array.from({ length: 3 }, (_, i) => () => issueCustomTokens([request(`refuse-${run}-${i}`)], anonymousCaller)),
        // a caller's batch stays all or none: one refused row fails the whole batch, and only it
        () => issueCustomTokens([request(`okbatch-${run}-0`), request(`refuse-${run}-batch`), request(`okbatch-${run}-1`)], anonymousCaller),
        () => issueCustomTokens([request(`ok-${run}-batch-0`), request(`ok-${run}-batch-1`)], anonymousCaller),
      ];
      const results = await settleAll(calls);
      for (const r of results.slice(0, 20)) expect(r.status).toBe("fulfilled");
      for (const r of results.slice(20, 24)) expectRefused(r, 400, /^content: conflicts with a database constraint/);
      expect(results[24].status).toBe("fulfilled");
      expect(await rowsOf(`ok-${run}`)).toBe(22);
      expect(await rowsOf(`refuse-${run}`)).toBe(0);
      expect(await rowsOf(`okbatch-${run}`)).toBe(0);
    } finally {
      await restore();
    }
  });

  test("custom issuance over HTTP: the same, with concurrent requests of separate callers", async () => {
    const run = randomUUID();
    const restore = await refuseRows("custom.jwt_metadata", `NEW.subject LIKE 'refuse-${run}%'`);
    try {
      const subjects = Array.from({ length: 40 }, (_, i) => (i % 8 === 3 ? `refuse-${run}-${i}` : `ok-${run}-${i}`));
      const answers = await Promise.all(subjects.map((sub) => call(url("/jwt/custom/generate"), { json: request(sub) })));
      answers.forEach((res, i) => {
        if (subjects[i].startsWith("refuse")) {
          expect(res.status).toBe(400);
          expect(res.body).toMatchObject({ error: "invalid_request" });
          expect(res.text).not.toMatch(/eyJ/);
        } else {
          expect(res.status).toBe(200);
        }
      });
      expect(await rowsOf(`ok-${run}`)).toBe(35);
      expect(await rowsOf(`refuse-${run}`)).toBe(0);
    } finally {
      await restore();
    }
  });

  test("async metadata mode: a refused hand-over answers 400 and queues nothing; the others are queued", async () => {
    process.env.TIM_METADATA_WRITE_MODE = "async";
    resetConfig();
    const run = randomUUID();
    const restore = await refuseRows("tim.job_queue", `NEW.event::text LIKE '%refuse-${run}%'`);
    try {
      const subjects = Array.from({ length: 12 }, (_, i) => (i % 4 === 1 ? `refuse-${run}-${i}` : `ok-${run}-${i}`));
      const results = await settleAll(subjects.map((sub) => () => issueCustomTokens([request(sub)], anonymousCaller)));
      const client = await db();
      for (const [i, r] of results.entries()) {
        const [queued] = await client.$queryRawUnsafe<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM tim.job_queue WHERE event::text LIKE $1`,
          `%${subjects[i]}"%`,
        );
        if (subjects[i].startsWith("refuse")) {
          expectRefused(r, 400, /^content: conflicts with a database constraint/);
          expect(queued.n).toBe(0);
        } else {
          expect(r.status).toBe("fulfilled");
          expect(queued.n).toBeGreaterThan(0);
        }
      }
    } finally {
      await restore();
      delete process.env.TIM_METADATA_WRITE_MODE;
      resetConfig();
    }
  });

  test("revocation: refused denylist rows answer 400 naming reason and leave the token valid; the rest of the group is revoked", async () => {
    const run = randomUUID();
    const issued = await issueCustomTokens(
      Array.from({ length: 24 }, (_, i) => request(`rvb-${run}-${i}`)),
      anonymousCaller,
    );
    const restore = await refuseRows("custom.denylist", `NEW.reason LIKE 'refuse-${run}%'`);
    try {
      const reasonOf = (i: number) => (i % 6 === 2 ? `refuse-${run}` : "rotation");
      const results = await settleAll(issued.map((t, i) => () => revokeToken(t.token, ["custom"], { reason: reasonOf(i), revokedBy: null })));
      const denied = new Set((await (await db()).customDenylist.findMany({ where: { jwtUuid: { in: issued.map((t) => t.jti) } } })).map((d) => d.jwtUuid));
      for (const [i, r] of results.entries()) {
        if (reasonOf(i) === "rotation") {
          expect(r).toMatchObject({ status: "fulfilled", value: { outcome: "revoked" } });
          expect(denied.has(issued[i].jti)).toBe(true);
        } else {
          expectRefused(r, 400, /^reason: /);
          expect(denied.has(issued[i].jti)).toBe(false);
          const still = await call(url("/jwt/custom/validate"), { json: { token: issued[i].token } });
          expect(still.body.valid).toBe(true);
        }
      }
    } finally {
      await restore();
    }
  });

  test("extension: a refused new row answers 400 and writes nothing (old token stays valid); the rest of the group is extended", async () => {
    const run = randomUUID();
    const subjects = Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? `refuse-${run}-${i}` : `ok-${run}-${i}`));
    const tokens = await Promise.all(subjects.map(issueOne));
    const restore = await refuseRows("custom.jwt_metadata", `NEW.supersedes IS NOT NULL AND NEW.subject LIKE 'refuse-${run}%'`);
    try {
      const results = await settleAll(tokens.map((token) => () => extendToken("custom", { token, lifetimeMinutes: 30 })));
      const client = await db();
      for (const [i, r] of results.entries()) {
        const jti = claimsOf(tokens[i]).jti as string;
        const successors = await client.customJwtMetadata.count({ where: { originalJwtUuid: jti, supersedes: { not: null } } });
        const oldDenied = await client.customDenylist.count({ where: { jwtUuid: jti } });
        if (subjects[i].startsWith("refuse")) {
          expectRefused(r, 400, /^token: /);
          expect(successors).toBe(0);
          expect(oldDenied).toBe(0);
        } else {
          expect(r.status).toBe("fulfilled");
          expect(successors).toBe(1);
          expect(oldDenied).toBe(1);
        }
      }
    } finally {
      await restore();
    }
  });
});

test("async mode's background insert: a row the database refuses is left out, the rest of its batch is stored", async () => {
  const run = randomUUID();
  const restore = await refuseRows("custom.jwt_metadata", `NEW.subject = 'refuse-${run}'`);
  try {
    const batch = Array.from({ length: 9 }, (_, i) => {
      const jwtUuid = randomUUID();
      const subject = i === 4 ? `refuse-${run}` : `bg-${run}-${i}`;
      const issuedAt = new Date();
      return {
        token_type: "custom" as const,
        record: {
          jwtUuid,
          claimKeys: "sub",
          issuedAt,
          expiresAt: new Date(issuedAt.getTime() + 60_000),
          subject,
          originalJwtUuid: jwtUuid,
          claimsJson: { sub: subject },
          tokenHash: createHash("sha256").update(jwtUuid).digest("hex"),
        },
      };
    });
    expect(await insertPendingMetadata(batch)).toEqual({ custom: 8, tara: 0, refused: 1 });
    expect(await rowsOf(`bg-${run}`)).toBe(8);
    // a retry of the same batch stores nothing twice and still leaves the refused row out
    expect(await insertPendingMetadata(batch)).toEqual({ custom: 0, tara: 0, refused: 1 });
  } finally {
    await restore();
  }
});

test("a transient failure (connection class) is not isolated: 503, no token and no row, never a 400", async () => {
  const run = randomUUID();
  const restore = await refuseRows("custom.jwt_metadata", `NEW.subject LIKE 'transient-${run}%'`, "connection_failure");
  try {
    const subjects = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? `transient-${run}-${i}` : `group-${run}-${i}`));
    const results = await settleAll(subjects.map((sub) => () => issueCustomTokens([request(sub)], anonymousCaller)));
    const client = await db();
    for (const [i, r] of results.entries()) {
      const rows = await client.customJwtMetadata.count({ where: { subject: subjects[i] } });
      if (subjects[i].startsWith("transient") || r.status === "rejected") {
        // The transient failure fails its whole group (the requests that shared its statement), as a 503.
        expectRefused(r, 503, /no token was issued/);
        expect(rows).toBe(0);
      } else {
        expect(rows).toBe(1);
      }
    }
    // Requests of the transient rows' groups failed with them (each transient row shared its group with others).
    expect(results.filter((r, i) => r.status === "rejected" && subjects[i].startsWith("group")).length).toBeGreaterThan(0);
  } finally {
    await restore();
  }
});

// PGlite has a single in-process session: there is no connection to lose.
test.runIf(onPostgres)("a connection lost in the middle of a group's statement: every request of the group 503, no token, no row", async () => {
  const run = randomUUID();
  const restore = await dropConnectionOn("custom.jwt_metadata", `NEW.subject LIKE 'kill-${run}%'`);
  try {
    const subjects = Array.from({ length: 12 }, (_, i) => (i % 4 === 0 ? `kill-${run}-${i}` : `lost-${run}-${i}`));
    const results = await settleAll(subjects.map((sub) => () => issueCustomTokens([request(sub)], anonymousCaller)));
    for (const [i, r] of results.entries()) {
      const rows = await rowsFor(subjects[i]);
      if (subjects[i].startsWith("kill") || r.status === "rejected") {
        expectRefused(r, 503, /no token was issued/);
        expect(rows).toBe(0);
      } else {
        expect(rows).toBe(1);
      }
    }
    // and the pool recovers: the next issuance commits
    await issueOne(`after-${run}`);
    expect(await rowsOf(`after-${run}`)).toBe(1);
  } finally {
    await restore();
  }
});
