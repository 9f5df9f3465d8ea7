import { mkdirSync } from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { decodeJwt } from "jose";
import { issueTokens, signInAsAdmin, submitConfirmed, uniqueName } from "./admin-support";
import { signInAs } from "./tara-support";

// Issue 19 §2: every page (app/**/page.tsx, /docs, the 403 and 404 pages) at 1366 px and 390 px, signed out, as
// administrator and as end user: no serious or critical axe violation (WCAG 2.1 A/AA), no horizontal page overflow,
// a screenshot of each under test-results/screens/ (CI keeps test-results/ as an artifact).
// The e2e instance runs with TIM_ADMIN_SUBJECTS=EE38001085718 (playwright.config.ts); EE60001017869 is an end user.

const WIDTHS = [
  { name: "desktop", width: 1366, height: 900 },
  { name: "phone", width: 390, height: 844 },
] as const;
const SCREENS = "test-results/screens";

// Hostile text: 500 characters with no space to break at, in a revocation reason, and a long subject.
const LONG_REASON = "x".repeat(250) + "Y".repeat(250);
const LONG_SUBJECT = `subject-${"0123456789abcdef".repeat(15)}`; // 248 of the 255 characters a subject may have

async function audit(page: Page, label: string): Promise<string[]> {
  const problems: string[] = [];
  for (const size of WIDTHS) {
    await page.setViewportSize({ width: size.width, height: size.height });
    // "load", not "networkidle": some pages poll (background exports, the health figures).
    await page.waitForLoadState("load");
    const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
    for (const v of violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
      const where = v.nodes.slice(0, 5).map((n) => `      ${n.target.join(" ")}: ${n.failureSummary?.split("\n").slice(1).join("; ")}`);
      problems.push(`${label} @${size.width}px: ${v.impact} ${v.id} (${v.help}), ${v.nodes.length} node(s)\n${where.join("\n")}`);
    }
    const overflow = await page.evaluate(() => {
      const inner = window.innerWidth;
      const clipped = (e: Element) => [...ancestors(e)].some((a) => getComputedStyle(a).overflowX !== "visible");
      function* ancestors(e: Element) {
        for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) yield a;
      }
      const sticksOut = (e: Element) => e.getBoundingClientRect().right > inner + 1 && !clipped(e);
      const ownText = (e: Element) => [...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim() !== "");
      // The innermost elements past the right edge (outside any scrolling box) name the culprit.
      const culprits = [...document.body.querySelectorAll("*")]
        .filter((e) => sticksOut(e) && (ownText(e) || ![...e.children].some(sticksOut)))
        .slice(0, 3)
        .map((e) => `<${e.tagName.toLowerCase()} class="${e.getAttribute("class") ?? ""}"> ${e.getBoundingClientRect().width}px wide`);
      return { scroll: document.documentElement.scrollWidth, inner, culprits };
    });
    if (overflow.scroll > overflow.inner) {
      problems.push(`${label} @${size.width}px: page grows sideways (scrollWidth ${overflow.scroll} > ${overflow.inner}): ${overflow.culprits.join(", ")}`);
    }
    await page.screenshot({ path: `${SCREENS}/${label}-${size.name}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: WIDTHS[0].width, height: WIDTHS[0].height });
  return problems;
}

function report(problems: string[]): void {
  expect(problems, `accessibility problems:\n${problems.join("\n")}`).toEqual([]);
}

test.beforeAll(() => mkdirSync(SCREENS, { recursive: true }));

test("signed out: home, docs, sign-in, setup, 404", async ({ page }) => {
  const problems: string[] = [];
  for (const [label, path] of [
    ["home", "/"],
    ["docs", "/docs"],
    ["signin", "/signin"],
    ["not-found", "/no-such-page"],
  ] as const) {
    await page.goto(path);
    problems.push(...(await audit(page, label)));
  }
  // The skip link: the first thing the keyboard reaches, and it lands on <main id="main">.
  await page.goto("/");
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to main content" });
  await expect(skip).toBeFocused();
  await expect(skip).toBeVisible();
  await expect(skip).toHaveAttribute("href", "#main");
  await expect(page.locator("main#main")).toHaveCount(1);
  report(problems);
});

test("administrator: every console page, with a 500-character reason and a long subject", async ({ page, request, context }) => {
  // Two axe runs per console page (1366 and 390 px), a few seconds each on a busy two-core machine.
  test.setTimeout(300_000);
  const name = uniqueName("a11y");
  const [victim] = await issueTokens(request, name, 1, { sub: LONG_SUBJECT });
  await signInAsAdmin(page, "/admin/revoke");
  const one = page.getByTestId("revoke-one");
  await one.getByLabel("Token id (jti) or the whole token").fill(victim.jti);
  await one.getByLabel("Reason").fill(LONG_REASON);
  await submitConfirmed(page, "revoke-one", "Revoke token", "Revoke token");
  await expect(page.getByTestId("revoke-one-result")).toContainText("1 revoked");

  const cookie = (await context.cookies()).find((c) => c.name === "TIM_TARA_JWT");
  const taraJti = decodeJwt(cookie!.value).jti as string;
  await page.goto(`/admin/tokens/${taraJti}`);
  const taraLogin = await page.getByTestId("protocol-log-link").getAttribute("href");

  const pages: [string, string][] = [
    ["admin-dashboard", "/admin"],
    ["admin-tokens", `/admin/tokens?jwt_name=${name}`],
    ["admin-token-detail", `/admin/tokens/${victim.jti}`],
    ["admin-token-tara", `/admin/tokens/${taraJti}`],
    ["admin-tara-login", taraLogin!],
    ["admin-revoke", "/admin/revoke"],
    ["admin-keys", "/admin/keys"],
    ["admin-clients", "/admin/clients"],
    ["admin-subjects", "/admin/subjects"],
    ["admin-subject", `/admin/subjects/${encodeURIComponent(LONG_SUBJECT)}`],
    ["admin-retention", "/admin/retention"],
    ["admin-administrators", "/admin/administrators"],
    ["admin-audit", "/admin/audit"],
    ["setup", "/setup"],
  ];
  const problems: string[] = [];
  for (const [label, path] of pages) {
    await page.goto(path);
    problems.push(...(await audit(page, label)));
  }

  // The long values are on the pages, whole (wrapped, not cut), and the page still does not grow sideways.
  await page.goto(`/admin/tokens?jwt_name=${name}`);
  await expect(page.getByTestId("token-table")).toContainText(LONG_SUBJECT);
  await page.goto(`/admin/tokens/${victim.jti}`);
  await expect(page.getByTestId("revocation")).toContainText(LONG_REASON);
  await page.goto(`/admin/audit?jwt_uuid=${victim.jti}`);
  await expect(page.getByTestId("audit-table")).toContainText(LONG_REASON);

  // On a phone the audit log is a list of cards: its region has nothing to scroll sideways.
  await page.goto(`/admin/audit?jwt_uuid=${victim.jti}`);
  await page.setViewportSize({ width: 390, height: 844 });
  const entries = page.getByRole("region", { name: "Audit entries" });
  await expect(entries).toContainText(LONG_REASON);
  expect(await entries.evaluate((e) => e.scrollWidth - e.clientWidth)).toBeLessThanOrEqual(0);

  // Horizontally scrolling tables are keyboard-reachable regions with a name; on a phone the arrow keys scroll them.
  await page.goto(`/admin/subjects/${encodeURIComponent(LONG_SUBJECT)}`);
  const region = page.getByRole("region", { name: "Statistics per token kind" });
  await expect(region).toHaveAttribute("tabindex", "0");
  await region.focus();
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  await expect.poll(() => region.evaluate((e) => e.scrollLeft)).toBeGreaterThan(0);
  for (const other of await page.locator("[data-scroll-region]").all()) {
    await expect(other).toHaveAttribute("tabindex", "0");
    await expect(other).toHaveAttribute("role", "region");
    await expect(other).toHaveAttribute("aria-label", /.+/);
  }
  report(problems);
});

test("end user: /me with its End buttons on screen at 390 px, and the 403 page of the console", async ({ page }) => {
  await signInAs(page, "EE60001017869");
  const problems = await audit(page, "me");
  await page.setViewportSize({ width: 390, height: 844 });
  const buttons = await page.getByRole("button", { name: /^End/ }).all();
  expect(buttons.length).toBeGreaterThanOrEqual(2); // End all sessions, and End on this browser's session
  for (const button of buttons) {
    const box = (await button.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(390);
  }
  await page.goto("/admin");
  await expect(page.getByRole("heading", { name: /403|not allowed|forbidden/i })).toBeVisible();
  problems.push(...(await audit(page, "forbidden")));
  report(problems);
});
