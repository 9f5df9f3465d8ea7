import { expect, test, type Page } from "@playwright/test";
import { issueTokens, shot, signInAsAdmin, submitConfirmed, uniqueName } from "./admin-support";

// Issue 19 §2: irreversible actions ask first and say what will happen; refused input is marked beside its
// field, in words; after an action the page shows the new state.

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

async function createClient(page: Page, clientId: string): Promise<string> {
  const form = page.getByTestId("create-client");
  await form.getByLabel("Client id (optional)").fill(clientId);
  await form.getByLabel("Name").fill("Confirmation test");
  await form.getByLabel("reports:read").check();
  await form.getByRole("button", { name: "Create client" }).click();
  await expect(page.getByTestId("client-secret-value")).not.toBeEmpty();
  return (await page.getByTestId("client-secret-value").textContent())!.trim();
}

test("a new client secret asks first: cancelled, the old secret keeps working; confirmed, only the new one works", async ({ page }) => {
  const clientId = uniqueName("e2e-confirm");
  await signInAsAdmin(page, "/admin/clients");
  const oldSecret = await createClient(page, clientId);
  await page.reload();

  await page.getByTestId(`new-secret-${clientId}`).getByRole("button", { name: "New secret" }).click();
  const dialog = page.getByTestId(`new-secret-${clientId}-confirm`);
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("heading")).toContainText(clientId);
  await expect(dialog).toContainText("stop working at once");
  // The safe choice has the focus: Enter does not issue a secret.
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await shot(page, "console-confirm-dialog");
  await page.keyboard.press("Enter");
  await expect(dialog).toBeHidden();
  expect((await page.request.get("/api/reports/stats", { headers: { authorization: basic(clientId, oldSecret) } })).status()).toBe(200);

  await submitConfirmed(page, `new-secret-${clientId}`, "New secret", "Issue a new secret");
  await expect(page.getByTestId(`new-secret-${clientId}-result`)).toContainText("the old one no longer works");
  const newSecret = (await page.getByTestId(`new-secret-${clientId}-result`).getByTestId("client-secret-value").textContent())!.trim();
  expect((await page.request.get("/api/reports/stats", { headers: { authorization: basic(clientId, oldSecret) } })).status()).toBe(401);
  expect((await page.request.get("/api/reports/stats", { headers: { authorization: basic(clientId, newSecret) } })).status()).toBe(200);
});

test("refused input is marked beside its field, in words, and focused", async ({ page }) => {
  await signInAsAdmin(page, "/admin/clients");
  const form = page.getByTestId("create-client");
  await form.getByLabel("Name").fill("Too fast");
  await form.getByLabel("Rate limit (requests per minute)").fill("200000000");
  // No scope ticked: the group is marked too.
  await form.getByRole("button", { name: "Create client" }).click();

  const rate = form.getByLabel("Rate limit (requests per minute)");
  await expect(rate).toHaveAttribute("aria-invalid", "true");
  const describedBy = (await rate.getAttribute("aria-describedby"))!.split(" ");
  await expect(page.locator(`[id="${describedBy[0]}"]`)).toHaveText("Must be at most 100,000,000.");
  await expect(form.getByRole("alert")).toContainText("Not done: correct the marked fields.");
  await expect(form.getByRole("alert")).toContainText("Rate limit (requests per minute): must be at most 100,000,000");
  // The schema's field name never reaches the page.
  await expect(page.getByText("rateLimitPerMinute")).toHaveCount(0);
  await expect(form.getByRole("alert")).toContainText("Scopes: choose at least one scope");
  await expect(form.getByRole("group", { name: "Scopes" })).toHaveAttribute("data-invalid", "true");
  // The first marked field in the page's order has the focus.
  await expect(form.getByRole("group", { name: "Scopes" }).locator(":focus")).toHaveCount(1);
  await expect(form.getByLabel("Name")).not.toHaveAttribute("aria-invalid", "true");
  await shot(page, "console-field-error");

  // Corrected, the same form succeeds and the marks go.
  await rate.fill("600");
  await form.getByLabel("reports:read").check();
  await form.getByRole("button", { name: "Create client" }).click();
  await expect(form.getByRole("status")).toContainText("created");
  await expect(rate).not.toHaveAttribute("aria-invalid", "true");
});

test("revoking on the token's page asks, then the page shows it revoked without a reload", async ({ page, request }) => {
  const [token] = await issueTokens(request, uniqueName("detail-revoke"), 1);
  await signInAsAdmin(page, `/admin/tokens/${token.jti}`);
  await page.getByTestId("revoke-detail").getByLabel("Reason").fill("e2e detail revocation");
  await page.getByTestId("revoke-detail").getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByTestId("revoke-detail-confirm")).toContainText(token.jti);
  await page.getByTestId("revoke-detail-confirm").getByRole("button", { name: "Revoke token" }).click();

  await expect(page.getByTestId("revocation")).toContainText("e2e detail revocation");
  await expect(page.getByTestId("revoke-detail")).toHaveCount(0);
  // The only version is current but revoked: not marked as in use.
  await expect(page.getByTestId("chain-version")).toHaveAttribute("data-current", "true");
  await expect(page.getByTestId("chain-version")).not.toHaveAttribute("data-live", "true");
  // Fields by their names in words; the claims' instants also as dates.
  const metadata = page.locator('section[aria-labelledby="metadata"] dt');
  await expect(metadata.filter({ hasText: "Token id (jti)" })).toHaveCount(1);
  await expect(metadata.filter({ hasText: /^(jwtUuid|useCount|issuedAt)$/ })).toHaveCount(0);
  await expect(page.getByTestId("claim-times")).toContainText("Expires (exp)");
  await expect(page.getByTestId("claim-times")).toContainText("Issued at (iat)");
  await expect(page.getByRole("heading", { level: 1 }).locator("..")).toContainText("revoked");
  const validate = await request.post("/jwt/custom/validate", {
    data: { token: token.token },
    headers: { authorization: `Basic ${Buffer.from("e2e-client:e2e-client-secret-0123456789").toString("base64")}` },
  });
  expect((await validate.json()).valid).toBe(false);
});

test("administrators: a code without its country prefix is marked; removing one asks first", async ({ page }) => {
  const code = `EE${Math.floor(3e10 + Math.random() * 9e9)}`;
  await signInAsAdmin(page, "/admin/administrators");
  const grant = page.getByTestId("grant-administrator");
  await grant.getByLabel("Personal code").fill(code.slice(2));
  await grant.getByRole("button", { name: "Grant" }).click();
  await expect(grant.getByLabel("Personal code")).toHaveAttribute("aria-invalid", "true");
  await expect(grant.locator("[data-field-error]")).toContainText("EE");

  await grant.getByLabel("Personal code").fill(code);
  await grant.getByRole("button", { name: "Grant" }).click();
  await expect(grant.getByRole("status")).toContainText(`${code} is now an administrator`);
  await page.reload();
  const row = page.locator(`[data-testid="administrator"][data-subject="${code}"]`);
  await expect(row).toHaveCount(1);

  await row.getByRole("button", { name: "Remove" }).click();
  await expect(page.getByTestId(`remove-${code}-confirm`)).toContainText(`${code} loses the console`);
  await page.getByTestId(`remove-${code}-confirm`).getByRole("button", { name: "Cancel" }).click();
  await expect(row).toHaveCount(1);
  await submitConfirmed(page, `remove-${code}`, "Remove", "Remove administrator");
  await expect(row).toHaveCount(0);
});

test("the audit log reads in words: who and from where, what it named, and a revocation that changed nothing", async ({ page, request }) => {
  const [token] = await issueTokens(request, uniqueName("audit-words"), 1);
  await signInAsAdmin(page, "/admin/revoke");
  for (const _ of [1, 2]) {
    await page.getByTestId("revoke-one").getByLabel("Token id (jti) or the whole token").fill(token.jti);
    await page.getByTestId("revoke-one").getByLabel("Reason").fill("e2e audit words");
    await submitConfirmed(page, "revoke-one", "Revoke token", "Revoke token");
    await expect(page.getByTestId("revoke-one-result")).toContainText("revoked");
  }

  await page.goto(`/admin/audit?action=tokens.revoke&jwt_uuid=${token.jti}`);
  const rows = page.getByTestId("audit-row");
  await expect(rows).toHaveCount(2);
  // Newest first: the second revocation left the token as it was, and says so.
  await expect(rows.nth(0)).toHaveAttribute("data-outcome", "no_change");
  await expect(rows.nth(0).getByTestId("audit-outcome")).toHaveText("No change: 1 already revoked");
  await expect(rows.nth(1).getByTestId("audit-outcome")).toContainText("1 revoked");
  await expect(rows.nth(0)).toContainText("Revoked tokens");
  await expect(rows.nth(0).getByRole("link", { name: token.jti })).toHaveAttribute("href", `/admin/tokens/${token.jti}`);
  await expect(rows.nth(0).getByTestId("audit-address")).toHaveText(/^from (127\.0\.0\.1|::1)$/);
  // The request id of the console action is filled in, and no raw JSON is shown.
  await expect(rows.nth(0).getByTestId("audit-request")).not.toHaveText("—");
  await expect(rows.nth(0)).not.toContainText("{");

  // On a phone the entries are a list of labelled cards: nothing to scroll sideways.
  const desktop = page.viewportSize()!;
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(rows.nth(0).getByText("Outcome:")).toBeVisible();
  expect(await page.getByTestId("audit-table").evaluate((t) => t.scrollWidth - t.parentElement!.clientWidth)).toBeLessThanOrEqual(0);
  await shot(page, "console-audit-390");
  await page.setViewportSize(desktop);
  await expect(rows.nth(0).getByText("Outcome:")).toBeHidden();

  await page.goto("/admin/audit?action=web.sign_in&actor=EE38001085718");
  await expect(page.getByTestId("audit-row").first()).toContainText("Signed in");
  await expect(page.getByTestId("audit-row").first().getByTestId("audit-address")).toHaveText(/^from /);
  await expect(page.getByTestId("audit-row").first().getByTestId("audit-request")).not.toHaveText("—");
  await shot(page, "console-audit-words");

  // Signing out is recorded too, before the session ends.
  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/signin\?ended=1/);
  await signInAsAdmin(page, "/admin/audit?action=web.sign_out&actor=EE38001085718");
  await expect(page.getByTestId("audit-row").first()).toContainText("Signed out");
  await expect(page.getByTestId("audit-row").first().getByTestId("audit-address")).toHaveText(/^from /);
});

test.describe("times", () => {
  test.use({ timezoneId: "Europe/Tallinn" });

  test("are shown in the viewer's time zone with UTC on hover, or in UTC by the header's switch, kept across pages", async ({ page, request }) => {
    const [token] = await issueTokens(request, uniqueName("times"), 1);
    await signInAsAdmin(page, `/admin/tokens/${token.jti}`);
    const first = page.locator("time").first();
    await expect(first).toHaveAttribute("data-zone", "local");
    // December in Tallinn: EET, UTC+2.
    await expect(first).toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} (EET|GMT\+2)$/);
    await expect(first).toHaveAttribute("title", /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
    const iso = (await first.getAttribute("datetime"))!;
    const utcHour = new Date(iso).getUTCHours();
    expect(Number((await first.textContent())!.slice(11, 13))).toBe((utcHour + 2) % 24);

    const zoneSwitch = page.getByTestId("time-zone-switch");
    await zoneSwitch.getByRole("button", { name: "UTC" }).click();
    await expect(zoneSwitch.getByRole("button", { name: "UTC" })).toHaveAttribute("aria-pressed", "true");
    await expect(first).toHaveText(/ UTC$/);
    await expect(first).toHaveAttribute("title", /(EET|GMT\+2)$/);
    await page.goto("/admin/audit");
    await expect(page.locator("time").first()).toHaveText(/ UTC$/);
    await page.getByTestId("time-zone-switch").getByRole("button", { name: "Local time" }).click();
    await expect(page.locator("time").first()).toHaveText(/(EET|GMT\+2)$/);
  });
});

test("a subject's tokens lead to the subject's view, which offers log out everywhere", async ({ page, request }) => {
  const name = uniqueName("to-subject");
  const [token] = await issueTokens(request, name, 1);
  const subject = `${name}-user-0`;
  await signInAsAdmin(page, `/admin/tokens?subject=${encodeURIComponent(subject)}`);
  await expect(page.getByTestId("token-table")).toContainText(token.jti);
  await page.getByTestId("subject-view-link").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Subject ${subject}`);
  await expect(page.getByTestId("logout-everywhere")).toBeVisible();
});
