import { createHash, randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { decodeJwt, exportJWK, generateKeyPair, type JWK } from "jose";
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from "oidc-provider";
import { ACR_LEVELS, DEFAULT_ACR, TARA_PATHS, acrRank, allowedAmr } from "@/lib/tara/protocol";
import { StandInKeyRing, type StandInKeyControl } from "@/tara-stand-in/keys";
import { renderLoginPage } from "@/tara-stand-in/login-page";
import { TARA_PERSONAS, findPersona, type TaraPersona } from "@/tara-stand-in/personas";
import { TOKEN_ERRORS, checkAuthorizationRequest, discoveryDocument, errorPage, invalidGrantReason } from "@/tara-stand-in/tara-answers";

export type TaraStandInOptions = {
  /** 0 or unset: a free port. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** Host name in the issuer URL, when browsers reach the stand-in under another name than `host` (e.g. 0.0.0.0). */
  publicHost?: string;
  clientId: string;
  clientSecret: string;
  /**
   * The token-endpoint authentication the client is registered with (TARA
   * spec §4.3: one method per client, basic unless registered otherwise); a
   * request using the other one is refused with `invalid_client`, as at TARA.
   */
  clientAuthMethod?: "client_secret_basic" | "client_secret_post";
  redirectUris: string[];
  /** Serve HTTPS with this key and certificate (PEM), as TARA does; default plain HTTP on loopback. */
  tls?: { key: string; cert: string };
};

/**
 * Ways to make the stand-in misbehave, for tests of TIM's checks. They exist
 * only on the object returned to the code that started the stand-in; nothing
 * reachable over HTTP changes them.
 */
export type StandInFaults = {
  /** Claims merged into every ID token (wrong nonce, aud, iss, acr, exp …), re-signed with the stand-in's key. */
  idTokenClaims?: Record<string, unknown>;
  /** Sign ID tokens with a key whose kid is not in the JWKS. */
  unknownKid?: boolean;
  /** The person presses Cancel at TARA, whatever the login page or `autologin` chose: `error=user_cancel`. */
  cancel?: boolean;
  /** Codes live 1 s instead of 30 s, so a redemption after that gets TARA's `invalid_grant` for an expired code. */
  shortLivedCodes?: boolean;
  /** The token endpoint drops the connection ("down"), answers after a delay, or fails with this HTTP status. */
  tokenEndpoint?: "down" | { delayMs: number } | { status: number };
  /**
   * Token requests are allowed only from these remote addresses, as in TARA's
   * production environment (spec §4 "Identity token request allowed IP
   * addresses"); others get 400 `unauthorized_client`.
   */
  registeredAddresses?: string[];
};

export type TaraStandIn = {
  issuer: string;
  close(): Promise<void>;
  /** Replaces the active faults ({} = behave like TARA). */
  setFaults(faults: StandInFaults): void;
  /** Drives a signing-key rotation as TARA announces it (§5.4): publish a second key, sign with it, retire the old one. */
  keys: StandInKeyControl;
};

/** TARA's lifetimes in seconds (specification §6.2): code 30 s, ID token 40 s, login session 30 min. */
const TTL = { AuthorizationCode: 30, IdToken: 40, AccessToken: 40, Interaction: 1800, Session: 1800, Grant: 1800 };

const INTERACTION_PATH = /^\/interaction\/([\w-]+)$/;
/** Where TARA sends a browser whose authorization request names no usable client or redirect URI. */
const ERROR_PATH = "/error";
/** The eIDAS countries the stand-in's node offers (`eidas:country:xx`). */
const EIDAS_COUNTRIES = [...new Set(TARA_PERSONAS.flatMap((p) => (p.country ? [p.country] : [])))];

/**
 * A local identity provider that behaves like TARA on the wire (TARA.md):
 * TARA's paths and discovery document, code flow with client_secret_basic or
 * _post, RS256 ID tokens with TARA's claims (`at_hash` in standard Base64, no
 * `sid` or `auth_time`) and lifetimes, keys rotated as TARA does, TARA's
 * errors in its own words (tara-stand-in/tara-answers.ts), RIA's test
 * identities on a login page with Cancel, and `autologin=<id>` for scripted
 * logins. Built on oidc-provider for the code flow itself; what TARA answers
 * differently is answered here before or after it.
 */
export async function startTaraStandIn(options: TaraStandInOptions): Promise<TaraStandIn> {
  const host = options.host ?? "127.0.0.1";
  const server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }) : createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const issuerHost = options.publicHost ?? host;
  const issuer = `${options.tls ? "https" : "http"}://${issuerHost.includes(":") ? `[${issuerHost}]` : issuerHost}:${port}`;

  const keys = await StandInKeyRing.create();
  let faults: StandInFaults = {};
  /** What the ID token needs from the authorization request, by grant id (TARA echoes `state`). */
  const loginContext = new Map<string, { state: string }>();
  const client = { id: options.clientId, redirectUris: options.redirectUris };
  const registeredAuth = options.clientAuthMethod ?? "client_secret_basic";

  // oidc-provider signs with a key of its own that is never published: every ID token is re-signed below.
  const provider = new Provider(
    issuer,
    providerConfiguration(options, await internalSigningJwk(), loginContext, () => faults),
  );
  provider.proxy = false;

  // Why a code was refused (oidc-provider keeps it out of the answer), for TARA's wording below.
  provider.on("grant.error", (ctx: KoaContextWithOIDC, err: { error_detail?: string }) => {
    ctx.state.grantErrorDetail = err.error_detail;
  });

  provider.use(async (ctx, next) => {
    // TARA accepts only the client's registered authentication (spec §4.3); oidc-provider takes basic and post alike.
    if (ctx.path === TARA_PATHS.token && ctx.method === "POST") {
      const sent = /^basic\s/i.test(ctx.headers.authorization ?? "") ? "client_secret_basic" : "client_secret_post";
      if (sent !== registeredAuth) {
        const refusal = TOKEN_ERRORS.wrongAuthMethod(registeredAuth, sent);
        ctx.status = refusal.status;
        ctx.body = refusal.body;
        ctx.type = "application/json;charset=UTF-8";
        return;
      }
    }
    await next();
    if (ctx.path === TARA_PATHS.token && ctx.method === "POST") return taraTokenAnswer(ctx as KoaContextWithOIDC);
    // TARA returns to the client with 303 and without RFC 9207's `iss` parameter.
    const location = ctx.response.get("location");
    if ((ctx.status === 302 || ctx.status === 303) && location && options.redirectUris.some((uri) => location.startsWith(uri))) {
      const url = new URL(location);
      url.searchParams.delete("iss");
      ctx.status = 303;
      ctx.set("location", url.toString());
    }
  });

  /** The token response as TARA gives it: its ID-token shape and key, its error texts. */
  async function taraTokenAnswer(ctx: KoaContextWithOIDC): Promise<void> {
    const body = ctx.body as Record<string, unknown> | undefined;
    if (ctx.status === 200 && typeof body?.id_token === "string" && typeof body.access_token === "string") {
      const { sid: _sid, auth_time: _authTime, ...claims } = decodeJwt(body.id_token);
      // Standard Base64, not Base64url: TARA keeps older versions' encoding (specification §4.3.1).
      const atHash = createHash("sha256").update(body.access_token).digest().subarray(0, 16).toString("base64");
      body.id_token = await keys.sign({ ...claims, at_hash: atHash, ...faults.idTokenClaims }, { foreign: faults.unknownKid });
      body.token_type = "bearer";
      return;
    }
    if (ctx.status < 400) return;
    const refusal = tokenRefusal(ctx, (body?.error as string | undefined) ?? "");
    ctx.status = refusal.status;
    ctx.body = refusal.body;
    ctx.type = "application/json;charset=UTF-8";
  }

  function tokenRefusal(ctx: KoaContextWithOIDC, error: string): { status: number; body: Record<string, string> } {
    if (error === "invalid_grant") return TOKEN_ERRORS.invalidGrant(invalidGrantReason(ctx.state.grantErrorDetail as string | undefined));
    if (error === "invalid_client") {
      const basic = basicCredentials(ctx.headers.authorization);
      const clientId = basic?.id ?? String((ctx.oidc?.body as Record<string, unknown> | undefined)?.client_id ?? "");
      // TARA checks the caller's address against the client's registered ones first; an unknown client has none.
      if (clientId !== options.clientId) return TOKEN_ERRORS.notWhitelisted(remoteAddress(ctx.req), clientId);
      return TOKEN_ERRORS.badCredentials();
    }
    return { status: ctx.status, body: ctx.body as Record<string, string> };
  }

  const handle = provider.callback();
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", issuer);
    if (url.pathname === TARA_PATHS.discovery || url.pathname === TARA_PATHS.legacyDiscovery) {
      return answerJson(res, 200, discoveryDocument(issuer, EIDAS_COUNTRIES), "application/json; charset=utf-8");
    }
    if (url.pathname === TARA_PATHS.jwks) return answerJson(res, 200, keys.jwks(), "application/json; charset=utf-8");
    if (url.pathname === ERROR_PATH) {
      res.writeHead(400, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(
        `<!doctype html><html><head><meta charset="utf-8"><title>TARA</title></head><body><h1>TARA</h1><p class="error">${escapeHtml(url.searchParams.get("error_description") ?? "")}</p></body></html>`,
      );
      return;
    }
    if (url.pathname === TARA_PATHS.authorization && req.method === "GET") {
      const refusal = checkAuthorizationRequest(url.searchParams, client);
      if (refusal?.kind === "page") {
        const page = errorPage(refusal.page, url.searchParams.get("ui_locales"));
        res.writeHead(page.status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
        res.end(page.html);
        return;
      }
      if (refusal) {
        const target = new URL(refusal.kind === "to-client" ? (url.searchParams.get("redirect_uri") ?? options.redirectUris[0]) : issuer + ERROR_PATH);
        target.searchParams.set("error", refusal.error);
        target.searchParams.set("error_description", refusal.description);
        if (refusal.kind === "to-client" && url.searchParams.has("state")) target.searchParams.set("state", url.searchParams.get("state")!);
        res.writeHead(refusal.kind === "to-client" ? 303 : 302, { location: target.toString(), "cache-control": "no-store" });
        res.end();
        return;
      }
      // TARA does not offer PKCE (TARA.md): a challenge sent anyway is not bound to the code.
      url.searchParams.delete("code_challenge");
      url.searchParams.delete("code_challenge_method");
      req.url = url.pathname + url.search;
    }
    if (url.pathname === TARA_PATHS.token && faults.registeredAddresses && !faults.registeredAddresses.includes(req.socket.remoteAddress ?? "")) {
      const refusal = TOKEN_ERRORS.notWhitelisted(remoteAddress(req), options.clientId);
      return answerJson(res, refusal.status, refusal.body);
    }
    if (url.pathname === TARA_PATHS.token && faults.tokenEndpoint) {
      const fault = faults.tokenEndpoint;
      if (fault === "down") {
        req.socket.destroy();
        return;
      }
      if ("status" in fault) return answerJson(res, fault.status, { error: "server_error", error_description: "stand-in fault" });
      setTimeout(() => handle(req, res), fault.delayMs).unref();
      return;
    }
    const interaction = INTERACTION_PATH.exec(url.pathname);
    if (interaction) {
      serveInteraction(provider, req, res, options.clientId, loginContext, () => faults).catch(() => {
        if (!res.headersSent) res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
        res.end("The login session has expired or is unknown. Start again from the application.");
      });
      return;
    }
    handle(req, res);
  });

  return {
    issuer,
    keys,
    setFaults: (next) => {
      faults = { ...next };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function internalSigningJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  return { ...(await exportJWK(privateKey)), kid: "stand-in-internal", alg: "RS256", use: "sig" };
}

/** The client id and secret of an HTTP Basic header (RFC 6749 §2.3.1: each form-urlencoded), or undefined. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^basic\s+(\S+)$/i.exec(header ?? "");
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  const formDecoded = (v: string) => {
    try {
      return decodeURIComponent(v.replace(/\+/g, " "));
    } catch {
      return v;
    }
  };
  return { id: formDecoded(decoded.slice(0, colon)), secret: formDecoded(decoded.slice(colon + 1)) };
}

function remoteAddress(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
}

function providerConfiguration(
  options: TaraStandInOptions,
  privateJwk: JWK,
  loginContext: Map<string, { state: string }>,
  currentFaults: () => StandInFaults,
): Configuration {
  const policy = interactionPolicy.base();
  // TARA has no SSO session: every authorization request authenticates anew.
  policy
    .get("login")!
    .checks.add(
      new interactionPolicy.Check("tara_no_sso", "TARA authenticates on every request", (ctx) =>
        ctx.oidc.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT,
      ),
    );

  return {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: options.redirectUris,
        response_types: ["code"],
        grant_types: ["authorization_code"],
        token_endpoint_auth_method: options.clientAuthMethod ?? "client_secret_basic",
        id_token_signed_response_alg: "RS256",
      },
    ],
    jwks: { keys: [privateJwk as never] },
    routes: {
      authorization: TARA_PATHS.authorization,
      token: TARA_PATHS.token,
      jwks: TARA_PATHS.jwks,
      userinfo: TARA_PATHS.userinfo,
    },
    responseTypes: ["code"],
    clientAuthMethods: ["client_secret_basic", "client_secret_post"],
    scopes: ["openid", "idcard", "mid", "smartid", "eidas", "eidasonly", "email", "phone", ...EIDAS_COUNTRIES.map((c) => `eidas:country:${c}`)],
    acrValues: [...ACR_LEVELS],
    claims: {
      // TARA's ID token: no auth_time, no sid; amr and acr always.
      openid: ["sub", "profile_attributes", "state", "nbf", "jti", "amr", "acr"],
      email: ["email", "email_verified"],
      phone: ["phone_number", "phone_number_verified"],
    },
    // TARA puts the profile into the ID token, not (only) into userinfo.
    conformIdTokenClaims: false,
    pkce: { required: () => false },
    // biome-ignore lint/correctness/noComponentHookFactories: oidc-provider's TTL names are capitalised; this is not a React component
    ttl: { ...TTL, AuthorizationCode: () => (currentFaults().shortLivedCodes ? 1 : TTL.AuthorizationCode) },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    extraParams: {
      autologin: (_ctx, value) => {
        if (value !== undefined && !findPersona(String(value))) {
          throw new errors.InvalidRequest("autologin names no known test identity");
        }
      },
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      resourceIndicators: { enabled: false },
      userinfo: { enabled: true },
    },
    findAccount: async (_ctx: KoaContextWithOIDC, sub: string, token) => {
      const persona = findPersona(sub);
      if (!persona) return undefined;
      const grantId = (token as { grantId?: string } | undefined)?.grantId;
      return {
        accountId: persona.sub,
        claims: async () => ({
          sub: persona.sub,
          jti: randomUUID(),
          nbf: Math.floor(Date.now() / 1000),
          state: grantId ? loginContext.get(grantId)?.state : undefined,
          profile_attributes: {
            date_of_birth: persona.dateOfBirth,
            family_name: persona.familyName,
            given_name: persona.givenName,
          },
          ...(persona.email ? { email: persona.email, email_verified: false } : {}),
          ...(persona.phoneNumber ? { phone_number: persona.phoneNumber, phone_number_verified: true } : {}),
        }),
      };
    },
    renderError: async (ctx, out) => {
      ctx.type = "text/plain; charset=utf-8";
      ctx.body = `${out.error}: ${out.error_description ?? ""}`;
    },
  };
}

/** GET shows the persona page (or logs in at once with `autologin`); POST takes the choice or Cancel. */
async function serveInteraction(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  clientId: string,
  loginContext: Map<string, { state: string }>,
  currentFaults: () => StandInFaults,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const params = details.params as Record<string, string | undefined>;
  const personas = offeredPersonas(params);
  if (currentFaults().cancel) return cancelLogin(provider, req, res);

  if (req.method === "GET") {
    const auto = params.autologin ? findPersona(params.autologin) : undefined;
    if (auto) return finishLogin(provider, req, res, details, auto, personas, loginContext);
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(renderLoginPage({ action: `/interaction/${details.uid}`, clientId, personas }));
    return;
  }
  if (req.method !== "POST") {
    res.writeHead(405, { allow: "GET, POST" });
    res.end();
    return;
  }
  const form = new URLSearchParams(await readBody(req));
  if (form.has("cancel")) return cancelLogin(provider, req, res);
  const persona = findPersona(form.get("persona") ?? "");
  if (!persona) {
    res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
    res.end("Choose one of the listed identities.");
    return;
  }
  await finishLogin(provider, req, res, details, persona, personas, loginContext);
}

/**
 * The identities TARA would let through for this request: the methods its scopes name (eidasonly and
 * eidas:country:xx narrowing to that country's eIDAS node) at the requested level or above (default substantial).
 */
function offeredPersonas(params: Record<string, string | undefined>): TaraPersona[] {
  const scopes = (params.scope ?? "").split(" ");
  const allowed = allowedAmr(scopes);
  const countries = scopes.filter((s) => s.startsWith("eidas:country:")).map((s) => s.slice("eidas:country:".length));
  const floor = acrRank(params.acr_values ?? DEFAULT_ACR);
  return TARA_PERSONAS.filter(
    (p) =>
      (!allowed || allowed.has(p.amr.toLowerCase())) && (!countries.length || p.amr !== "eidas" || countries.includes(p.country!)) && acrRank(p.acr) >= floor,
  );
}

async function cancelLogin(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await provider.interactionFinished(
    req,
    res,
    { error: "user_cancel", error_description: "User canceled the authentication process." },
    { mergeWithLastSubmission: false },
  );
}

async function finishLogin(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  details: Awaited<ReturnType<Provider["interactionDetails"]>>,
  persona: TaraPersona,
  offered: readonly TaraPersona[],
  loginContext: Map<string, { state: string }>,
): Promise<void> {
  if (!offered.includes(persona)) {
    await provider.interactionFinished(
      req,
      res,
      { error: "invalid_request", error_description: "The chosen method is not among the requested ones." },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const params = details.params as Record<string, string>;
  const grant = new provider.Grant({ accountId: persona.sub, clientId: params.client_id });
  grant.addOIDCScope(params.scope);
  const grantId = await grant.save();
  loginContext.set(grantId, { state: params.state });
  setTimeout(() => loginContext.delete(grantId), TTL.Grant * 1000).unref();
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: persona.sub, acr: persona.acr, amr: [persona.amr] }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

function answerJson(res: ServerResponse, status: number, body: object, type = "application/json;charset=UTF-8"): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16 * 1024) throw new Error("body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
