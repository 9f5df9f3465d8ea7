import type { ApiRequest } from "@/lib/http/handler";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { unstorableReason } from "@/lib/db/storable";
import { sourceAddress } from "@/lib/http/address";
import { TimError } from "@/lib/http/errors";
import { log } from "@/lib/log/logger";
import { cachedCaller, credentialKey, forgetCaller, markChecked, rememberCaller } from "@/lib/clients/cache";
import { hashClientSecret, verifyClientSecret } from "@/lib/clients/secret";
import { anonymousCaller, type ApiCaller, type Scope } from "@/lib/clients/scopes";
import { countSecretCheck } from "@/lib/ratelimit/failed-auth";
import { takeClientRequest } from "@/lib/ratelimit/requests";

/** A cached verification is trusted this long before the client row is looked at again (disable, change). */
const RECHECK_MS = 5_000;
/** last_used_at is written at most this often per client and process. */
const TOUCH_MS = 60_000;

/** The longest client id TIM stores (clientIdSchema, TIM_BOOTSTRAP_CLIENT_ID). */
const MAX_CLIENT_ID_CHARS = 200;
/** TIM's secrets have 43 characters; a bound keeps argon2's input small. */
const MAX_SECRET_CHARS = 512;
const CHALLENGE = 'Basic realm="TIM", Bearer realm="TIM"';
const lastTouched = new Map<string, number>();
let dummyHash: Promise<string> | undefined;

function unauthorized(message: string): TimError {
  return new TimError("invalid_client", message, {}, { "www-authenticate": CHALLENGE });
}

/**
 * Credentials as a client presented them. `alternatives` are other readings of
 * the same credentials, tried in order: a Basic header is form-decoded first
 * (RFC 6749 §2.3.1: `%2D` is `-`, `+` a space), then taken as sent, so a
 * secret with a literal `+` or `%` (an operator's TIM_BOOTSTRAP_CLIENT_SECRET)
 * keeps working from clients that do not encode.
 */
export type PresentedCredentials = { method: ClientAuthMethod; readings: { clientId: string; secret: string }[] };
export type ClientAuthMethod = "client_secret_basic" | "client_secret_post" | "api_key";

/** The client authentication methods of RFC 6749 §2.3.1 TIM accepts (RFC 8414 metadata lists them). */
export const CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"] as const;

/** application/x-www-form-urlencoded decoding of one value; undefined when it is not validly encoded. */
function formDecoded(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

function checkedReading(clientId: string, secret: string): { clientId: string; secret: string } {
  if (!clientId || !secret) throw unauthorized("Malformed client credentials.");
  // A client id no client can have (a NUL in it would even fail the lookup) is refused before any query;
  // 401 like any malformed credential (RFC 6749 §5.2). The secret only reaches argon2, bounded in length.
  const badId = clientId.length > MAX_CLIENT_ID_CHARS ? `has more than ${MAX_CLIENT_ID_CHARS} characters` : unstorableReason(clientId);
  if (badId) throw unauthorized(`Malformed client credentials: the client_id ${badId}.`);
  if (secret.length > MAX_SECRET_CHARS) {
    throw unauthorized(`Malformed client credentials: the secret has at most ${MAX_SECRET_CHARS} characters.`);
  }
  return { clientId, secret };
}

/** Reads client_secret_basic or `Bearer tim_…` API-key credentials from the Authorization header. */
function credentialsFromHeader(req: ApiRequest): PresentedCredentials {
  const header = req.headers.get("authorization");
  if (!header) throw unauthorized("This endpoint needs API client credentials (HTTP Basic, client_secret_post or a Bearer API key).");
  const [scheme, value = ""] = header.trim().split(/\s+/, 2);
  const basic = /^basic$/i.test(scheme);
  let decoded: string;
  if (basic) decoded = Buffer.from(value, "base64").toString("utf8");
  else if (/^bearer$/i.test(scheme) && value.startsWith("tim_")) decoded = Buffer.from(value.slice(4), "base64url").toString("utf8");
  else throw unauthorized("Unsupported credentials; use HTTP Basic client_id:secret or Bearer with an API key.");
  const colon = decoded.indexOf(":");
  if (colon <= 0 || colon === decoded.length - 1) throw unauthorized("Malformed client credentials.");
  const asSent = { clientId: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  if (!basic) return { method: "api_key", readings: [checkedReading(asSent.clientId, asSent.secret)] };
  const clientId = formDecoded(asSent.clientId);
  const secret = formDecoded(asSent.secret);
  const readings = [];
  if (clientId !== undefined && secret !== undefined) readings.push({ clientId, secret });
  if (clientId !== asSent.clientId || secret !== asSent.secret) readings.push(asSent);
  return { method: "client_secret_basic", readings: readings.map((r) => checkedReading(r.clientId, r.secret)) };
}

/**
 * client_secret_post (RFC 6749 §2.3.1): `client_id` and `client_secret` in a
 * form-encoded body, already decoded by the form parser. Undefined when the
 * body carries no secret. A client uses one method per request (§2.3): both
 * the header and body credentials is a 400.
 */
export function credentialsFromForm(req: ApiRequest, fields: Record<string, unknown>): PresentedCredentials | undefined {
  const { client_id: clientId, client_secret: secret } = fields;
  if (secret === undefined) return undefined;
  if (req.headers.get("authorization")) {
    throw new TimError("invalid_request", "Use one client authentication method: the Authorization header or client_id/client_secret in the body, not both.");
  }
  if (typeof clientId !== "string" || typeof secret !== "string") throw unauthorized("client_secret_post needs both client_id and client_secret.");
  return { method: "client_secret_post", readings: [checkedReading(clientId, secret)] };
}

type Verified = { caller: ApiCaller; rateLimitPerMinute: number | null };

/** Checks in flight, by credential key: concurrent requests with the same credentials share one. */
const inFlight = new Map<string, Promise<Verified>>();

async function verifyPresented(req: ApiRequest, clientId: string, secret: string): Promise<Verified> {
  const key = credentialKey(clientId, secret);
  const cached = cachedCaller(key);
  if (cached && Date.now() - cached.checkedAt < RECHECK_MS) return cached;
  let check = inFlight.get(key);
  if (!check) {
    check = checkPresented(req, key, cached, clientId, secret).finally(() => inFlight.delete(key));
    inFlight.set(key, check);
  }
  return check;
}

async function checkPresented(req: ApiRequest, key: string, cached: ReturnType<typeof cachedCaller>, clientId: string, secret: string): Promise<Verified> {
  // A secret not verified before is checked with argon2, counted against its address and client id
  // first; with nothing cached that happens before the row lookup, so guesses from an address known to
  // be blocked cost no query at all.
  const address = sourceAddress(req);
  let settle = cached ? undefined : await countSecretCheck(address, clientId);
  const prisma = await db();
  const row = await prisma.apiClient.findUnique({ where: { clientId } });
  if (row && !row.disabledAt && cached && cached.updatedAt === row.updatedAt.getTime()) {
    markChecked(key);
    return cached;
  }
  settle ??= await countSecretCheck(address, clientId);
  if (!row || row.disabledAt) {
    forgetCaller(key);
    // Same work as a wrong secret, so response times do not reveal which client ids exist.
    if (!row) await verifyClientSecret(await (dummyHash ??= hashClientSecret("tim-no-such-client")), secret);
    throw unauthorized("Invalid client credentials.");
  }
  if (!(await verifyClientSecret(row.secretHash, secret))) {
    forgetCaller(key);
    throw unauthorized("Invalid client credentials.");
  }
  await settle();
  const caller: ApiCaller = {
    clientId: row.clientId,
    scopes: row.scopes as Scope[],
    allowedAudiences: row.allowedAudiences,
    maxLifetimeMinutes: row.maxLifetimeMinutes,
    activeTokenLimit: row.activeTokenLimit,
  };
  rememberCaller(key, caller, row.rateLimitPerMinute, row.updatedAt);
  return { caller, rateLimitPerMinute: row.rateLimitPerMinute };
}

function touch(clientId: string): void {
  const now = Date.now();
  if (now - (lastTouched.get(clientId) ?? 0) < TOUCH_MS) return;
  lastTouched.set(clientId, now);
  db()
    .then((prisma) => prisma.apiClient.updateMany({ where: { clientId }, data: { lastUsedAt: new Date(now) } }))
    .catch(() => log.warn("api client last_used_at not recorded", { client_id: clientId }));
}

/**
 * The calling API client, which must hold `scope`: 401 with WWW-Authenticate
 * for missing or wrong credentials, 403 for a missing scope, 429 past its
 * request limit. With TIM_API_AUTH=off every caller is anonymous and may do
 * everything (limited per source address by the server).
 */
export async function authenticateClient(req: ApiRequest, scope: Scope, presented?: PresentedCredentials): Promise<ApiCaller> {
  if (config().TIM_API_AUTH === "off") return anonymousCaller;
  const { readings } = presented ?? credentialsFromHeader(req);
  let verified: Verified | undefined;
  let clientId = "";
  for (let i = 0; !verified; i++) {
    ({ clientId } = readings[i]);
    try {
      verified = await verifyPresented(req, clientId, readings[i].secret);
    } catch (err) {
      if (i === readings.length - 1 || !(err instanceof TimError) || err.code !== "invalid_client") throw err;
    }
  }
  const { caller, rateLimitPerMinute } = verified;
  await takeClientRequest(clientId, rateLimitPerMinute);
  if (!caller.scopes.includes(scope)) {
    throw new TimError(
      "insufficient_scope",
      `This API client lacks the scope ${scope}.`,
      { scope },
      {
        "www-authenticate": `Bearer realm="TIM", error="insufficient_scope", scope="${scope}"`,
      },
    );
  }
  touch(clientId);
  return caller;
}

/**
 * Whether the request carries API client credentials (HTTP Basic or a Bearer
 * API key) rather than a token of the caller's own: endpoints that accept
 * either tell them apart with this.
 */
export function presentsClientCredentials(req: ApiRequest): boolean {
  const header = req.headers.get("authorization")?.trim() ?? "";
  return /^basic\s/i.test(header) || /^bearer\s+tim_/i.test(header);
}
