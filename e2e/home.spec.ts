import { expect, test } from "@playwright/test";

test("the home page renders and links to the console", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/TIM/);
  const consoleLink = page.getByRole("link", { name: /Console/ });
  await expect(consoleLink).toHaveAttribute("href", "/admin");
  await page.screenshot({ path: "e2e/screenshots/home.png", fullPage: true });
});

test("the health endpoint answers from the running instance", async ({ request }) => {
  const res = await request.get("/api/health");
  expect(res.status()).toBe(200);
  expect((await res.json()).status).toBe("ok");
});

test("the page names its icon, which is served with robots.txt from public/", async ({ page, request }) => {
  await page.goto("/");
  await expect(page.locator('link[rel="icon"]')).toHaveAttribute("href", "/favicon.svg");
  const icon = await request.get("/favicon.svg");
  expect(icon.status()).toBe(200);
  expect(icon.headers()["content-type"]).toContain("image/svg+xml");
  const robots = await request.get("/robots.txt");
  expect(robots.status()).toBe(200);
  expect(await robots.text()).toContain("Disallow: /");
});
