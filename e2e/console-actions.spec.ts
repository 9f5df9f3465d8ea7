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
  await expect(page.getByRole("heading", { level: 1 }).locator("..")).toContainText("revoked");
  const validate = await request.post("/jwt/custom/validate", { data: { token: token.token }, headers: { authorization: `Basic ${Buffer.from("e2e-client:e2e-client-secret-0123456789").toString("base64")}` } });
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
