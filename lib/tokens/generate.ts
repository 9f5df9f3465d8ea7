import { randomUUID } from "node:crypto";
import type { JWTPayload } from "jose";
import { z } from "zod";
import type { ApiCaller } from "@/lib/clients/scopes";
import { config } from "@/lib/config/env";
import { groupCommit } from "@/lib/db/batcher";
import { prepared, runPrepared } from "@/lib/db/prepared";
import type { Prisma } from "@/lib/generated/prisma/client";
import { persistMetadataAsync } from "@/lib/jobs/metadata";
import { TimError, badRequest } from "@/lib/http/errors";
import { errorFields, log } from "@/lib/log/logger";
import { signJwt } from "@/lib/jwt/sign";
import { tokenHash } from "@/lib/tokens/hash";
import { TOKEN_TYPE } from "@/lib/tokens/kinds";
import { noteRecorded } from "@/lib/tokens/recorded";
import { MAX_LIFETIME_MINUTES, isoSeconds, nowSeconds } from "@/lib/tokens/time";

/** Claims TIM sets itself; a caller may not choose them. */
export const RESERVED_CLAIMS = ["iss", "exp", "iat", "nbf", "jti", "token_type"] as const;

const audienceSchema = z.union([z.string().min(1).max(500), z.array(z.string().min(1).max(500)).min(1).max(50)]);

/** A JWT name doubles as a cookie name: RFC 7230 token characters only. */
export const jwtNameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "JWTName may hold letters, digits and !#$%&'*+.^_`|~- only");

export const generateRequestSchema = z
  .object({
    JWTName: jwtNameSchema.optional(),
    content: z.record(z.string(), z.unknown()),
    expirationInMinutes: z.number().int().positive().max(MAX_LIFETIME_MINUTES),
    audience: audienceSchema.optional(),
    setCookie: z.boolean().optional(),
  })
  .strict()
  .superRefine((req, ctx) => {
    for (const claim of RESERVED_CLAIMS) {
      if (claim in req.content) {
        ctx.addIssue({ code: "custom", path: ["content", claim], message: `the claim ${claim} is set by TIM and may not be given` });
      }
    }
    if ("aud" in req.content && req.audience !== undefined) {
      ctx.addIssue({ code: "custom", path: ["content", "aud"], message: "give the audience once: as audience or as content.aud" });
    }
    if ("aud" in req.content && !audienceSchema.safeParse(req.content.aud).success) {
      ctx.addIssue({ code: "custom", path: ["content", "aud"], message: "must be a string or an array of strings" });
    }
    if ("sub" in req.content && typeof req.content.sub !== "string") {
      ctx.addIssue({ code: "custom", path: ["content", "sub"], message: "must be a string" });
    }
    if (req.setCookie && !req.JWTName) {
      ctx.addIssue({ code: "custom", path: ["JWTName"], message: "setCookie needs a JWTName (the cookie name)" });
    }
  });
export type GenerateRequest = z.infer<typeof generateRequestSchema>;

export const MAX_BATCH = 1000;
export const batchRequestSchema = z
  .object({
    tokens: z
      .array(generateRequestSchema.refine((r) => !r.setCookie, { message: "setCookie is not available in a batch", path: ["setCookie"] }))
      .min(1)
      .max(MAX_BATCH),
  })
  .strict();

type CustomMetadataRow = Prisma.CustomJwtMetadataCreateManyInput;

// Rows of concurrent issuances, inserted by one statement (a JSON array of rows) in one commit.
const INSERT_METADATA = prepared(
  "insert_custom_metadata",
  `INSERT INTO custom.jwt_metadata (jwt_uuid, claim_keys, issued_at, expires_at, subject, jwt_name, audience,
          issuer, original_jwt_uuid, claims_json, token_hash, token_type, client_id)
   SELECT x."jwtUuid", x."claimKeys", x."issuedAt", x."expiresAt", x."subject", x."jwtName", x."audience",
          x."issuer", x."originalJwtUuid", x."claimsJson", x."tokenHash", x."tokenType", x."clientId"
     FROM jsonb_to_recordset($1::jsonb) AS x("jwtUuid" uuid, "claimKeys" text, "issuedAt" timestamptz,
          "expiresAt" timestamptz, "subject" text, "jwtName" text, "audience" text, "issuer" text,
          "originalJwtUuid" uuid, "claimsJson" jsonb, "tokenHash" text, "tokenType" text, "clientId" text)`,
);

const recordMetadata = groupCommit<CustomMetadataRow>(
  async (rows) => void (await runPrepared(INSERT_METADATA, [JSON.stringify(rows)])),
  { maxRows: MAX_BATCH, maxInFlight: 2 },
);

export type IssuedToken = { name: string | null; token: string; jti: string; expiresAt: string; lifetimeSeconds: number };

/** TIM 2.0's answer to a generate request. */
export function createdBody(issued: IssuedToken) {
  return { status: "created", name: issued.name, token: issued.token, expiresAt: issued.expiresAt };
}

/** The calling client's policy for any token it mints (issuance and extension): its maximum lifetime and audiences. */
export function checkAllowed(lifetimeMinutes: number, audience: string | string[], caller: ApiCaller): void {
  if (caller.maxLifetimeMinutes !== null && lifetimeMinutes > caller.maxLifetimeMinutes) {
    throw badRequest(`expirationInMinutes exceeds this client's maximum of ${caller.maxLifetimeMinutes} minutes.`);
  }
  if (caller.allowedAudiences.length === 0) return;
  const refused = [audience].flat().filter((a) => !caller.allowedAudiences.includes(a));
  if (refused.length) {
    throw new TimError(403, "audience_not_allowed", `This API client may not issue tokens for audience ${refused.join(", ")}.`);
  }
}

/**
 * Issues custom JWTs and records their metadata. Tokens are signed first and
 * handed out only after all their rows committed in one statement (shared with
 * concurrent issuances: group commit): a batch is recorded all or none, and
 * when recording fails the caller gets 503 and no token. With
 * TIM_METADATA_WRITE_MODE=async the rows are handed to the background job
 * instead, and the token is returned once that hand-over was accepted.
 */
export async function issueCustomTokens(requests: GenerateRequest[], caller: ApiCaller): Promise<IssuedToken[]> {
  const cfg = config();
  const iat = nowSeconds();
  const drafts = requests.map((req) => {
    const { aud: contentAudience, ...content } = req.content;
    const audience = (req.audience ?? (contentAudience as string | string[] | undefined)) ?? cfg.TIM_DEFAULT_AUDIENCE;
    checkAllowed(req.expirationInMinutes, audience, caller);
    const jti = randomUUID();
    const exp = iat + req.expirationInMinutes * 60;
    const payload: JWTPayload = { ...content, iss: cfg.TIM_ISSUER, aud: audience, iat, exp, jti, token_type: TOKEN_TYPE.custom };
    return { req, jti, exp, audience, payload, claimKeys: Object.keys(req.content).join(",") };
  });

  const signed = await Promise.all(drafts.map(async (d) => ({ ...d, token: await signJwt(d.payload) })));

  const rows: CustomMetadataRow[] = signed.map((s) => ({
    jwtUuid: s.jti,
    claimKeys: s.claimKeys,
    issuedAt: new Date(iat * 1000),
    expiresAt: new Date(s.exp * 1000),
    subject: typeof s.payload.sub === "string" ? s.payload.sub : null,
    jwtName: s.req.JWTName ?? null,
    audience: [s.audience].flat().join(","),
    issuer: cfg.TIM_ISSUER,
    originalJwtUuid: s.jti,
    claimsJson: s.payload as Prisma.InputJsonObject,
    tokenHash: tokenHash(s.token),
    tokenType: TOKEN_TYPE.custom,
    clientId: caller.clientId,
  }));
  try {
    if (cfg.TIM_METADATA_WRITE_MODE === "async") {
      await persistMetadataAsync(rows.map((record) => ({ tokenType: "custom", record })));
    } else {
      await recordMetadata(rows);
      for (const s of signed) noteRecorded("custom", s.jti, s.exp);
    }
  } catch (err) {
    log.error("token metadata not recorded; no token issued", { count: signed.length, ...errorFields(err) });
    throw new TimError(503, "metadata_not_recorded", "The token metadata could not be recorded, so no token was issued. Try again shortly.");
  }
  return signed.map((s) => ({
    name: s.req.JWTName ?? null,
    token: s.token,
    jti: s.jti,
    expiresAt: isoSeconds(s.exp),
    lifetimeSeconds: s.exp - iat,
  }));
}
