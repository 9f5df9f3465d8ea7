import { expect, test } from "@playwright/test";
import { signInAs } from "./tara-support";

test("an end user signs in through the TARA stand-in, sees /me, ends the session and is signed out", async ({ page }) => {
  await signInAs(page, "EE60001017716");
  await expect(page.getByTestId("signed-in-as")).toContainText("MARY ÄNN O’CONNEŽ-ŠUSLIK TESTNUMBER (EE60001017716)");
  await expect(page.getByTestId("stand-in-banner")).toBeVisible();
  const row = page.locator('[data-testid="session-row"][data-status="active"]');
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("mID");
  await expect(row).toContainText("high");
  await expect(row).toContainText("this browser");
  // People tell their sessions apart by browser and place: Chromium on Linux, from this machine.
  await expect(row.getByTestId("session-device")).toContainText(/Chrom\w* \d+ on Linux/);
  await expect(row.getByTestId("session-address")).toHaveText("127.0.0.1");
  await expect(row).toContainText("(this computer)");
  // Last use, from the token-usage counters (test/tara/session-use.test.ts checks the sums).
  await expect(row.getByTestId("session-last-used")).toHaveText(/^(not used yet|.+ · \d+ uses?)$/);
  await page.screenshot({ path: "e2e/screenshots/tara-me.png", fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(row.getByTestId("session-device")).toBeVisible();
  await expect(row.getByTestId("session-address")).toBeVisible();
  await expect(row.getByTestId("session-last-used")).toBeVisible();
  const end = row.getByRole("button", { name: "End" });
  await end.scrollIntoViewIfNeeded();
  await expect(end).toBeInViewport();
  await page.screenshot({ path: "e2e/screenshots/tara-me-phone.png", fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin\?ended=1/);
  await expect(page.getByRole("status")).toContainText("You are signed out");

  // Signed out for good: /me sends the browser to sign in again.
  await page.goto("/me");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Fme/);
  const cookies = await page.context().cookies();
  expect(cookies.map((c) => c.name)).not.toContain("TIM_TARA_JWT");
});

test("ending all sessions signs out every browser of that person", async ({ browser }) => {
  const first = await browser.newPage();
  const second = await (await browser.newContext()).newPage();
  await signInAs(first, "EE60001019906");
  await signInAs(second, "EE60001019906");
  await first.reload();
  await expect(first.locator('[data-testid="session-row"][data-status="active"]')).toHaveCount(2);

  await first.getByRole("button", { name: "End all sessions" }).click();
  await first.getByTestId("end-all-confirm").getByRole("button", { name: "End all sessions" }).click();
  await expect(first).toHaveURL(/\/signin\?ended=1/);
  await second.goto("/me");
  await expect(second).toHaveURL(/\/signin\?callbackUrl=%2Fme/);
});

test("ending another session from /me revokes it and keeps this one", async ({ browser }) => {
  const first = await browser.newPage();
  const second = await (await browser.newContext()).newPage();
  await signInAs(first, "EE40404040009");
  await signInAs(second, "EE40404040009");
  await first.reload();
  // The second browser's session: the newest one that is not this browser's.
  const otherId = await first
    .locator('[data-testid="session-row"][data-status="active"]', { hasNot: first.getByText("this browser") })
    .first()
    .getAttribute("data-session-id");
  const other = first.locator(`[data-testid="session-row"][data-session-id="${otherId}"]`);
  // Asked first: cancelled, nothing ends; confirmed, that session ends.
  await other.getByRole("button", { name: "End" }).click();
  await expect(other.getByTestId("end-session-confirm")).toContainText("this one stays signed in");
  await other.getByTestId("end-session-confirm").getByRole("button", { name: "Cancel" }).click();
  await expect(other).toHaveAttribute("data-status", "active");
  await other.getByRole("button", { name: "End" }).click();
  await other.getByTestId("end-session-confirm").getByRole("button", { name: "End session" }).click();
  await expect(other).toHaveAttribute("data-status", "revoked");
  await expect(other).toContainText("ended_by_user");
  await expect(first.getByTestId("signed-in-as")).toBeVisible();
  await second.goto("/me");
  await expect(second).toHaveURL(/\/signin/);
});

test("cancelling at TARA returns to the sign-in page, saying so, and signs nobody in", async ({ page }) => {
  await page.goto("/signin");
  await page.getByRole("link", { name: "Sign in with TARA" }).click();
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page).toHaveURL(/\/signin\?.*error=cancelled/);
  await expect(page.getByRole("status")).toContainText("The TARA login was cancelled");
  await page.goto("/me");
  await expect(page).toHaveURL(/\/signin/);
});

test("the sign-in page asks TARA for the browser's language (ui_locales)", async ({ browser }) => {
  const context = await browser.newContext({ locale: "et-EE" });
  const page = await context.newPage();
  await page.goto("/signin");
  const href = await page.getByRole("link", { name: "Sign in with TARA" }).getAttribute("href");
  expect(new URLSearchParams(href!.split("?")[1]).get("ui_locales")).toBe("et");
  await context.close();
});
