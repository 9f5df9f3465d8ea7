import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { ADMIN, API_AUTH, extendToken, issueTokens, shot, signInAsAdmin, submitConfirmed, uniqueName } from "./admin-support";
import { signInAs } from "./tara-support";

// The e2e instance runs with TIM_ADMIN_SUBJECTS=EE38001085718 and the bootstrap
// client e2e-client (playwright.config.ts).

test("dashboard: figures, issued-per-day chart, health checks", async ({ page, request }) => {
  await issueTokens(request, uniqueName("dash"), 3);
  await signInAsAdmin(page, "/admin");
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByTestId("issued-chart")).toBeVisible();
  await expect(page.getByTestId("health-checks")).toContainText("Denylist entries whose token has no metadata row");
  await shot(page, "admin-dashboard");
});

test("search with filters in the URL, paging, bad filter message, export download with all rows", async ({ page, request }) => {
  const name = uniqueName("search");
  const issued = await issueTokens(request, name, 25);
  await signInAsAdmin(page, "/admin/tokens");

  await page.getByRole("textbox", { name: "JWT name" }).fill(name);
  await page.getByLabel("Rows per page").selectOption("20");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(new RegExp(`jwt_name=${name}`));
  await expect(page.getByTestId("result-total")).toContainText("1–20 of 25");
  await expect(page.getByTestId("token-table").locator("tbody tr")).toHaveCount(20);
  await expect(page.getByTestId("prev-page")).toHaveCount(0);
  await shot(page, "admin-tokens");

  await page.getByTestId("next-page").click();
  await expect(page.getByTestId("token-table").locator("tbody tr")).toHaveCount(5);
  await expect(page.getByTestId("result-total")).toContainText("21–25 of 25");
  await expect(page.getByTestId("next-page")).toHaveCount(0);
  // Previous keeps the filters and says where it is again.
  await page.getByTestId("prev-page").click();
  await expect(page).toHaveURL(new RegExp(`jwt_name=${name}`));
  await expect(page.getByTestId("result-total")).toContainText("1–20 of 25");
  await expect(page.getByTestId("token-table").locator("tbody tr")).toHaveCount(20);

  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByTestId("token-table")).toBeVisible();
  await shot(page, "admin-tokens-phone");
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.goto(`/admin/tokens?jwt_name=${name}&status=revoked`);
  await expect(page.getByText("No token matches these filters.")).toBeVisible();

  await page.goto(`/admin/tokens?issued_from=last-tuesday`);
  await expect(page.getByTestId("filter-error")).toContainText("issued_from");

  await page.goto(`/admin/tokens?jwt_name=${name}`);
  const download = page.waitForEvent("download");
  await page.getByTestId("export-csv").click();
  const file = await (await download).path();
  const lines = readFileSync(file, "utf8").trim().split("\n");
  expect(lines[0]).toMatch(/^kind,token_type,jwt_uuid/);
  expect(lines).toHaveLength(26);
  for (const t of issued) expect(lines.some((l) => l.includes(t.jti))).toBe(true);

  await page.goto(`/admin/audit?action=tokens.export&actor=${ADMIN}`);
  await expect(page.getByTestId("audit-table")).toContainText(name);
});

test("search by subject prefix and contains, audience column and filter, client address and CIDR, superseded status", async ({ page, request }) => {
  const name = uniqueName("find");
  const audience = `${name}-aud`;
  const issued = await issueTokens(request, name, 12, { aud: audience });
  const extended = await extendToken(request, issued[0].token);
  await signInAsAdmin(page, "/admin/tokens");

  // Subjects are `${name}-user-0` … `-11`: "starts with …-user-1" finds -1, -10 and -11.
  await page.getByRole("textbox", { name: "Subject" }).fill(`${name}-user-1`);
  await page.getByLabel("Subject: how it matches").selectOption("prefix");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/subject_match=prefix/);
  await expect(page.getByTestId("result-total")).toContainText("1–3 of 3");
  const rows = page.getByTestId("token-table").locator("tbody tr");
  await expect(rows).toHaveCount(3);
  await expect(page.getByTestId("token-audience").first()).toHaveText(audience);
  // Issued through Playwright's API context on this machine: the loopback address, named.
  await expect(page.getByTestId("token-origin").first()).toContainText("127.0.0.1");
  await expect(page.getByTestId("token-origin").first()).toContainText("this computer");
  await shot(page, "admin-tokens-search");

  // contains, any case: "USER-1" finds the same three
  await page.goto(`/admin/tokens?subject=${encodeURIComponent(`${name.slice(2)}-USER-1`)}&subject_match=contains`);
  await expect(rows).toHaveCount(3);

  await page.goto(`/admin/tokens?audience=${audience}&status=superseded`);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(issued[0].jti);
  await expect(rows.first()).toContainText("superseded");
  await page.goto(`/admin/tokens?audience=${audience}&status=active&address=127.0.0.0/8`);
  await expect(page.getByTestId("result-total")).toContainText("of 12");
  await expect(page.getByTestId("token-table")).toContainText(extended.jti);
  await page.goto(`/admin/tokens?audience=${audience}&address=192.0.2.0/24`);
  await expect(page.getByText("No token matches these filters.")).toBeVisible();
  await page.goto(`/admin/tokens?address=10.0.0.0/99`);
  await expect(page.getByTestId("filter-error")).toContainText("not an IP address or CIDR range");

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`/admin/tokens?audience=${audience}`);
  await expect(page.getByTestId("token-table")).toBeVisible();
  await expect(page.getByRole("textbox", { name: "Client address" })).toBeVisible();
  await shot(page, "admin-tokens-search-phone");
  await page.setViewportSize({ width: 1280, height: 800 });

  // token detail: where it came from, and the superseded version
  await page.goto(`/admin/tokens/${issued[0].jti}`);
  await expect(page.getByTestId("origin-address")).toContainText("127.0.0.1");
  await expect(page.getByTestId("origin-address")).toContainText("this computer");
});

test("token detail draws a 3-version extension chain with the current version marked", async ({ page, request }) => {
  const [v1] = await issueTokens(request, uniqueName("chain"), 1);
  const v2 = await extendToken(request, v1.token);
  const v3 = await extendToken(request, v2.token);
  await signInAsAdmin(page, `/admin/tokens/${v2.jti}`);
  const versions = page.getByTestId("chain-version");
  await expect(versions).toHaveCount(3);
  await expect(versions.nth(0)).toContainText(v1.jti);
  await expect(versions.nth(0)).toContainText("superseded");
  await expect(versions.nth(2)).toContainText(v3.jti);
  await expect(versions.nth(2)).toHaveAttribute("data-current", "true");
  await expect(versions.nth(2)).toContainText("current");
  await expect(page.getByTestId("revocation")).toContainText("extended");
  await shot(page, "admin-token-chain");
});

test("revoke one token, then a query in bulk after preview and typed count", async ({ page, request }) => {
  const [single] = await issueTokens(request, uniqueName("single"), 1);
  const bulkName = uniqueName("bulk");
  await issueTokens(request, bulkName, 7);
  await signInAsAdmin(page, "/admin/revoke");

  const one = page.getByTestId("revoke-one");
  await one.getByLabel("Token id (jti) or the whole token").fill(single.token);
  await one.getByLabel("Reason").fill("e2e single revocation");
  await submitConfirmed(page, "revoke-one", "Revoke token", "Revoke token");
  await expect(page.getByTestId("revoke-one-result")).toContainText("1 revoked");

  await page.getByRole("textbox", { name: "JWT name" }).fill(bulkName);
  await page.getByRole("button", { name: "Preview matching tokens" }).click();
  await expect(page.getByTestId("revoke-preview-count")).toHaveText("7");
  const bulk = page.getByTestId("revoke-query");
  await bulk.getByLabel("Reason").fill("e2e incident");
  await bulk.getByLabel("Type 7 to confirm").fill("6");
  await bulk.getByRole("button", { name: "Revoke all matching tokens" }).click();
  await expect(page.getByTestId("revoke-query-result")).toContainText("not 6");
  await shot(page, "admin-revoke");
  await bulk.getByLabel("Type 7 to confirm").fill("7");
  await bulk.getByRole("button", { name: "Revoke all matching tokens" }).click();
  // The page comes back re-counted, with the outcome as the audit trail recorded it.
  await expect(page.getByTestId("revoke-query-done")).toContainText("7 tokens revoked");
  await expect(page.getByTestId("revoke-query-done")).toContainText("e2e incident");
  await expect(page.getByTestId("revoke-preview-count")).toHaveText("0");

  await page.goto(`/admin/tokens?jwt_name=${bulkName}&status=revoked`);
  await expect(page.getByTestId("result-total")).toContainText("7");
  const validate = await request.post("/jwt/custom/validate", { data: { token: single.token }, headers: { authorization: API_AUTH } });
  expect((await validate.json()).valid).toBe(false);
});

test("keys: rotate now schedules the new key after the publish lead; an emergency rotation switches at once, the old key stays published", async ({ page }) => {
  await signInAsAdmin(page, "/admin/keys");
  const before = (await page.getByTestId("active-key").locator("td").first().textContent())?.trim();
  await submitConfirmed(page, "rotate-key", "Rotate now", "Rotate");
  // A fresh next key: published now, it signs only after the JWKS max-age (default lead).
  await expect(page.getByTestId("rotate-key-result")).toContainText("starts signing at");
  await page.reload();
  await expect(page.getByTestId("key-signs-from")).toHaveCount(1);
  expect((await page.getByTestId("active-key").locator("td").first().textContent())?.trim()).toBe(before);

  // Cancelled in its dialog, nothing happens; confirmed, the new key signs at once.
  await page.getByTestId("emergency-rotate-key").getByRole("button", { name: "Emergency rotation" }).click();
  await expect(page.getByTestId("emergency-rotate-key-confirm")).toContainText("Verifiers that cached the key set refuse its tokens");
  await page.getByTestId("emergency-rotate-key-confirm").getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByTestId("emergency-rotate-key-result")).toHaveCount(0);
  await submitConfirmed(page, "emergency-rotate-key", "Emergency rotation", "Switch keys now");
  await expect(page.getByTestId("emergency-rotate-key-result")).toContainText("signs from now on");
  await page.reload();
  const after = (await page.getByTestId("active-key").locator("td").first().textContent())?.trim();
  expect(after).not.toBe(before);
  await expect(page.getByTestId("jwks")).toContainText(before!);
  await shot(page, "admin-keys");
});

test("API clients: create with the secret shown once, then disable", async ({ page }) => {
  const clientId = uniqueName("e2e-console-client");
  await signInAsAdmin(page, "/admin/clients");
  const form = page.getByTestId("create-client");
  await form.getByLabel("Client id (optional)").fill(clientId);
  await form.getByLabel("Name").fill("Console-made client");
  // Least privilege: a new client starts with no scope ticked (issue 12 section 6).
  await expect(form.locator('input[name="scopes"]:checked')).toHaveCount(0);
  await form.getByLabel("reports:read").check();
  await form.getByLabel("Allowed audiences").fill("svc-a\nsvc-b");
  await form.getByLabel("Maximum token lifetime (minutes)").fill("30");
  await form.getByRole("button", { name: "Create client" }).click();
  await expect(page.getByTestId("client-secret-value")).not.toBeEmpty();
  const secret = (await page.getByTestId("client-secret-value").textContent())!.trim();
  await shot(page, "admin-clients");

  const res = await page.request.get("/api/reports/stats", { headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString("base64")}` } });
  expect(res.status()).toBe(200);

  await page.reload();
  await expect(page.getByTestId(`client-${clientId}`)).toContainText("svc-a, svc-b");
  await expect(page.getByText(secret)).toHaveCount(0);
  await submitConfirmed(page, `toggle-${clientId}`, "Disable", "Disable client");
  await expect(page.getByTestId(`toggle-${clientId}-result`)).toContainText("disabled");
});

test("audit log: entries and an intact hash chain", async ({ page }) => {
  await signInAsAdmin(page, "/admin/audit");
  await expect(page.getByTestId("audit-verification")).toContainText("Hash chain intact");
  await expect(page.getByTestId("audit-table")).toBeVisible();
  await shot(page, "admin-audit");
});

test("an end user cannot reach the console or its download", async ({ page }) => {
  await signInAs(page, "EE60001017869");
  for (const path of ["/admin", "/admin/tokens", "/admin/revoke"]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { name: "403 · Administrators only" })).toBeVisible();
  }
  const res = await page.request.get("/admin/tokens/export?format=csv");
  expect(res.status()).toBe(403);
  await shot(page, "admin-refused");
  // The 403 page says what to do and offers a sign-out, to come back as someone else.
  await expect(page.getByText("an administrator grants the role in the console")).toBeVisible();
  await page.getByTestId("sign-out").click();
  await page.waitForURL(/\/signin\?ended=1/);
  await page.goto("/me");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=/);
});

test("the console header marks the page shown and signs out", async ({ page }) => {
  await signInAsAdmin(page, "/admin/administrators");
  const nav = page.getByRole("navigation", { name: "Console" });
  await expect(nav.getByRole("link", { name: "Administrators" })).toHaveAttribute("aria-current", "page");
  await expect(nav.locator('[aria-current="page"]')).toHaveCount(1);
  await expect(page.getByTestId("administrator").first()).toContainText(ADMIN);
  await shot(page, "admin-administrators");
  await page.goto("/admin");
  await expect(nav.getByRole("link", { name: "Dashboard" })).toHaveAttribute("aria-current", "page");
  await page.getByTestId("sign-out").click();
  await page.waitForURL(/\/signin\?ended=1/);
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=/);
});
