import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { localeFromAcceptLanguage } from "@/lib/tara/locale";
import { Browser, startTaraWorld, type TaraWorld } from "@/test/tara/support";

// The person's side: TIM's pages about a login speak its ui_locales (TARA spec §4.1: et, en, ru),
// a cancelled login goes back where it started (§4.2 "Termination of the authentication process"),
// and TARA's error_description is logged, not shown (§4.2).
let world: TaraWorld;
beforeAll(async () => {
  world = await startTaraWorld();
});
afterEach(() => world.tara.setFaults({}));
afterAll(async () => world.close());

/** A browser login in `query`'s language that TARA completes as JÕEORG, stopped at TIM's callback. */
async function browserLogin(query: Record<string, string>) {
  const browser = new Browser();
  const start = await browser.fetch(`${world.tim.url}/auth/login/tara?${new URLSearchParams(query)}`);
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get("location")!);
  authorize.searchParams.set("autologin", "EE38001085718");
  const { url } = await browser.followUntil(authorize.toString(), world.callbackUrl);
  return { browser, authorize, callback: url };
}

test.each([
  ["et", "TARA ei ole kättesaadav", "Logi uuesti sisse"],
  ["ru", "TARA недоступна", "Войти снова"],
  ["en", "TARA is not reachable", "Sign in again"],
])("ui_locales=%s: TARA is asked in it and TIM's error page speaks it", async (locale, title, again) => {
  const { browser, authorize, callback } = await browserLogin({ ui_locales: locale });
  expect(authorize.searchParams.get("ui_locales")).toBe(locale);
  world.tara.setFaults({ tokenEndpoint: "down" });
  const res = await browser.fetch(callback);
  const html = await res.text();
  expect(res.status).toBe(502);
  expect(html).toContain(`<html lang="${locale}">`);
  expect(html).toContain(`<h1 style="font-size:1.5rem">${title}</h1>`);
  expect(html).toContain(again);
  expect(html).toContain('data-testid="code">tara_unavailable<');
});

test("a login without ui_locales whose state is unknown: the page follows Accept-Language", async () => {
  const res = await fetch(`${world.callbackUrl}?code=abc&state=${"x".repeat(43)}`, { headers: { "accept-language": "ru-RU,ru;q=0.9,en;q=0.5" } });
  expect(res.status).toBe(400);
  const html = await res.text();
  expect(html).toContain('<html lang="ru">');
  expect(html).toContain("Срок входа истёк");
});

test("TARA's error_description is logged, never shown", async () => {
  const { browser, callback } = await browserLogin({ ui_locales: "et" });
  const url = new URL(callback);
  url.searchParams.delete("code");
  url.searchParams.set("error", "invalid_request");
  url.searchParams.set("error_description", "Internal detail 7f3a for the integrator");
  const logged: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    logged.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  let html: string;
  try {
    const res = await browser.fetch(url.toString());
    expect(res.status).toBe(502);
    html = await res.text();
  } finally {
    process.stderr.write = write;
  }
  expect(html).not.toContain("Internal detail 7f3a");
  expect(html).toContain("Sisselogimine ebaõnnestus");
  const line = logged
    .join("")
    .split("\n")
    .find((l) => l.includes("tara callback error"));
  expect(JSON.parse(line!)).toMatchObject({ tara_error: "invalid_request", tara_error_description: "Internal detail 7f3a for the integrator" });
});

test("a cancelled login in Estonian returns to its redirect_uri, marked, not to a 400 page", async () => {
  const { browser, callback } = await browserLogin({ ui_locales: "et", redirect_uri: "/signin/complete?callbackUrl=%2Fme" });
  const url = new URL(callback);
  url.searchParams.delete("code");
  url.searchParams.set("error", "user_cancel");
  url.searchParams.set("error_description", "User canceled the authentication process.");
  const res = await browser.fetch(url.toString());
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/signin/complete?callbackUrl=%2Fme&tara_login=cancelled");
  expect(res.headers.getSetCookie().some((c) => c.startsWith("TIM_TARA_JWT="))).toBe(false);
});

test("the sign-in page's language choice from Accept-Language", () => {
  expect(localeFromAcceptLanguage("et-EE,et;q=0.9,en;q=0.8")).toBe("et");
  expect(localeFromAcceptLanguage("de-DE,ru;q=0.7,en;q=0.8")).toBe("en");
  expect(localeFromAcceptLanguage("fi, ru;q=0.5")).toBe("ru");
  expect(localeFromAcceptLanguage("de, fr;q=0.5")).toBeUndefined();
  expect(localeFromAcceptLanguage("et;q=0, en")).toBe("en");
  expect(localeFromAcceptLanguage(undefined)).toBeUndefined();
});
