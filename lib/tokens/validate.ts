import { z } from "zod";
import type { ApiCaller } from "@/lib/clients/scopes";
import { TimError } from "@/lib/http/errors";
import { readBody, type ApiRequest } from "@/lib/http/handler";
import { InvalidTokenError } from "@/lib/jwt/verify";
import { checkToken } from "@/lib/tokens/check";
import { kindOf } from "@/lib/tokens/kinds";
import { recordRead } from "@/lib/tokens/reads";
import { isoSeconds } from "@/lib/tokens/time";
import { countTokens } from "@/lib/metrics/registry";

export const validateRequestSchema = z.object({
  // Checked by validateToken, so that a missing or non-JWT token gets TIM's answer body.
  token: z.unknown().optional(),
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  issuer: z.string().min(1).optional(),
});
export type ValidateRequest = z.infer<typeof validateRequestSchema>;

/** TIM 2.0's validation answer. */
export type ValidationResult = {
  valid: boolean;
  active: boolean;
  reason: string | null;
  subject: string | null;
  issuer: string | null;
  /** Comma-joined, as TIM 2.0 answers (TIM refuses commas inside an audience, so nothing is lost). */
  audience: string | null;
  expires_at: string | null;
  issued_at: string | null;
  jwt_id: string | null;
  claims: Record<string, unknown> | null;
};

export type ValidationOutcome = { status: 200 | 400 | 401; body: ValidationResult };

export function invalidResult(reason: string): ValidationResult {
  return {
    valid: false,
    active: false,
    reason,
    subject: null,
    issuer: null,
    audience: null,
    expires_at: null,
    issued_at: null,
    jwt_id: null,
    claims: null,
  };
}

/**
 * Validates a token as TIM 2.0 did: 200 with the claims when valid, 401 with
 * the reason when not (a string that is no JWT included, as TIM 2.0 answers
 * it), 400 when the token is missing or not a string.
 */
export async function validateToken(request: ValidateRequest): Promise<ValidationOutcome> {
  if (request.token === undefined || request.token === null || request.token === "") {
    countTokens("validated", "unknown", "invalid");
    return { status: 400, body: invalidResult("Token is required") };
  }
  try {
    const { payload, kind } = await checkToken(request.token, { audience: request.audience, issuer: request.issuer });
    countTokens("validated", kind, "valid");
    return {
      status: 200,
      body: {
        valid: true,
        active: true,
        reason: "Valid",
        subject: typeof payload.sub === "string" ? payload.sub : null,
        issuer: payload.iss ?? null,
        audience: audienceText(payload.aud),
        expires_at: isoSeconds(payload.exp),
        issued_at: typeof payload.iat === "number" ? isoSeconds(payload.iat) : null,
        jwt_id: payload.jti,
        claims: payload,
      },
    };
  } catch (err) {
    if (!(err instanceof InvalidTokenError)) {
      countTokens("validated", "unknown", "failed");
      throw err;
    }
    countTokens("validated", "unknown", "invalid");
    return { status: typeof request.token === "string" ? 401 : 400, body: invalidResult(err.reason) };
  }
}

/** TIM 2.0's `audience`: the audiences comma-joined, null without any. */
function audienceText(aud: string | string[] | undefined): string | null {
  if (aud === undefined) return null;
  const list = [aud].flat();
  return list.length ? list.join(",") : null;
}

/**
 * Reads and answers a validation request (shared by /validate and
 * /validate/boolean) and hands its outcome to the usage and read-audit jobs.
 */
export async function validateFromRequest(req: ApiRequest, caller: ApiCaller, endpoint: string, requestId: string): Promise<ValidationOutcome> {
  let outcome: ValidationOutcome;
  try {
    outcome = await validateToken(await readBody(req, validateRequestSchema, { extra: invalidResult("Invalid request") }));
  } catch (err) {
    if (err instanceof TimError && err.status < 500) {
      recordRead(endpoint, caller, requestId, { accepted: false, kind: null, jti: null, result: err.code });
    }
    throw err;
  }
  const { body } = outcome;
  const kind = body.valid && body.claims ? (kindOf(body.claims) ?? null) : null;
  recordRead(endpoint, caller, requestId, { accepted: body.valid, kind, jti: body.jwt_id, result: body.valid ? "valid" : (body.reason ?? "invalid") });
  return outcome;
}
