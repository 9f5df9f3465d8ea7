import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { decodeJwt } from "jose";
import { signInAs } from "./tara-support";

// TARA spec §5.3: an administrator reads a login's three messages in the console; the reading is audited.
// The e2e instance runs with TIM_ADMIN_SUBJECTS=EE38001085718 (playwright.config.ts).

test("an administrator opens a TARA login's protocol log from its token; the reading is in the audit trail", async ({ page, context }) => {
  await signInAs(page, "EE38001085718", "/admin");
  const cookie = (await context.cookies()).find((c) => c.name === "TIM_TARA_JWT");
  expect(cookie).toBeDefined();
  const { jti } = decodeJwt(cookie!.value);

  await page.goto(`/admin/tokens/${jti}`);
  await page.getByTestId("protocol-log-link").click();
  await expect(page.getByRole("heading", { name: "TARA login" })).toBeVisible();
  const messages = page.getByTestId("protocol-message");
  await expect(messages).toHaveCount(3);
  await expect(messages.nth(0)).toHaveAttribute("data-message", "authentication_request");
  await expect(messages.nth(0).getByTestId("protocol-url")).toContainText("/oidc/authorize?");
  await expect(messages.nth(1).getByTestId("protocol-url")).toContainText("/auth/callback/tara?");
  await expect(messages.nth(2)).toContainText("ID token accepted");
  await expect(messages.nth(2)).toContainText('"sub": "EE38001085718"');
  await expect(page.getByTestId("protocol-log-audited")).toBeVisible();

  const [excerpt] = await Promise.all([page.waitForEvent("download"), page.getByTestId("protocol-log-download").click()]);
  expect(excerpt.suggestedFilename()).toMatch(/^tara-login-.*\.json$/);

  await page.goto("/admin/audit?action=tara.protocol_log.read");
  await expect(page.getByRole("cell", { name: "tara.protocol_log.read" }).first()).toBeVisible();

  // The audit trail with the protocol log, downloaded from the console.
  const [trail] = await Promise.all([page.waitForEvent("download"), page.getByTestId("audit-export").click()]);
  expect(trail.suggestedFilename()).toMatch(/^tim-audit-trail-.*\.jsonl$/);
  const records = (await readFile(await trail.path(), "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(records[0]).toMatchObject({ record: "export", protocol_log: true });
  expect(records.filter((r) => r.record === "tara_protocol").length).toBeGreaterThanOrEqual(3);
  expect(records.some((r) => r.record === "audit" && r.action === "tara.protocol_log.export")).toBe(true);
});
