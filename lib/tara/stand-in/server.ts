import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { SignJWT, calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, type CryptoKey, type JWK } from "jose";
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from "oidc-provider";
import { ACR_LEVELS, TARA_MIN_STATE_LENGTH, TARA_PATHS, allowedAmr, isTaraScope } from "@/lib/tara/protocol";
import { renderLoginPage } from "@/lib/tara/stand-in/login-page";
import { TARA_PERSONAS, findPersona, type TaraPersona } from "@/lib/tara/stand-in/personas";

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
};

/** TARA's lifetimes in seconds (specification §6.2): code 30 s, ID token 40 s, login session 30 min. */
const TTL = { AuthorizationCode: 30, IdToken: 40, AccessToken: 40, Interaction: 1800, Session: 1800, Grant: 1800 };

const INTERACTION_PATH = /^\/interaction\/([\w-]+)$/;

/**
 * A local identity provider that behaves like TARA on the wire (TARA.md):
 * TARA's paths, code flow with client_secret_basic or _post, RS256 ID tokens with
 * TARA's claims and lifetimes, TARA's errors, a persona login page with
 * Cancel, and `autologin=<personal code>` for scripted logins.
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

  const signing = await generateSigningKey();
  const foreign = await generateSigningKey();
  let faults: StandInFaults = {};
  /** What the ID token needs from the authorization request, by grant id (TARA echoes `state`). */
  const loginContext = new Map<string, { state: string }>();

  const provider = new Provider(issuer, providerConfiguration(options, signing.privateJwk, loginContext));
  provider.proxy = false;

  // TARA accepts only the registered client authentication (spec §4.3); oidc-provider takes basic and post alike.
  const registeredAuth = options.clientAuthMethod ?? "client_secret_basic";
  provider.use(async (ctx, next) => {
    if (ctx.path === TARA_PATHS.token && ctx.method === "POST") {
      const sentBasic = /^basic\s/i.test(ctx.headers.authorization ?? "");
      if (sentBasic !== (registeredAuth === "client_secret_basic")) {
        ctx.status = 401;
        ctx.body = { error: "invalid_client", error_description: `client authentication must use ${registeredAuth}` };
        return;
      }
    }
    await next();
  });

  // Faults and TARA's exact ID-token shape are applied to the token response.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path !== TARA_PATHS.token || ctx.status !== 200) return;
    const body = ctx.body as { id_token?: string } | undefined;
    if (!body?.id_token || (!faults.idTokenClaims && !faults.unknownKid)) return;
    const payload = { ...decodeJwt(body.id_token), ...faults.idTokenClaims };
    const key = faults.unknownKid ? foreign : signing;
    body.id_token = await new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: key.kid }).sign(key.privateKey);
  });

  const handle = provider.callback();
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", issuer);
    if (url.pathname === TARA_PATHS.legacyDiscovery) {
      req.url = TARA_PATHS.discovery + url.search;
    }
    if (url.pathname === TARA_PATHS.token && faults.registeredAddresses && !faults.registeredAddresses.includes(req.socket.remoteAddress ?? "")) {
      return answerJson(res, 400, { error: "unauthorized_client", error_description: "Request from an unregistered IP address" });
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
      serveInteraction(provider, req, res, options.clientId, loginContext).catch(() => {
        if (!res.headersSent) res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
        res.end("The login session has expired or is unknown. Start again from the application.");
      });
      return;
    }
    handle(req, res);
  });

  return {
    issuer,
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

type SigningKey = { kid: string; privateKey: CryptoKey; privateJwk: JWK };

async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
  return { kid, privateKey, privateJwk };
}

function providerConfiguration(
  options: TaraStandInOptions,
  privateJwk: JWK,
  loginContext: Map<string, { state: string }>,
): Configuration {
  const policy = interactionPolicy.base();
  // TARA has no SSO session: every authorization request authenticates anew.
  policy.get("login")!.checks.add(
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
    scopes: ["openid", "idcard", "mid", "smartid", "eidas", "eidasonly", "email", "phone"],
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
    ttl: TTL,
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    extraParams: {
      autologin: (_ctx, value) => {
        if (value !== undefined && !findPersona(String(value))) {
          throw new errors.InvalidRequest("autologin names no known test identity");
        }
      },
      // oidc-provider drops unknown scopes before this runs; TARA rejects them, so check the request as sent.
      scope: (ctx) => {
        const sent = ctx.method === "POST" ? (ctx.oidc.body as Record<string, unknown> | undefined)?.scope : ctx.query.scope;
        const unknown = String(sent ?? "").split(" ").filter((s) => s && !isTaraScope(s));
        if (unknown.length) throw new errors.InvalidScope("requested scope is not supported", unknown.join(" "));
      },
      state: (_ctx, value) => {
        if (typeof value !== "string" || value.length < TARA_MIN_STATE_LENGTH) {
          throw new errors.CustomOIDCProviderError("invalid_state", `state must be at least ${TARA_MIN_STATE_LENGTH} characters`);
        }
      },
      acr_values: (_ctx, value) => {
        if (value !== undefined && !(ACR_LEVELS as readonly string[]).includes(String(value))) {
          throw new errors.InvalidRequest("acr_values must be exactly one of low, substantial, high");
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
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const params = details.params as Record<string, string | undefined>;
  const allowed = allowedAmr((params.scope ?? "").split(" "));
  const personas = TARA_PERSONAS.filter((p) => !allowed || allowed.has(p.amr.toLowerCase()));

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
  if (form.has("cancel")) {
    await provider.interactionFinished(
      req,
      res,
      { error: "user_cancel", error_description: "User canceled the authentication process." },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const persona = findPersona(form.get("persona") ?? "");
  if (!persona) {
    res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
    res.end("Choose one of the listed identities.");
    return;
  }
  await finishLogin(provider, req, res, details, persona, personas, loginContext);
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

function answerJson(res: ServerResponse, status: number, body: Record<string, string>): void {
  res.writeHead(status, { "content-type": "application/json;charset=UTF-8", "cache-control": "no-store" });
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
