import { expect, test, type APIResponse, type Page, type Response } from "@playwright/test";
import { issueTokens, signInAsAdmin, uniqueName } from "./admin-support";
import { watchCsp } from "./csp-support";
import { signInAs } from "./tara-support";

// Issue 12 §6: every page sends a strict CSP (scripts only with the response's nonce) and still works in Chromium.

const nonceOf = (csp: string | undefined) => /script-src [^;]*'nonce-([A-Za-z0-9+/=]+)'/.exec(csp ?? "")?.[1];

/** True once React has hydrated the document (it marks the DOM nodes it owns). */
const hydrated = (page: Page) => page.evaluate(() => Object.keys(document.body).some((k) => k.startsWith("__reactFiber$")));

async function visit(page: Page, path: string): Promise<Response> {
  const res = await page.goto(path);
  expect(res, path).not.toBeNull();
  expect(nonceOf(res!.headers()["content-security-policy"]), `${path}: a nonce in the CSP`).toBeTruthy();
  await expect.poll(() => hydrated(page), { message: `${path} hydrates` }).toBe(true);
  return res!;
}

/** The nonce of a page's CSP header, after checking that every <script> of the HTML carries it. */
async function scriptsCarryNonce(res: APIResponse, path: string): Promise<string> {
  expect(res.status(), path).toBeLessThan(500);
  const csp = res.headers()["content-security-policy"];
  expect(csp, path).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'(;|$)/);
  expect(csp, path).not.toContain("unsafe-inline");
  expect(csp, path).not.toContain("unsafe-eval");
  const nonce = nonceOf(csp)!;
  const scripts = (await res.text()).match(/<script\b[^>]*>/g) ?? [];
  expect(scripts.length, `${path}: the page has scripts`).toBeGreaterThan(0);
  for (const tag of scripts) expect(tag, path).toContain(`nonce="${nonce}"`);
  return nonce;
}

test("each page response has a fresh nonce, and every script of its HTML carries it", async ({ request }) => {
  const nonces = new Set<string>();
  for (const path of ["/", "/", "/signin", "/signin/complete?callbackUrl=%2Fme", "/no-such-page"]) {
    nonces.add(await scriptsCarryNonce(await request.get(path), path));
  }
  expect(nonces.size).toBe(5);
  // A CSP the client sends cannot choose the nonce Next puts on the scripts.
  const chosen = await request.get("/", { headers: { "content-security-policy": "script-src 'nonce-attackerchosen'" } });
  expect(await scriptsCarryNonce(chosen, "/ with a client CSP")).not.toBe("attackerchosen");
  // API answers keep their own headers (test/http/security-headers.test.ts), no page CSP.
  expect((await request.get("/api/health")).headers()["content-security-policy"]).toBeUndefined();
});

test("console pages and the administrator's journey: no CSP violation, every page hydrated, client-side actions work", async ({ page, request, baseURL }) => {
  const violations = await watchCsp(page, baseURL!);
  const name = uniqueName("csp");
  const [token] = await issueTokens(request, name, 3);

  await visit(page, "/");
  await visit(page, "/signin");
  const missing = await visit(page, "/no-such-page");
  expect(missing.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1, name: "404 · Page not found" })).toBeVisible();
  // The sign-in ends on /signin/complete, whose client component finishes it: it only works hydrated.
  await signInAsAdmin(page);
  for (const path of [
    "/admin",
    `/admin/tokens?jwt_name=${name}`,
    `/admin/tokens/${token.jti}`,
    "/admin/keys",
    "/admin/clients",
    "/admin/audit",
    "/admin/revoke",
    "/me",
  ]) {
    await visit(page, path);
  }
  // notFound() inside the console renders the same page (status 200: the console's loading state has streamed by then).
  await visit(page, "/admin/tokens/00000000-0000-4000-8000-000000000000");
  await expect(page.getByRole("heading", { level: 1, name: "404 · Page not found" })).toBeVisible();

  // Client-side navigation through the console's links: the document stays the same (no full load).
  await visit(page, "/admin");
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Audit log" }).click();
  await expect(page).toHaveURL(/\/admin\/audit$/);
  await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);

  // A server action from a hydrated form, then the page refreshing itself while the export job runs.
  await visit(page, `/admin/tokens?jwt_name=${name}`);
  const form = page.getByTestId("export-background");
  await form.getByRole("button", { name: "Export in background" }).click();
  const outcome = page.getByTestId("export-background-result");
  await expect(outcome).toContainText("Exporting 3 tokens in the background");
  const runId = /job ([0-9a-f-]{36})/.exec((await outcome.textContent()) ?? "")?.[1];
  await expect(page.locator(`[data-testid="export-job"][data-run-id="${runId}"]`)).toContainText("succeeded", { timeout: 30_000 });
  // LocalTime fills in the browser's local time only once hydrated.
  await expect(page.locator("time[data-zone='local']").first()).toBeAttached();

  console.log(`CSP violations on the administrator's pages: ${violations.length}`);
  expect(violations).toEqual([]);
});

test("an end user's /me and the console's 403 page: no CSP violation, hydrated", async ({ page, baseURL }) => {
  const violations = await watchCsp(page, baseURL!);
  await signInAs(page, "EE60001017869");
  await visit(page, "/me");
  await visit(page, "/admin/clients");
  await expect(page.getByRole("heading", { name: "403 · Administrators only" })).toBeVisible();
  console.log(`CSP violations on the end user's pages: ${violations.length}`);
  expect(violations).toEqual([]);
});

test("markup injected into a page (as an XSS would) runs only with the response's nonce; the rest is blocked and reported", async ({ page, baseURL }) => {
  const violations = await watchCsp(page, baseURL!);
  // TIM's real home page with its real headers, plus what an injection would add before </body>.
  await page.route("**/", async (route) => {
    const res = await route.fetch();
    const nonce = nonceOf(res.headers()["content-security-policy"]);
    const injected = [
      "<script>window.__injected = true</script>",
      `<img src="data:," onerror="window.__handler = true">`,
      `<script nonce="${nonce}">window.__withNonce = true</script>`,
    ].join("");
    await route.fulfill({ response: res, body: (await res.text()).replace("</body>", `${injected}</body>`) });
  });
  await visit(page, "/");
  await expect.poll(() => page.evaluate(() => (window as unknown as { __withNonce?: boolean }).__withNonce)).toBe(true);
  await expect.poll(() => violations.filter((v) => v.directive === "script-src-elem" && v.blocked === "inline").length).toBeGreaterThan(0);
  await expect.poll(() => violations.filter((v) => v.directive === "script-src-attr" && v.blocked === "inline").length).toBeGreaterThan(0);
  const ran = await page.evaluate(() => {
    const w = window as unknown as Record<string, boolean | undefined>;
    return { injected: w.__injected, handler: w.__handler };
  });
  expect(ran).toEqual({ injected: undefined, handler: undefined });
});
