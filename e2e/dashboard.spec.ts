import { expect, test } from "@playwright/test";
import { issueTokens, signInAsAdmin, uniqueName } from "./admin-support";

// Issue 19 §2, dashboard: a time range choice, and a drill-down from the chart to the tokens of that day.

test("the dashboard's time range (7/30/90 days) and a day of the chart opening the tokens issued that day", async ({ page, request }) => {
  const name = uniqueName("dash");
  await issueTokens(request, name, 2);
  await signInAsAdmin(page, "/admin?days=7");
  const range = page.getByRole("navigation", { name: "Time range" });
  await expect(range.getByRole("link", { name: "7 days" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByText("Issued (7 days)")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Issuance and revocations (last 7 days)" })).toBeVisible();

  await range.getByRole("link", { name: "90 days" }).click();
  await expect(page).toHaveURL(/\/admin\?days=90$/);
  await expect(page.getByText("Issued (90 days)")).toBeVisible();

  // today's column: the last day of the chart
  const today = new Date().toISOString().slice(0, 10);
  await page
    .getByTestId("issued-chart")
    .getByRole("link", { name: new RegExp(`^${today}:`) })
    .click();
  await expect(page).toHaveURL(new RegExp(`/admin/tokens\\?issued_from=${today}&issued_to=${today}$`));
  await expect(page.getByRole("cell", { name: `${name}-user-0` }).first()).toBeVisible();
});
