import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { runArchivePurge } from "@/lib/archive/purge";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { getJobRun } from "@/lib/jobs/runs";
import { daysAgo, hash } from "@/test/jobs/support";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tim-archive-"));
  process.env.TIM_ARCHIVE_DIR = dir;
  process.env.TIM_ARCHIVE_DAYS = "365";
  resetConfig();
});
afterAll(async () => {
  delete process.env.TIM_ARCHIVE_DIR;
  delete process.env.TIM_ARCHIVE_DAYS;
  resetConfig();
  await rm(dir, { recursive: true, force: true });
});

function archiveRow(subject: string, archivedAt: Date) {
  const jwtUuid = randomUUID();
  return {
    id: randomUUID(),
    jwtUuid,
    createdAt: daysAgo(500),
    claimKeys: "sub",
    issuedAt: daysAgo(500),
    expiresAt: daysAgo(499),
    subject,
    originalJwtUuid: jwtUuid,
    claimsJson: { sub: subject },
    tokenHash: hash(jwtUuid),
    tokenType: "custom_jwt",
    useCount: 3,
    archivedAt,
  };
}

test("archived rows older than TIM_ARCHIVE_DAYS are exported to JSON Lines, then deleted; newer ones stay", async () => {
  const subject = `purge-${randomUUID()}`;
  const client = await db();
  const old = Array.from({ length: 1_203 }, () => archiveRow(subject, daysAgo(400)));
  const recent = Array.from({ length: 4 }, () => archiveRow(subject, daysAgo(10)));
  await client.customJwtMetadataArchive.createMany({ data: [...old, ...recent] });
  const taraOld = { ...archiveRow(subject, daysAgo(370)), tokenType: "tara_jwt", authMethod: "mID" };
  await client.taraJwtMetadataArchive.create({ data: taraOld });

  const state = await runArchivePurge({ trigger: "manual" });

  expect(await client.customJwtMetadataArchive.count({ where: { subject } })).toBe(recent.length);
  expect(await client.taraJwtMetadataArchive.count({ where: { subject } })).toBe(0);

  const files = await readdir(dir);
  const customFile = files.find((f) => f.startsWith("custom-"))!;
  const lines = (await readFile(path.join(dir, customFile), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
  const exported = lines.filter((l) => l.subject === subject);
  expect(exported).toHaveLength(old.length);
  const byId = new Map(exported.map((l) => [l.id, l]));
  for (const row of old) {
    expect(byId.get(row.id)).toMatchObject({
      jwt_uuid: row.jwtUuid,
      token_hash: row.tokenHash,
      claims_json: row.claimsJson,
      use_count: 3,
      archived_at: row.archivedAt.toISOString(),
    });
  }
  const taraFile = files.find((f) => f.startsWith("tara-"))!;
  const taraLines = (await readFile(path.join(dir, taraFile), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
  expect(taraLines.filter((l) => l.subject === subject).map((l) => l.id)).toEqual([taraOld.id]);

  const run = await getJobRun(state.runId);
  expect(run).toMatchObject({ job: "archive_purge", status: "succeeded" });
  expect(run!.counts["custom.jwt_metadata_archive"]).toBeGreaterThanOrEqual(old.length);
  expect((run!.result as { files: string[] }).files).toHaveLength(2);
});
