import { expect, test } from "@playwright/test";
import { signInAs } from "./tara-support";

// The e2e instance runs with TIM_ADMIN_SUBJECTS=EE38001085718 (playwright.config.ts).

test("an administrator signs in through the stand-in and reaches /admin", async ({ page }) => {
  await signInAs(page, "EE38001085718", "/admin");
  await expect(page.getByTestId("admin-greeting")).toContainText("JAAK-KRISTJAN JÕEORG (EE38001085718)");
  await page.screenshot({ path: "e2e/screenshots/tara-admin.png", fullPage: true });
});

test("an end user is refused at /admin", async ({ page }) => {
  await signInAs(page, "EE60001017869");
  const res = await page.goto("/admin");
  expect(res?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "403 · Administrators only" })).toBeVisible();
  await expect(page.getByTestId("admin-greeting")).toHaveCount(0);
});
