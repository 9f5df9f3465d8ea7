import { errors, jwtVerify, type JWTPayload } from "jose";
import { z } from "zod";
import { storableString, unstorableReason } from "@/lib/db/storable";
import { TimError } from "@/lib/http/errors";
import { taraKeys, type TaraEndpoints } from "@/lib/tara/discovery";
import { taraTimeout, taraUnavailable } from "@/lib/tara/http";
import { DEFAULT_ACR, acrRank, allowedAmr } from "@/lib/tara/protocol";
import type { TaraSettings } from "@/lib/tara/settings";

/** The person TARA authenticated, from a verified ID token. */
export type TaraIdentity = {
  sub: string;
  givenName: string | null;
  familyName: string | null;
  dateOfBirth: string | null;
  /** As TARA spells them (mID, idcard, smartid, eIDAS). */
  amr: string[];
  acr: string;
  /** Seconds; TARA sends no auth_time, so the ID token's iat stands in. */
  authTime: number;
  /** Scope `email` (spec §4.1.2): the eesti.ee address; TARA always says unverified. */
  email: string | null;
  emailVerified: boolean | null;
  /** Scope `phone` (spec §4.1.3), Mobile-ID only: E.164, verified by the login. */
  phoneNumber: string | null;
  phoneNumberVerified: boolean | null;
};

export type IdTokenExpectations = {
  nonce: string;
  state: string;
  /** Level asked for; without one TARA.md requires substantial or high. */
  requestedAcr: string | null;
  /** Method scopes asked for (idcard, mid, …); empty: any method. */
  requestedMethods: string[];
};

const profileSchema = z
  .object({
    given_name: storableString.max(500).optional(),
    family_name: storableString.max(500).optional(),
    date_of_birth: storableString.max(50).optional(),
  })
  .partial();

/** TARA's contact claims (spec §4.3.3); absent unless the scope was asked for and TARA had the value. */
const contactSchema = z.object({
  email: storableString.max(320).optional(),
  email_verified: z.boolean().optional(),
  phone_number: storableString.max(32).optional(),
  phone_number_verified: z.boolean().optional(),
});

/** Upper bound on an ID token's age at arrival (TARA issues them for 40 s). */
const MAX_ID_TOKEN_AGE_S = 300;

const invalidIdToken = (why: string) => new TimError("invalid_id_token", `TARA's ID token was rejected: ${why}. No session was created.`, { provider: "tara" });

/**
 * Every check TARA.md requires of a client: signature with the JWKS key named
 * by kid, exact issuer, audience = our client id (spec §5.1.4; a string or a
 * one-element array, both allowed by OIDC Core §2), exp/iat
 * with the configured skew, state and nonce, amr within the requested
 * methods, acr at least the requested level.
 */
export async function verifyIdToken(
  idToken: string,
  settings: Pick<TaraSettings, "issuer" | "clientId" | "clockSkewSeconds" | "timeoutMs">,
  endpoints: TaraEndpoints,
  expected: IdTokenExpectations,
): Promise<TaraIdentity> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, taraKeys(endpoints.jwks, settings.timeoutMs), {
      algorithms: ["RS256"],
      issuer: settings.issuer,
      audience: settings.clientId,
      clockTolerance: settings.clockSkewSeconds,
      maxTokenAge: MAX_ID_TOKEN_AGE_S,
      requiredClaims: ["sub", "exp", "iat"],
    }));
  } catch (err) {
    throw joseFailure(err);
  }
  // jose checked that the client id is among the audiences; any other audience is refused.
  const audiences = typeof payload.aud === "string" ? [payload.aud] : (payload.aud ?? []);
  if (audiences.length !== 1) throw invalidIdToken("the audience is not this client alone");
  if (payload.nonce !== expected.nonce) throw invalidIdToken("the nonce does not match the login");
  if (payload.state !== undefined && payload.state !== expected.state) {
    throw invalidIdToken("the state does not match the login");
  }
  if (typeof payload.sub !== "string" || payload.sub.length === 0 || payload.sub.length > 256 || unstorableReason(payload.sub)) {
    throw invalidIdToken("the subject is missing or too long");
  }

  const amr = Array.isArray(payload.amr) ? payload.amr.filter((v): v is string => typeof v === "string") : [];
  if (amr.length === 0) throw invalidIdToken("no authentication method (amr)");
  const allowed = allowedAmr(expected.requestedMethods);
  if (allowed && !amr.some((m) => allowed.has(m.toLowerCase()))) {
    throw new TimError("method_not_allowed", `TARA authenticated with ${amr.join(", ")}, which was not among the requested methods.`, {
      provider: "tara",
    });
  }

  const required = expected.requestedAcr ?? DEFAULT_ACR;
  if (typeof payload.acr !== "string" || acrRank(payload.acr) < 0) {
    throw invalidIdToken("no level of assurance (acr)");
  }
  if (acrRank(payload.acr) < acrRank(required)) {
    throw new TimError("insufficient_assurance", `TARA authenticated at level ${payload.acr}; at least ${required} is required.`, {
      provider: "tara",
    });
  }

  const profile = profileSchema.safeParse(payload.profile_attributes ?? {});
  if (!profile.success) throw invalidIdToken("profile_attributes is malformed");
  const contact = contactSchema.safeParse(payload);
  if (!contact.success) throw invalidIdToken("email or phone_number claims are malformed");
  return {
    sub: payload.sub,
    givenName: profile.data.given_name ?? null,
    familyName: profile.data.family_name ?? null,
    dateOfBirth: profile.data.date_of_birth ?? null,
    amr,
    acr: payload.acr,
    authTime: typeof payload.auth_time === "number" ? payload.auth_time : payload.iat!,
    email: contact.data.email ?? null,
    emailVerified: contact.data.email_verified ?? null,
    phoneNumber: contact.data.phone_number ?? null,
    phoneNumberVerified: contact.data.phone_number_verified ?? null,
  };
}

function joseFailure(err: unknown): TimError {
  // TIM's TARA transport already said what went wrong (timeout, unreachable, TARA_CA_FILE).
  if (err instanceof TimError) return err;
  if (err instanceof errors.JWKSTimeout) return taraTimeout();
  if (err instanceof errors.JWKSNoMatchingKey) return invalidIdToken("it is signed with a key (kid) TARA does not publish");
  if (err instanceof errors.JWKSInvalid || err instanceof errors.JWKSMultipleMatchingKeys) return taraUnavailable("JWKS");
  if (err instanceof errors.JWTExpired) return invalidIdToken("it has expired");
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalidIdToken("the signature is invalid");
  if (err instanceof errors.JOSEAlgNotAllowed) return invalidIdToken("it is not signed with RS256");
  if (err instanceof errors.JWTClaimValidationFailed) {
    const names: Record<string, string> = { iss: "the issuer is not TARA", aud: "the audience is not this client" };
    return invalidIdToken(names[err.claim] ?? `claim ${err.claim} is invalid`);
  }
  if (err instanceof errors.JOSEError) return invalidIdToken("it is not a valid signed JWT");
  // fetch failures while loading the JWKS
  return taraUnavailable("JWKS");
}
