export { createVerifier, basicAuth, type Verifier, type VerifierOptions, type VerifierStatus, type VerifyResult, type RefusalReason } from "./verifier.js";
export type { StreamOptions } from "./stream.js";
export type { PushOptions } from "./push.js";
export { TOKEN_REVOKED, SESSION_REVOKED, VERIFICATION, SET_TYP } from "./events.js";
