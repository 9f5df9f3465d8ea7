import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { TimError } from "@/lib/http/errors";
import type { PendingMetadata } from "@/lib/jobs/metadata";
import { persistMetadataAsync } from "@/lib/jobs/persist-metadata-async";
import type { JobRunnerHandle } from "@/lib/jobs/start";
import { failFirst } from "@/test/jobs/failure";
import { hash, startTestRunner, waitFor } from "@/test/jobs/support";

let runner: JobRunnerHandle;
beforeAll(async () => {
  runner = await startTestRunner();
});
afterAll(async () => runner.stop());

function customRow(subject: string): PendingMetadata & { kind: "custom" } {
  const jwtUuid = randomUUID();
  const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  return {
    kind: "custom",
    record: {
      jwtUuid,
      claimKeys: "sub,role",
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + 3_600_000),
      subject,
      jwtName: "ASYNC",
      audience: "tim-audience",
      issuer: "TIM",
      originalJwtUuid: jwtUuid,
      claimsJson: { sub: subject, role: "reader" },
      tokenHash: hash(`async-${jwtUuid}`),
      clientId: "async-client",
    },
  };
}

function taraRow(subject: string): PendingMetadata & { kind: "tara" } {
  const base = customRow(subject).record;
  return {
    kind: "tara",
    record: { ...base, jwtName: "TARA", authMethod: "smartid", levelOfAssurance: "high", sessionId: "s-1", givenName: "JAAN" },
  };
}

test("a single pending row is stored once it is accepted, with every field", async () => {
  const subject = `async-one-${randomUUID()}`;
  const pending = customRow(subject);
  await persistMetadataAsync([pending]);
  // accepted = durably queued before the function ran
  const row = await waitFor(async () => (await db()).customJwtMetadata.findUnique({ where: { jwtUuid: pending.record.jwtUuid } }).then((r) => r ?? undefined));
  expect(row).toMatchObject({
    subject,
    claimKeys: "sub,role",
    jwtName: "ASYNC",
    issuedAt: pending.record.issuedAt,
    expiresAt: pending.record.expiresAt,
    originalJwtUuid: pending.record.jwtUuid,
    claimsJson: { sub: subject, role: "reader" },
    tokenHash: pending.record.tokenHash,
    tokenType: "custom_jwt",
    clientId: "async-client",
  });
});

test("many rows of both types arrive in batches; duplicates of a jwt_uuid are inserted once", async () => {
  const subject = `async-many-${randomUUID()}`;
  const custom = Array.from({ length: 120 }, () => customRow(subject));
  const tara = Array.from({ length: 30 }, () => taraRow(subject));
  await Promise.all([persistMetadataAsync(custom), persistMetadataAsync(tara), persistMetadataAsync(custom.slice(0, 10))]);
  const client = await db();
  await waitFor(
    async () => (await client.customJwtMetadata.count({ where: { subject } })) === 120 && (await client.taraJwtMetadata.count({ where: { subject } })) === 30,
  );
  const taraStored = await client.taraJwtMetadata.findFirstOrThrow({ where: { jwtUuid: tara[0].record.jwtUuid } });
  expect(taraStored).toMatchObject({ authMethod: "smartid", levelOfAssurance: "high", tokenType: "tara_jwt" });
  // the duplicates were delivered too, and skipped by ON CONFLICT (jwt_uuid) DO NOTHING
  await persistMetadataAsync(custom.slice(0, 5));
  await new Promise((r) => setTimeout(r, 1_500));
  expect(await client.customJwtMetadata.count({ where: { subject } })).toBe(120);
});

test("a batch that fails in the database is retried and every row is stored exactly once", async () => {
  const subject = `async-retry-${randomUUID()}`;
  const failure = await failFirst({ table: "custom.jwt_metadata", timing: "BEFORE INSERT", subject, times: 2 });
  try {
    const rows = Array.from({ length: 25 }, () => customRow(subject));
    await persistMetadataAsync(rows);
    const client = await db();
    await waitFor(async () => (await client.customJwtMetadata.count({ where: { subject } })) === 25);
    // the row trigger failed the first row of two attempts, then ran once per row in the attempt that stored them
    expect(await failure.calls()).toBe(2 + 25);
    expect(await client.customJwtMetadata.count({ where: { subject } })).toBe(25);
  } finally {
    await failure.remove();
  }
});

test("an incomplete row is refused before it is accepted", async () => {
  const pending = customRow("async-bad");
  const bad = { kind: "custom", record: { ...pending.record, tokenHash: "short" } } as PendingMetadata;
  await expect(persistMetadataAsync([bad])).rejects.toBeInstanceOf(TimError);
});
