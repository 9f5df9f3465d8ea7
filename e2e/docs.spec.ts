import { expect, test } from "@playwright/test";
import { watchCsp } from "./csp-support";

// Issue 15 §5: TIM serves its interactive API documentation itself (Swagger UI from swagger-ui-dist, no CDN) at /docs,
// under the pages' strict CSP, over the generated OpenAPI 3.1 document, linked from the home page.

test("/docs renders every operation of /openapi.json in Chromium, with no CSP violation and no request off the site", async ({ page, request, baseURL }) => {
  const origin = new URL(baseURL!).origin;
  const violations = await watchCsp(page, baseURL!);
  const foreign: string[] = [];
  const failed: string[] = [];
  page.on("request", (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith("data:")) foreign.push(r.url());
  });
  page.on("response", (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  page.on("pageerror", (e) => failed.push(`page error: ${e.message}`));

  const doc = await (await request.get("/openapi.json")).json();
  const operations = Object.values(doc.paths as Record<string, object>).reduce((n, ops) => n + Object.keys(ops).length, 0);

  // From the home page's link.
  await page.goto("/");
  await page.getByRole("link", { name: /API documentation/ }).click();
  await expect(page).toHaveURL(/\/docs$/);
  const res = await page.reload();
  expect(res!.headers()["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
  expect(res!.headers()["content-security-policy"]).not.toContain("unsafe-inline");

  await expect(page.locator(".swagger-ui .info .title")).toContainText("TIM");
  await expect(page.locator(".opblock")).toHaveCount(operations);
  // An operation opens with its request schema, security and the error codes it answers.
  const generate = page.locator("#operations-custom_tokens-postJwtCustomGenerate");
  await generate.locator(".opblock-summary").click();
  await expect(generate.locator(".opblock-body")).toContainText("expirationInMinutes");
  await expect(generate.locator(".responses-wrapper")).toContainText("invalid_client");
  // The security schemes dialog lists TIM's credentials.
  await page.locator(".auth-wrapper .authorize").click();
  await expect(page.locator(".modal-ux")).toContainText("clientSecretBasic");
  await expect(page.locator(".modal-ux")).toContainText("tim_");
  await page.locator(".modal-ux .close-modal").click();
  await expect(page.locator(".modal-ux")).toHaveCount(0);
  await generate.scrollIntoViewIfNeeded();

  await page.screenshot({ path: "e2e/screenshots/docs.png", fullPage: false });
  expect(violations).toEqual([]);
  expect(foreign).toEqual([]);
  expect(failed).toEqual([]);
});
