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

test("an unknown API path answers JSON, an unknown page TIM's HTML 404 page", async ({ page, request }) => {
  const api = await request.get("/jwt/custom/no-such-endpoint");
  expect(api.status()).toBe(404);
  expect(api.headers()["content-type"]).toContain("application/json");
  expect(await api.json()).toMatchObject({ error: "unknown_path" });
  const provider = await request.get("/auth/login/google");
  expect(provider.status()).toBe(404);
  expect(await provider.json()).toMatchObject({ error: "provider_not_available", available_providers: ["tara"] });
  const res = await page.goto("/no-such-page");
  expect(res?.status()).toBe(404);
  expect(res?.headers()["content-type"]).toContain("text/html");
});

test("RFC 8414 metadata names TIM's own origin and endpoints", async ({ request, baseURL }) => {
  const res = await request.get("/.well-known/oauth-authorization-server");
  expect(res.status()).toBe(200);
  const origin = new URL(baseURL!).origin;
  expect(await res.json()).toMatchObject({ issuer: origin, introspection_endpoint: `${origin}/introspect`, revocation_endpoint: `${origin}/revoke` });
});
