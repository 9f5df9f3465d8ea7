import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { signInAs } from "./tara-support";

/** The bootstrap API client of the e2e instance (playwright.config.ts). */
export const API_AUTH = `Basic ${Buffer.from("e2e-client:e2e-client-secret-0123456789").toString("base64")}`;
export const ADMIN = "EE38001085718";

/** Signs in at /admin (the console layout sends signed-out visitors back there) and opens `path`. */
export async function signInAsAdmin(page: Page, path = "/admin"): Promise<void> {
  await signInAs(page, ADMIN, "/admin");
  await expect(page.getByTestId("admin-identity")).toContainText(ADMIN);
  if (path !== "/admin") await page.goto(path);
}

export type Issued = { token: string; jti: string };

const jtiOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")).jti as string;

/** Issues custom tokens through the token API (batch). */
export async function issueTokens(request: APIRequestContext, name: string, count: number, content: Record<string, unknown> = {}): Promise<Issued[]> {
  const res = await request.post("/jwt/custom/generate/batch", {
    headers: { authorization: API_AUTH },
    data: {
      tokens: Array.from({ length: count }, (_, i) => ({
        JWTName: name,
        content: { sub: `${name}-user-${i}`, role: "reader", ...content },
        expirationInMinutes: 60,
      })),
    },
  });
  expect(res.ok()).toBe(true);
  const body = await res.json();
  return body.tokens.map((t: { token: string }) => ({ token: t.token, jti: jtiOf(t.token) }));
}

export async function extendToken(request: APIRequestContext, token: string): Promise<Issued> {
  const res = await request.post("/jwt/custom/extend", { headers: { authorization: API_AUTH }, data: { token, expirationInMinutes: 90 } });
  expect(res.status()).toBe(200);
  const { token: next } = await res.json();
  return { token: next, jti: jtiOf(next) };
}

export const uniqueName = (prefix: string) => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `e2e/screenshots/${name}.png`, fullPage: true });
}

/** Submits a console form whose action asks first, and confirms in its dialog. */
export async function submitConfirmed(page: Page, formTestId: string, submit: string, confirmLabel: string): Promise<void> {
  await page.getByTestId(formTestId).getByRole("button", { name: submit }).click();
  const dialog = page.getByTestId(`${formTestId}-confirm`);
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: confirmLabel }).click();
  await expect(dialog).toBeHidden();
}
