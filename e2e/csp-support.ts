import type { Page } from "@playwright/test";

export type Violation = { page: string; directive: string; blocked: string; sample: string };

/**
 * Collects CSP violations on TIM's own pages for the rest of the test: the
 * `securitypolicyviolation` events of every document (an init script, so it
 * runs before the page's own scripts) and console reports mentioning the CSP.
 */
export async function watchCsp(page: Page, baseURL: string): Promise<Violation[]> {
  const origin = new URL(baseURL).origin;
  const seen: Violation[] = [];
  const ours = (url: string) => url.startsWith(origin);
  await page.exposeFunction("__timCspViolation", (v: Violation) => {
    if (ours(v.page)) seen.push(v);
  });
  await page.addInitScript(() => {
    document.addEventListener(
      "securitypolicyviolation",
      (e) => {
        const report = (window as unknown as { __timCspViolation: (v: Violation) => void }).__timCspViolation;
        void report({ page: location.href, directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample });
      },
      true,
    );
  });
  page.on("console", (m) => {
    const where = m.location().url || page.url();
    if (/Content Security Policy/i.test(m.text()) && ours(where)) seen.push({ page: where, directive: "(console)", blocked: "", sample: m.text() });
  });
  return seen;
}
