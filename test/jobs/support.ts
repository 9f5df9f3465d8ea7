import { createHash, randomUUID } from "node:crypto";
import { db } from "@/lib/db/client";
import { startJobRunner, type JobRunnerHandle } from "@/lib/jobs/start";
import { insertTokenRow } from "@/test/support/token-row";

const DAY_MS = 86_400_000;

export const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS);
export const hash = (s: string) => createHash("sha256").update(s).digest("hex");

type TokenInput = {
  subject: string;
  expiresAt: Date;
  jwtUuid?: string;
  originalJwtUuid?: string;
  supersedes?: string | null;
  /** TARA rows: the login state the token came from. */
  oauthStateId?: string;
};

/** The fields both kinds' job-test rows share: an hour-long token ending at `expiresAt`. */
function jobRow(input: TokenInput, jwtUuid: string) {
  return {
    jwtUuid,
    issuedAt: new Date(input.expiresAt.getTime() - 3_600_000),
    expiresAt: input.expiresAt,
    subject: input.subject,
    supersedes: input.supersedes ?? null,
    originalJwtUuid: input.originalJwtUuid,
  };
}

/** A custom metadata row written directly with Prisma (independent of the token API). */
export async function insertCustomToken(input: TokenInput) {
  const jwtUuid = input.jwtUuid ?? randomUUID();
  return insertTokenRow("custom", {
    ...jobRow(input, jwtUuid),
    claimKeys: "sub,role",
    jwtName: "TEST_TOKEN",
    claimsJson: { sub: input.subject, role: "tester" },
    tokenHash: hash(`token-${jwtUuid}`),
    clientId: "test-client",
  });
}

export async function insertTaraToken(input: TokenInput) {
  const jwtUuid = input.jwtUuid ?? randomUUID();
  return insertTokenRow("tara", {
    ...jobRow(input, jwtUuid),
    claimKeys: "sub,given_name,family_name,amr,acr",
    jwtName: "TARA",
    claimsJson: { sub: input.subject, amr: ["mID"], acr: "high" },
    tokenHash: hash(`tara-${jwtUuid}`),
    sessionId: `session-${jwtUuid}`,
    oauthStateId: input.oauthStateId ?? null,
    givenName: "MARI",
    familyName: "MAASIKAS",
  });
}

/** An extension chain of `length` versions (oldest first); `expiries[i]` is version i's expiry. */
export async function insertCustomChain(subject: string, expiries: Date[]) {
  const rows = [];
  let previous: { jwtUuid: string; originalJwtUuid: string } | undefined;
  for (const expiresAt of expiries) {
    const row = await insertCustomToken({
      subject,
      expiresAt,
      originalJwtUuid: previous?.originalJwtUuid,
      supersedes: previous?.jwtUuid ?? null,
    });
    rows.push(row);
    previous = row;
  }
  return rows;
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The in-process runner with short retry delays and no cron timers. */
export function startTestRunner(): Promise<JobRunnerHandle> {
  return startJobRunner({ retryBaseMs: 20, retryMaxMs: 200, pollMs: 250, crons: false });
}

/** A token's usage counters as the console shows them (0 and null before its first recorded use). */
export async function usageOf(kind: "custom" | "tara", jwtUuid: string) {
  const prisma = await db();
  const where = { where: { jwtUuid } };
  const row = kind === "custom" ? await prisma.customTokenUsage.findUnique(where) : await prisma.taraTokenUsage.findUnique(where);
  return { jwtUuid, useCount: row?.useCount ?? 0, lastUsedAt: row?.lastUsedAt ?? null };
}
