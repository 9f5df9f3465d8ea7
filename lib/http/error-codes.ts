/**
 * Every `error` code TIM answers, with its one HTTP status: a TimError names
 * its code and the status follows from here. A code means one thing
 * everywhere; the README's error table is generated from this list
 * (test/http/error-codes.test.ts keeps them equal).
 *
 * `invalid_token` is 401 only (RFC 6750 §3.1: the token presented as the
 * credential is expired, revoked, malformed or invalid). A token that is not
 * the credential but the request's subject (the one to revoke, validate) and
 * is missing or unreadable is a malformed request: 400 `invalid_request`,
 * with the reason in `reason`.
 */
export const ERROR_CODES = {
  // 400
  invalid_request: [400, "The request (body, query or a parameter) is malformed or fails its schema; `message` names the field."],
  invalid_json: [400, "The body is not valid JSON."],
  request_aborted: [400, "The request body ended early."],
  unauthorized_client: [400, "RFC 7009: this client may not revoke this token (another client's, or a TARA token); `error_description` says why."],
  below_configured_assurance: [400, "A TARA login asked for less assurance than TIM is configured to require."],
  invalid_redirect_uri: [400, "A TARA login's redirect_uri is not a path on this site and not in TIM_ALLOWED_REDIRECTS."],
  invalid_state: [400, "A TARA callback's state is unknown, expired or used already."],
  state_not_bound: [400, "A TARA callback reached a browser that did not start the login."],
  user_cancel: [400, "The person cancelled the login in TARA."],
  invalid_login_secret: [400, "A JSON TARA login's result was redeemed with an unknown state or a wrong login_secret (nothing is used up)."],
  tara_invalid_grant: [400, "TARA no longer accepts the login's authorization code (expired after 30 s, or used): the person logs in again."],
  invalid_setup_code: [400, "The first-run setup code is unknown or expired (each start without an administrator prints a new one)."],
  request_too_large: [400, "A bulk revocation names more than 100 tokens (TIM 2.0's answer); `provided` and `maximum` say how many."],
  login_expired: [400, "A JSON TARA login expired before its result was redeemed."],
  invalid_push_endpoint: [
    400,
    "A Shared Signals push endpoint is refused: not https, not resolvable, or an internal address (TIM_SSF_PUSH_ALLOW_INTERNAL allows those).",
  ],
  unsupported_delivery_method: [
    400,
    "A Shared Signals stream asked for a delivery method TIM does not transmit (it transmits poll, urn:ietf:rfc:8936, and push, urn:ietf:rfc:8935).",
  ],
  // 401
  invalid_client: [401, "Missing, malformed or wrong API client credentials (with WWW-Authenticate)."],
  invalid_token: [401, "The token presented as credential (or validated) is expired, revoked, malformed or otherwise not valid; `reason` says which."],
  invalid_session: [401, "The TARA session of the token has ended."],
  not_authenticated: [401, "No TIM TARA JWT (cookie or bearer) and no client credentials."],
  extend_denied: [401, "The token to extend is not valid (expired, revoked, forged); `reason` says why."],
  unauthorized: [401, "Sign-in (console) or the metrics bearer token is missing or wrong."],
  // 403
  insufficient_scope: [403, "The API client lacks the scope the endpoint needs (`scope` names it)."],
  audience_not_allowed: [403, "The API client may not issue tokens for this audience."],
  token_not_owned: [403, "The token was issued by another API client (needs tokens:revoke:any)."],
  no_subject: [403, "The bearer token has no subject to list tokens for."],
  not_your_session: [403, "session_id names another session than the one of the token presented."],
  forbidden: [403, "Administrators only."],
  insufficient_assurance: [403, "TARA authenticated at a lower level of assurance than requested."],
  method_not_allowed: [403, "TARA authenticated with a method that was not among the requested ones."],
  cross_origin_request: [403, "A console form posted from another origin."],
  // 404, 405
  not_found: [404, "No such resource: export, job run, token (or metrics are disabled)."],
  unknown_path: [404, "No API endpoint has this path (see /openapi.json); API paths answer JSON, never an HTML page."],
  provider_not_available: [404, "No login provider has this id on this TIM (`available_providers` lists those that do; TIM 2.0 answered 400)."],
  session_not_found: [404, "No TARA session has this id."],
  unsupported_method: [405, "The route does not take this HTTP method (`Allow` lists those it does)."],
  // 409, 410, 413, 429
  already_revoked: [409, "The token was revoked already."],
  extend_conflict: [409, "The token is being extended or was extended already."],
  count_changed: [409, "A mass revocation's confirmed count no longer matches."],
  client_exists: [409, "An API client with this id exists."],
  key_retired: [409, "The signing key is retired already."],
  key_conflict: [409, "Another signing key holds the kid of the key being imported (npm run import:tim2)."],
  only_signing_key: [409, "The only signing key cannot be retired."],
  export_not_ready: [409, "The background export has not finished."],
  file_not_ready: [409, "The stored file is still being written."],
  login_pending: [409, "A JSON TARA login has not come back from TARA yet; redeem it after the callback."],
  next_key_too_new: [
    409,
    "The next signing key has not been published for TIM_KEY_PUBLISH_LEAD_SECONDS yet; retiring the signing key now would let it sign before verifiers hold it.",
  ],
  jobs_in_process: [409, "Background jobs run inside TIM; /api/inngest only lists them."],
  administrator_seeded: [409, "The administrator comes from TIM_ADMIN_SUBJECTS and is removed there, not at run time."],
  last_administrator: [409, "The last administrator cannot be removed; grant another one first."],
  setup_done: [409, "TIM has an administrator already: the first-run setup link no longer works."],
  database_in_use: [409, "Another process holds the embedded database."],
  import_running: [409, "Another import from TIM 2.0 is running against this TIM (npm run import:tim2)."],
  export_gone: [410, "The export file was deleted after TIM_EXPORT_DAYS."],
  payload_too_large: [413, "The body exceeds its size limit."],
  too_many_requests: [429, "A rate limit was reached (with Retry-After)."],
  // 5xx
  internal_error: [500, "An unexpected failure; the server log has its request_id."],
  invalid_metadata: [500, "A token metadata row handed to a background job is incomplete."],
  invalid_job_event: [500, "A background job received an event it cannot read."],
  export_file_lost: [500, "A background export's partial file is shorter than its recorded progress."],
  tara_error: [502, "TARA refused or failed the login; `tara_error` holds TARA's own code."],
  tara_token_error: [502, "TARA's token endpoint refused the authorization code for another reason; `tara_error` holds TARA's code."],
  tara_invalid_client: [502, "TARA refused TIM's client credentials: check TARA_CLIENT_ID, TARA_CLIENT_SECRET, TARA_CLIENT_AUTH_METHOD."],
  tara_unauthorized_client: [502, "TARA refused the token request from this server's address: register the outgoing addresses with RIA."],
  invalid_id_token: [502, "TARA's ID token failed verification."],
  tara_unavailable: [502, "TARA is not reachable."],
  service_unavailable: [503, "The database is not reachable; try again shortly."],
  busy: [503, "Too many client secret checks are waiting (with Retry-After)."],
  job_unavailable: [503, "No handler for this background job is registered in this process."],
  metadata_not_recorded: [503, "A token's metadata row could not be written; no token was issued."],
  snapshot_pending: [
    503,
    "A database transaction that was running when the first page of the revocation snapshot was asked for did not end within 10 s (the snapshot waits for it so that it misses no revocation); try again.",
  ],
  tara_not_configured: [503, "TARA login is not configured."],
  tara_timeout: [504, "TARA did not answer within TARA_TIMEOUT_MS."],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code][0];
}

/** The README's table of error codes (between its `error-codes` markers). */
export function errorCodeTable(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, [status, meaning]]) => `| ${status} | \`${code}\` | ${meaning} |`);
  return ["| status | `error` | meaning |", "| --- | --- | --- |", ...rows].join("\n");
}
