import { expect, test } from "@playwright/test";
import { API_AUTH, ADMIN, extendToken, shot, signInAsAdmin, uniqueName } from "./admin-support";
import { signInAs } from "./tara-support";

// Issue 17: the console's subject view (statistics, recent tokens, log out everywhere) and the retention page,
// at 1366 px and 390 px. The e2e instance runs with TIM_ADMIN_SUBJECTS=EE38001085718 (playwright.config.ts).

/** A stand-in persona no other spec counts sessions of: its TARA sessions are ended here. */
const PERSON = "EE60001017716";
const WIDTHS = [
  { width: 1366, height: 900 },
  { width: 390, height: 844 },
];

async function noSidewaysGrowth(page: import("@playwright/test").Page): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
}

test("subject view: statistics, recent tokens linking to their detail, and log out everywhere", async ({ page, browser, request }) => {
  // A clean start (the e2e data directory outlives a run): the person's earlier tokens and sessions end, through the API.
  for (const kind of ["custom", "tara"]) {
    const res = await request.post(`/jwt/${kind}/revoke/subject`, {
      headers: { authorization: API_AUTH },
      data: { subject: PERSON, reason: "e2e: clean start" },
    });
    expect(res.status()).toBe(200);
  }
  const before = await (await request.get(`/api/reports/subjects/${PERSON}`, { headers: { authorization: API_AUTH } })).json();
  expect(before.all.active).toBe(0);

  // The person signs in through TARA in a browser of their own: one live TARA session.
  const personContext = await browser.newContext();
  const personPage = await personContext.newPage();
  await signInAs(personPage, PERSON);
  await expect(personPage).toHaveURL(/\/me/);

  // Two custom tokens for the same subject, one of them extended (its first version is then superseded).
  const name = uniqueName("subj");
  const issued = [];
  for (let i = 0; i < 2; i++) {
    const res = await request.post("/jwt/custom/generate", {
      headers: { authorization: API_AUTH },
      data: { JWTName: name, content: { sub: PERSON }, expirationInMinutes: 60 },
    });
    expect(res.status()).toBe(200);
    issued.push((await res.json()).token as string);
  }
  const extended = await extendToken(request, issued[0]);

  await signInAsAdmin(page, "/admin/subjects");
  await page.getByRole("textbox", { name: "Subject" }).fill(PERSON);
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/subjects/${PERSON}$`));
  await expect(page.getByRole("heading", { name: `Subject ${PERSON}` })).toBeVisible();

  const stats = page.getByTestId("subject-statistics");
  await expect(stats.getByTestId("custom-active")).toHaveText("2");
  await expect(stats.getByTestId("tara-active")).not.toHaveText("0");
  await expect(stats.locator("tr", { hasText: "custom" }).locator("td").nth(2)).toHaveText(String(before.kinds.custom.superseded + 1)); // superseded
  await expect(page.getByTestId("subject-tokens")).toContainText("superseded");

  for (const size of WIDTHS) {
    await page.setViewportSize(size);
    await expect(page.getByTestId("logout-everywhere")).toBeVisible();
    await noSidewaysGrowth(page);
    await shot(page, `admin-subject-${size.width}`);
  }
  await page.setViewportSize(WIDTHS[0]);

  // A recent token links to its detail page.
  await page
    .getByTestId("subject-tokens")
    .getByRole("link", { name: new RegExp(extended.jti.slice(0, 8)) })
    .click();
  await expect(page).toHaveURL(new RegExp(`/admin/tokens/${extended.jti}$`));
  await page.goBack();

  // The dialog names what happens; Cancel sends nothing, its confirm button ends them.
  const form = page.getByTestId("logout-everywhere");
  await expect(page.getByTestId("logout-everywhere-summary")).toContainText("2 active custom tokens");
  await expect(page.getByTestId("logout-everywhere-summary")).toContainText(PERSON);
  await form.getByLabel("Reason").fill("e2e: device lost");
  await form.getByRole("button", { name: "Log out everywhere" }).click();
  const dialog = page.getByTestId("logout-everywhere-confirm");
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("2 active custom tokens");
  await expect(dialog).toContainText(PERSON);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByTestId("logout-everywhere-result")).toHaveCount(0);
  await form.getByRole("button", { name: "Log out everywhere" }).click();
  await dialog.getByRole("button", { name: "Log out everywhere" }).click();
  await expect(page.getByTestId("logout-everywhere-result")).toContainText(/2 custom tokens and \d+ TARA sessions? revoked/);

  await page.reload();
  await expect(page.getByTestId("subject-statistics").getByTestId("all-active")).toHaveText("0");
  await expect(page.getByText("there is nothing to end")).toBeVisible();

  // The tokens are refused now, and the person's browser is signed out.
  const check = await request.post("/jwt/custom/validate/boolean", { headers: { authorization: API_AUTH }, data: { token: extended.token } });
  expect(await check.text()).toBe("false");
  await personPage.goto("/me");
  await expect(personPage).not.toHaveURL(/\/me$/);
  await personContext.close();

  // Audited as the administrator's, with the reason.
  await page.goto(`/admin/audit?action=tokens.revoke&actor=${ADMIN}`);
  await expect(page.getByTestId("audit-table")).toContainText("e2e: device lost");
});

test("retention page: settings with their source, the 7-day floor, run now and its run listed", async ({ page }) => {
  await signInAsAdmin(page, "/admin/retention");
  await expect(page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Retention" })).toHaveAttribute("aria-current", "page");
  const settings = page.getByTestId("retention-settings");
  await expect(settings).toBeVisible();

  const form = page.getByTestId("retention-form");
  // The browser's own check (min=7) is bypassed to see the server refuse too.
  await form.locator("input[name=customDays]").evaluate((e) => e.removeAttribute("min"));
  await form.locator("input[name=customDays]").fill("3");
  await form.getByRole("button", { name: "Save retention" }).click();
  await expect(page.getByTestId("retention-form-result")).toContainText("at least 7 days");

  await form.locator("input[name=customDays]").fill("45");
  await form.getByLabel("Reason (optional)").fill("e2e: keep longer");
  await form.getByRole("button", { name: "Save retention" }).click();
  await expect(page.getByTestId("retention-form-result")).toContainText("custom tokens 45 days");
  await page.reload();
  await expect(page.getByTestId("retention-customDays")).toContainText("45");
  await expect(page.getByTestId("retention-customDays")).toContainText("console override");

  await page.getByTestId("retention-run").getByRole("button", { name: "Run retention now" }).click();
  await expect(page.getByTestId("retention-run-result")).toContainText("requested");
  await expect
    .poll(
      async () => {
        await page.reload();
        return (
          (await page
            .getByTestId("retention-runs")
            .locator("tbody tr")
            .first()
            .textContent()
            .catch(() => "")) ?? ""
        );
      },
      { timeout: 30_000 },
    )
    .toMatch(new RegExp(`console.*${ADMIN}.*succeeded`));

  for (const size of WIDTHS) {
    await page.setViewportSize(size);
    await expect(page.getByTestId("retention-runs")).toBeAttached();
    await noSidewaysGrowth(page);
    await shot(page, `admin-retention-${size.width}`);
  }

  await page.goto("/admin/audit?action=settings.retention.update");
  await expect(page.getByTestId("audit-table")).toContainText("e2e: keep longer");
});
