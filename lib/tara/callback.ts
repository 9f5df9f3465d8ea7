import { z } from "zod";
import { db } from "@/lib/db/client";
import { TimError } from "@/lib/http/errors";
import { log } from "@/lib/log/logger";
import { taraEndpoints } from "@/lib/tara/discovery";
import { stateHash } from "@/lib/tara/cookie";
import { exchangeCode } from "@/lib/tara/exchange-code";
import { UNKNOWN_ORIGIN, type TokenOrigin } from "@/lib/tokens/origin";
import { issueTaraToken, type IssuedTaraToken } from "@/lib/tara/issue-token";
import { stricterAcr } from "@/lib/tara/protocol";
import { callbackMethods } from "@/lib/tara/login";
import { failedOutcome, recordLoginOutcome } from "@/lib/tara/login-result";
import { taraSettings } from "@/lib/tara/settings";
import { consumeState, findState, type ResponseMode } from "@/lib/tara/state";
import { verifyIdToken, type TaraIdentity } from "@/lib/tara/verify-id-token";
import { storableString } from "@/lib/db/storable";
import { logProtocol, protocolError } from "@/lib/tara/protocol-log";

export const callbackQuerySchema = z.object({
  code: storableString.min(1).max(2048).optional(),
  state: storableString.min(1).max(512).optional(),
  error: storableString.max(100).optional(),
  error_description: storableString.max(1000).optional(),
});
export type CallbackQuery = z.infer<typeof callbackQuerySchema>;

export type CallbackResult =
  | { ok: true; mode: "redirect"; redirectUri: string; identity: TaraIdentity; issued: IssuedTaraToken }
  /** A JSON login: the outcome waits for its starter (lib/tara/login-result.ts); this answer carries none of it. */
  | { ok: true; mode: "json"; redirectUri: string }
  /** A failure; `locale` and `redirectUri` are the login's when its state was found. */
  | { ok: false; mode: ResponseMode | undefined; error: unknown; locale?: string | null; redirectUri?: string };

/** TARA's documented callback errors; anything else is reported as `tara_error`. */
const TARA_ERRORS = new Set(["user_cancel", "invalid_scope", "invalid_state", "invalid_request", "unsupported_response_type"]);

const unboundState = () =>
  new TimError("state_not_bound", "This login was not started in this browser (or its login cookie is missing). You are not signed in; please log in again.", {
    provider: "tara",
  });

const invalidState = () =>
  new TimError("invalid_state", "This login is unknown, has expired or was already completed. Please log in again.", {
    provider: "tara",
  });

/**
 * TARA's redirect back. A browser login's state must first match the hash in
 * the binding cookie set when it started (TARA.md "Binding `state` to the
 * browser", RFC 6749 §10.12): a callback link opened in another browser is
 * refused with 400 before the state is touched, so it can neither sign that
 * browser in nor burn the login of the one that started it. The state is then consumed, in one conditional
 * update: unknown, expired or already used → 400 and nothing written; of two
 * concurrent callbacks only one proceeds. Then TARA's error is reported, or
 * the code is exchanged, the ID token verified against the stricter of what
 * the login asked for and the configuration now in force, and the TIM TARA
 * JWT issued with its metadata (one transaction, after signing). A JSON
 * login's callback issues nothing: whoever opens it (the link may have been
 * handed on) learns only that it completed, and the verified identity or the
 * error waits for the starter to redeem with its login secret. A login that fails after
 * this point leaves the state used, so its callback cannot be replayed. No
 * database transaction is held open while TARA is called: on the embedded
 * database a transaction excludes every other query.
 */
export async function completeTaraLogin(
  query: CallbackQuery,
  boundStateHash: string | undefined,
  requestUrl: string,
  origin: TokenOrigin = UNKNOWN_ORIGIN,
): Promise<CallbackResult> {
  if (!query.state) return { ok: false, mode: undefined, error: invalidState() };
  const prisma = await db();
  const row = await findState(prisma, query.state);
  // Unknown states are not TARA's answers to TIM's logins: nothing to reconstruct, and nothing for strangers to fill the log with.
  if (!row) return { ok: false, mode: undefined, error: invalidState() };
  await logProtocol({ state: row.state, message: "redirect_request", url: requestUrl });
  const mode = row.responseMode as ResponseMode;
  const locale = row.uiLocales;
  // An unbound callback must not learn where the login returns to: no redirectUri before the binding holds.
  if (mode === "redirect" && boundStateHash !== stateHash(row.state)) return { ok: false, mode, locale, error: unboundState() };
  if (!(await consumeState(prisma, row.state))) return { ok: false, mode, locale, error: invalidState() };

  try {
    if (query.error) throw taraError(query.error, query.error_description);
    if (!query.code) throw new TimError("invalid_request", "TARA's answer holds neither a code nor an error.", { provider: "tara" });
    const settings = taraSettings();
    // Configuration is a floor even for logins started before it was raised or narrowed.
    const requestedAcr = stricterAcr(row.requestedAcr, settings.acr);
    const requestedMethods = callbackMethods(settings, row.requestedMethods ? row.requestedMethods.split(",") : []);
    const endpoints = await taraEndpoints(settings);
    const idToken = await exchangeCode(settings, endpoints, query.code).catch(async (err: unknown) => {
      await logProtocol({ state: row.state, message: "token_response", error: protocolError(err) });
      throw err;
    });
    const identity = await verifyIdToken(idToken, settings, endpoints, { nonce: row.nonce, state: row.state, requestedAcr, requestedMethods }).then(
      async (verified) => {
        await logProtocol({ state: row.state, message: "token_response", httpStatus: 200, idToken, verified: true });
        return verified;
      },
      async (err: unknown) => {
        await logProtocol({ state: row.state, message: "token_response", httpStatus: 200, idToken, verified: false, error: protocolError(err) });
        throw err;
      },
    );
    if (mode === "json") {
      // The browser at this callback is where the token comes from, though it is issued when the starter redeems.
      await recordLoginOutcome(row.state, { identity, origin });
      return { ok: true, mode, redirectUri: row.redirectUri };
    }
    const issued = await issueTaraToken(identity, row, origin);
    log.info("tara login", { session_id: issued.sessionId, jwt_uuid: issued.payload.jti, amr: identity.amr, acr: identity.acr });
    return { ok: true, mode, redirectUri: row.redirectUri, identity, issued };
  } catch (error) {
    if (error instanceof TimError) log.warn("tara login failed", { error: error.code });
    // The starter learns the failure when it redeems; if even that cannot be stored, the redemption expires.
    if (mode === "json") await recordLoginOutcome(row.state, failedOutcome(error)).catch(() => undefined);
    return { ok: false, mode, locale, redirectUri: row.redirectUri, error };
  }
}

/**
 * TARA's error in the redirect request (spec §4.2). Its `error_description` is
 * for the integrator, in English, and "not needed to be displayed for the
 * user" (§4.2): it is logged, never shown.
 */
function taraError(code: string, description: string | undefined): TimError {
  log.warn("tara callback error", { tara_error: code, tara_error_description: description?.slice(0, 500) });
  if (code === "user_cancel") {
    return new TimError("user_cancel", "The login was cancelled in TARA. You are not signed in.", { provider: "tara" });
  }
  const known = TARA_ERRORS.has(code) ? code : "tara_error";
  // TARA's own code goes in tara_error: as `error` it would collide with TIM's codes of the same name (invalid_state is a 400 of TIM's).
  return new TimError("tara_error", `TARA could not complete the login (${known}).`, { provider: "tara", tara_error: known });
}
