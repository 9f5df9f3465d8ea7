import { expect, type Page } from "@playwright/test";

/** Signs in through TIM's sign-in page and the TARA stand-in's persona page; ends on `landing`. */
export async function signInAs(page: Page, personalCode: string, startAt = "/me", landing = startAt): Promise<void> {
  await page.goto(startAt);
  await expect(page).toHaveURL(/\/signin\?callbackUrl=/);
  await expect(page.getByTestId("stand-in-banner")).toBeVisible();
  await page.getByRole("link", { name: "Sign in with TARA" }).click();
  // The stand-in's login page: one button per test identity, and Cancel.
  await expect(page.getByText("logins here are SIMULATED")).toBeVisible();
  await page.locator(`button[data-persona="${personalCode}"]`).click();
  await page.waitForURL((url) => url.pathname === landing, { timeout: 30_000 });
}
