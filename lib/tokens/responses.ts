import { z } from "zod";
import { TOKEN_STATUSES } from "@/lib/tokens/status";

/**
 * The answers of the custom token API, as the OpenAPI document
 * (lib/openapi/document.ts) shows them; declared by each route's
 * `responses` and checked against real answers by
 * test/http/openapi-answers.test.ts. Field names are TIM 2.0's where it had
 * them (docs/tim2-compatibility.md).
 */

const isoTime = z.string().meta({ description: "ISO 8601 time (UTC)", examples: ["2026-12-03T15:05:06Z"] });
const uuid = z.string().meta({ description: "UUID" });
const jwt = z.string().meta({ description: "A compact JWT (RS256)" });
const status = z
  .enum(TOKEN_STATUSES)
  .meta({ description: "`superseded`: revoked by an extension (a newer version replaced it); `revoked`: revoked for any other reason" });

/** POST /jwt/custom/generate, /jwt/custom/extend, /jwt/tara/extend. */
export const issuedTokenResponse = z
  .object({
    status: z.enum(["created", "extended"]),
    name: z.string().nullable().meta({ description: "The JWTName (also the cookie name with setCookie)" }),
    token: jwt,
    expiresAt: isoTime,
  })
  .meta({ examples: [{ status: "created", name: "SESSION", token: "eyJhbGciOiJSUzI1NiIs…", expiresAt: "2026-12-03T15:05:06Z" }] });

/** POST /jwt/tara/extend: the session's new TARA JWT (also set as the TIM_TARA_JWT cookie). */
export const taraExtendResponse = issuedTokenResponse.extend({ session_id: z.string() });

/** POST /jwt/custom/generate/batch. */
export const batchResponse = z.object({ status: z.literal("created"), count: z.int(), tokens: z.array(issuedTokenResponse) });

/** POST /jwt/custom/validate: 200 for a valid token; the same fields come with 400 and 401 (beside `error`, `message`). */
export const validationResponse = z
  .object({
    valid: z.boolean(),
    active: z.boolean(),
    reason: z.string().nullable().meta({ description: "`Valid`, or why not (`Token expired`, `Token revoked`, `Invalid signature`, …)" }),
    subject: z.string().nullable(),
    issuer: z.string().nullable(),
    audience: z.string().nullable().meta({ description: "Comma-joined audiences (TIM 2.0)" }),
    expires_at: isoTime.nullable(),
    issued_at: isoTime.nullable(),
    jwt_id: uuid.nullable(),
    claims: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({
    examples: [
      {
        valid: true,
        active: true,
        reason: "Valid",
        subject: "user-1",
        issuer: "TIM",
        audience: "tim-audience",
        expires_at: "2026-12-03T15:05:06Z",
        issued_at: "2026-12-03T14:35:06Z",
        jwt_id: "976d1b1c-fbcb-4d17-8a96-a78305be4435",
        claims: { sub: "user-1", iss: "TIM", aud: "tim-audience", token_type: "custom_jwt" },
      },
    ],
  });

/** POST /jwt/custom/validate/boolean: `true` or `false` as text. */
export const booleanText = z.enum(["true", "false"]);

/** POST /jwt/custom/revoke. */
export const revokeResponse = z.object({ status: z.literal("revoked"), message: z.string(), jwt_id: uuid });

/** POST /jwt/custom/revoke/bulk: 200 all revoked now, 207 mixed (400/403/409 carry the same counts beside `error`). */
export const bulkRevokeResponse = z.object({
  error: z.string().optional(),
  status: z.literal("completed"),
  message: z.string(),
  reason: z.string().optional(),
  total: z.int(),
  newly_revoked: z.int(),
  already_revoked: z.int(),
  failed: z.int(),
  not_owned: z.int(),
  newly_revoked_ids: z.array(uuid),
  already_revoked_ids: z.array(uuid),
  failures: z.array(z.object({ index: z.int(), reason: z.string() })),
  newly_revoked_tokens: z.array(z.string()).meta({ description: "TIM 2.0's: the first 20 characters of each token and `...`" }),
  already_revoked_tokens: z.array(z.string()),
  failed_tokens: z.array(z.object({ token: z.string(), reason: z.string() })),
});

/** POST /jwt/custom/revoke/subject, /jwt/tara/revoke/subject: log out everywhere, with the counts. */
export const subjectRevokeResponse = z
  .object({
    status: z.literal("completed"),
    message: z.string(),
    reason: z.string().optional(),
    subject: z.string(),
    kind: z.enum(["custom", "tara"]),
    revoked: z.int().meta({ description: "Active tokens this request revoked" }),
    revoked_ids: z.array(uuid),
    not_owned: z.int().meta({ description: "Active tokens of the subject another API client issued, left alone" }),
    remaining: z.int().meta({ description: "Active tokens past the 1000 one request revokes: ask again" }),
  })
  .meta({
    examples: [
      {
        status: "completed",
        message: "2 active tokens of this subject revoked",
        subject: "user-1",
        kind: "custom",
        revoked: 2,
        revoked_ids: ["…", "…"],
        not_owned: 0,
        remaining: 0,
      },
    ],
  });

/** A version's name, times and standing, as the chain and the caller's own list show them. */
const versionFields = {
  jwt_name: z.string().nullable(),
  issued_at: isoTime,
  expires_at: isoTime,
  created_at: isoTime,
  status,
  revoked_at: isoTime.nullable(),
  revocation_reason: z.string().nullable(),
};

const chainEntry = z.object({
  jwt_uuid: uuid,
  id: uuid,
  supersedes: uuid.nullable(),
  ...versionFields,
  is_current: z.boolean(),
  extension_number: z.int(),
});

/** GET /jwt/custom/extension-chain/{originalJwtUuid}. */
export const extensionChainResponse = z.object({
  original_jwt_uuid: uuid,
  extension_count: z.int(),
  current_jwt_uuid: uuid,
  chain: z.array(chainEntry),
  chain_length: z.int(),
  versions: z.array(chainEntry),
});

/** POST /jwt/custom/list/me. */
export const listMineResponse = z.object({
  subject: z.string(),
  tokens: z.array(
    z.object({
      jti: uuid,
      jwt_uuid: uuid,
      subject: z.string().nullable(),
      audience: z.string().nullable(),
      audiences: z.array(z.string()),
      issuer: z.string().nullable(),
      ...versionFields,
      original_jwt_uuid: uuid.nullable(),
      supersedes: uuid.nullable(),
      claim_keys: z.array(z.string()),
      claims: z.record(z.string(), z.unknown()).nullable(),
    }),
  ),
  pagination: z.object({
    total: z.int(),
    limit: z.int(),
    returned: z.int(),
    has_more: z.boolean(),
    next_cursor: z.string().nullable(),
    page: z.int().nullable(),
    size: z.int(),
    total_pages: z.int(),
    offset: z.int().nullable(),
  }),
});

/** POST /introspect (RFC 7662): `{active: false}` for any token that is not active, else its claims and TIM's fields. */
export const introspectionResponse = z
  .looseObject({
    active: z.boolean(),
    sub: z.string().optional(),
    iss: z.string().optional(),
    aud: z.union([z.string(), z.array(z.string())]).optional(),
    iat: z.number().optional(),
    exp: z.number().optional(),
    jti: z.string().optional(),
    token_type: z.string().optional(),
    client_id: z.string().optional(),
    scope: z.string().optional(),
    extra_claims: z.record(z.string(), z.unknown()).optional().meta({ description: "TIM 2.0's: the claims beyond the registered ones" }),
    jwt_name: z.string().nullable().optional(),
    original_jwt_uuid: z.string().nullable().optional(),
    extension_count: z.int().optional(),
    supersedes: z.string().nullable().optional(),
    created_at: z.number().optional(),
    token_status: z.literal("active").optional().meta({
      description:
        "TIM's status of the token (`active`, `expired`, `revoked`, `superseded` elsewhere); only active tokens are answered with more than `active: false` (RFC 7662 §2.2), so it is `active` when present. Not `status`: a claim of that name is the token's own",
    }),
  })
  .meta({
    examples: [
      { active: true, sub: "user-1", iss: "TIM", aud: "tim-audience", exp: 1796311209, jti: "b6885d23-e55d-4abb-8bc4-05399a2f714c", token_type: "custom_jwt" },
      { active: false },
    ],
  });

/** GET /introspect/types: TIM 2.0's map of token type to validator. */
export const introspectTypesResponse = z
  .record(z.string(), z.string())
  .meta({ examples: [{ custom_jwt: "CustomJwtTokenValidator", tara_jwt: "TaraJwtTokenValidator" }] });
