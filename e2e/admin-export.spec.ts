import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { ADMIN, issueTokens, shot, signInAsAdmin, uniqueName } from "./admin-support";

// The e2e instance runs the in-process job runner: the export job runs inside TIM.

test("export in background: the job's progress shows on the search page, then the finished file downloads with every matching row", async ({
  page,
  request,
}) => {
  const name = uniqueName("bgexport");
  const issued = await issueTokens(request, name, 12);
  await signInAsAdmin(page, `/admin/tokens?jwt_name=${name}`);
  await expect(page.getByTestId("result-total")).toContainText("12");

  const form = page.getByTestId("export-background");
  await form.getByLabel("Format").selectOption("jsonl");
  await form.getByRole("button", { name: "Export in background" }).click();
  const outcome = page.getByTestId("export-background-result");
  await expect(outcome).toContainText("Exporting 12 tokens in the background");
  const runId = /job ([0-9a-f-]{36})/.exec((await outcome.textContent()) ?? "")?.[1];
  expect(runId).toBeTruthy();

  // the page refreshes itself while the job runs
  const row = page.locator(`[data-testid="export-job"][data-run-id="${runId}"]`);
  await expect(row).toContainText("succeeded", { timeout: 30_000 });
  await expect(row).toContainText("12 / 12");
  await shot(page, "admin-export-background");
  // the archive-purge files (stored in the database like the exports) are listed beside them
  await expect(page.getByTestId("archive-files")).toBeVisible();

  const download = page.waitForEvent("download");
  await row.getByTestId("export-download").click();
  const file = await (await download).path();
  const rows = readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { jwt_uuid: string; jwt_name: string });
  expect(rows).toHaveLength(12);
  expect(new Set(rows.map((r) => r.jwt_uuid))).toEqual(new Set(issued.map((t) => t.jti)));
  expect(rows.every((r) => r.jwt_name === name)).toBe(true);

  // the download without a session is refused
  const anonymous = await request.get(`/admin/exports/${runId}`, { headers: { cookie: "" } });
  expect(anonymous.status()).toBe(401);

  await page.goto(`/admin/audit?action=tokens.export.download&actor=${ADMIN}`);
  await expect(page.getByTestId("audit-table")).toContainText(name);
  await page.goto(`/admin/audit?action=tokens.export.queued&actor=${ADMIN}`);
  await expect(page.getByTestId("audit-table")).toContainText(name);
});
