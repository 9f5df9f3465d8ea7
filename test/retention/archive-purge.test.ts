import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { listArchivePurgeFiles } from "@/lib/archive/files";
import { runArchivePurge } from "@/lib/archive/purge";
import { storedFileDownloadResponse } from "@/lib/files/download";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { getJobRun } from "@/lib/jobs/runs";
import type { TokenKind } from "@/lib/tokens/kinds";
import { daysAgo, hash } from "@/test/jobs/support";
import { storedFileContent } from "@/test/support/stored-files";
import { tokenRow } from "@/test/support/token-row";

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

/** An archived row: a metadata row of `kind` with its usage counters and when it was archived. */
function archiveRow(subject: string, archivedAt: Date, kind: TokenKind = "custom") {
  const jwtUuid = randomUUID();
  const createdAt = daysAgo(500);
  const row = tokenRow(kind, { jwtUuid, issuedAt: createdAt, expiresAt: daysAgo(499), subject, claimsJson: { sub: subject }, tokenHash: hash(jwtUuid) });
  return { ...row, id: randomUUID(), createdAt, useCount: 3, archivedAt };
}

test("archived rows older than TIM_ARCHIVE_DAYS are exported to stored JSON Lines files (copied to TIM_ARCHIVE_DIR), then deleted; newer ones stay", async () => {
  const subject = `purge-${randomUUID()}`;
  const client = await db();
  const old = Array.from({ length: 1_203 }, () => archiveRow(subject, daysAgo(400)));
  const recent = Array.from({ length: 4 }, () => archiveRow(subject, daysAgo(10)));
  await client.customJwtMetadataArchive.createMany({ data: [...old, ...recent] });
  const taraOld = archiveRow(subject, daysAgo(370), "tara");
  await client.taraJwtMetadataArchive.create({ data: taraOld });

  const state = await runArchivePurge({ trigger: "manual" });

  expect(await client.customJwtMetadataArchive.count({ where: { subject } })).toBe(recent.length);
  expect(await client.taraJwtMetadataArchive.count({ where: { subject } })).toBe(0);

  const run = await getJobRun(state.runId);
  const files = (run!.result as { files: Array<{ id: string; name: string; bytes: number; sha256: string; copy: string }> }).files;
  expect(files.map((f) => f.name)).toEqual([state.files.custom, state.files.tara]);
  const linesOf = async (name: string) => {
    const content = await storedFileContent(state.runId, name);
    const file = files.find((f) => f.name === name)!;
    expect(file).toMatchObject({ bytes: content.length, sha256: createHash("sha256").update(content).digest("hex") });
    // the copy in TIM_ARCHIVE_DIR is the stored file, whole
    expect(await readFile(file.copy)).toEqual(content);
    expect(path.dirname(file.copy)).toBe(path.resolve(dir));
    return content
      .toString("utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
  };
  const exported = (await linesOf(state.files.custom)).filter((l) => l.subject === subject);
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
  const taraLines = await linesOf(state.files.tara);
  expect(taraLines.filter((l) => l.subject === subject).map((l) => l.id)).toEqual([taraOld.id]);
  // nothing half-written left beside the copies
  expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);

  expect(run).toMatchObject({ job: "archive_purge", status: "succeeded" });
  expect(run!.counts["custom.jwt_metadata_archive"]).toBeGreaterThanOrEqual(old.length);

  // administrators download the stored file from any instance, audited; the console lists it
  const custom = files.find((f) => f.name === state.files.custom)!;
  expect((await listArchivePurgeFiles(50)).map((f) => f.id)).toContain(custom.id);
  const admin = { type: "administrator" as const, id: "EE38001085718" };
  const res = await storedFileDownloadResponse(custom.id, admin, `req-archive-${state.runId}`);
  expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${custom.name}"`);
  expect(res.headers.get("content-length")).toBe(String(custom.bytes));
  expect(res.headers.get("x-tim-sha256")).toBe(custom.sha256);
  expect(Buffer.from(await res.arrayBuffer())).toEqual(await storedFileContent(state.runId, custom.name));
  expect(await client.audit.findFirst({ where: { action: "files.download", requestId: `req-archive-${state.runId}` } })).toMatchObject({
    actorId: admin.id,
    target: { file_id: custom.id, run_id: state.runId },
    counts: { bytes: custom.bytes },
  });
  await expect(storedFileDownloadResponse(randomUUID(), admin)).rejects.toMatchObject({ status: 404 });
  await expect(storedFileDownloadResponse("../etc/passwd", admin)).rejects.toMatchObject({ status: 404 });
});
