import { resetConfig } from "@/lib/config/env";
import { startTaraStandIn, type TaraStandIn, type TaraStandInOptions } from "@/tara-stand-in/server";
import { startTestServer, type TestServer } from "@/test/support/http";

export const CLIENT_ID = "tim-test-client";
export const CLIENT_SECRET = "tim-test-secret-0123456789";

export type TaraWorld = {
  tim: TestServer;
  tara: TaraStandIn;
  callbackUrl: string;
  close(): Promise<void>;
};

/**
 * TIM's API over real HTTP plus a TARA stand-in registered with TIM's callback
 * (and, when given, a registration detail such as the client auth method),
 * and the environment pointing TIM at it.
 */
export async function startTaraWorld(
  env: Record<string, string> = {},
  registration: Pick<TaraStandInOptions, "clientAuthMethod" | "tls"> = {},
): Promise<TaraWorld> {
  const tim = await startTestServer();
  const callbackUrl = `${tim.url}/auth/callback/tara`;
  const tara = await startTaraStandIn({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [callbackUrl], ...registration });
  Object.assign(process.env, {
    TARA_ISSUER: tara.issuer,
    TARA_CLIENT_ID: CLIENT_ID,
    TARA_CLIENT_SECRET: CLIENT_SECRET,
    TARA_REDIRECT_URI: callbackUrl,
    ...env,
  });
  resetConfig();
  return {
    tim,
    tara,
    callbackUrl,
    close: async () => {
      await tara.close();
      await tim.close();
    },
  };
}

/** A minimal browser: follows redirects by hand and keeps cookies per host, sent only under their Path. */
export class Browser {
  /** `send` makes the requests (default: fetch), e.g. one trusting a test CA. */
  constructor(private readonly send: (url: string, init: RequestInit) => Promise<Response> = fetch) {}

  private readonly jar = new Map<string, Map<string, { value: string; path: string }>>();

  cookieHeader(url: string): string {
    const { host, pathname } = new URL(url);
    return [...(this.jar.get(host) ?? new Map())]
      .filter(([, c]) => pathname === c.path || pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`))
      .map(([k, c]) => `${k}=${c.value}`)
      .join("; ");
  }

  cookie(url: string, name: string): string | undefined {
    return this.jar.get(new URL(url).host)?.get(name)?.value;
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookies = this.cookieHeader(url);
    if (cookies) headers.set("cookie", cookies);
    const res = await this.send(url, { ...init, headers, redirect: "manual" });
    const host = new URL(url).host;
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const path = attrs.map((a) => a.trim().match(/^path=(.*)$/i)?.[1]).find(Boolean) ?? "/";
      const jar = this.jar.get(host) ?? new Map<string, { value: string; path: string }>();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === "") jar.delete(name);
      else jar.set(name, { value, path });
      this.jar.set(host, jar);
    }
    return res;
  }

  /** Follows redirects until one points under `stopAt` (returned, not fetched) or a page is reached. */
  async followUntil(url: string, stopAt: string): Promise<{ url: string; page?: Response }> {
    let current = url;
    for (let hop = 0; hop < 10; hop++) {
      if (current.startsWith(stopAt)) return { url: current };
      const res = await this.fetch(current);
      const location = res.headers.get("location");
      if (!location) return { url: current, page: res };
      current = new URL(location, current).toString();
    }
    throw new Error("too many redirects");
  }
}

export type StartedJsonLogin = { authorizationUrl: string; state: string; loginSecret: string };

/** Starts a JSON login at TIM and returns TARA's authorization URL, the state and the login secret. */
export async function startJsonLogin(world: TaraWorld, query: Record<string, string> = {}): Promise<StartedJsonLogin> {
  const res = await fetch(`${world.tim.url}/auth/login/tara?${new URLSearchParams(query)}`, {
    headers: { accept: "application/json" },
  });
  if (res.status !== 200) throw new Error(`login start answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { authorization_url: string; state: string; login_secret: string };
  return { authorizationUrl: body.authorization_url, state: body.state, loginSecret: body.login_secret };
}

/** Runs TARA's side of a login (autologin as `personalCode`) and returns the callback URL TARA sent the browser to. */
export async function taraCallbackUrl(world: TaraWorld, authorizationUrl: string, personalCode: string, browser = new Browser()): Promise<string> {
  const url = new URL(authorizationUrl);
  url.searchParams.set("autologin", personalCode);
  const { url: callback } = await browser.followUntil(url.toString(), world.callbackUrl);
  if (!callback.startsWith(world.callbackUrl)) throw new Error(`TARA did not return to the callback: ${callback}`);
  return callback;
}

/** The starter redeems its JSON login's result (POST /auth/login/tara/result). */
export function redeemJsonLogin(world: TaraWorld, login: { state: string; loginSecret: string }): Promise<Response> {
  return fetch(`${world.tim.url}/auth/login/tara/result`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ state: login.state, login_secret: login.loginSecret }),
  });
}

/**
 * Opens a JSON login's callback (as JSON, with `headers`: the browser's) and, when it completed, redeems the
 * result as the starter: the redemption's answer, else the callback's error.
 */
export async function finishJsonLogin(world: TaraWorld, login: StartedJsonLogin, callback: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(callback, { headers: { ...headers, accept: "application/json" } });
  if (res.status !== 200) return res;
  const body = (await res.json()) as { status?: string };
  if (body.status !== "authentication_complete") throw new Error(`callback answered 200 with ${JSON.stringify(body)}`);
  return redeemJsonLogin(world, login);
}

export type JsonLogin = { token: string; session_id: string; expires_at: string; state: string };

/** A whole JSON login as `personalCode`; returns TIM's success answer. */
export async function loginJson(world: TaraWorld, personalCode: string, query: Record<string, string> = {}): Promise<JsonLogin> {
  const started = await startJsonLogin(world, query);
  const callback = await taraCallbackUrl(world, started.authorizationUrl, personalCode);
  const res = await finishJsonLogin(world, started, callback);
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  return { ...((await res.json()) as Omit<JsonLogin, "state">), state: started.state };
}
