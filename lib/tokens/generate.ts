import { randomUUID } from "node:crypto";
import type { JWTPayload } from "jose";
import { z } from "zod";
import { callerName, type ApiCaller } from "@/lib/clients/scopes";
import { config } from "@/lib/config/env";
import { batcher } from "@/lib/db/batcher";
import { MAX_JSON_DEPTH, findUnstorableJson, storableString, utf8Bytes } from "@/lib/db/storable";
import { runPrepared } from "@/lib/db/prepared";
import type { Prisma } from "@/lib/generated/prisma/client";
import { persistMetadataAsync } from "@/lib/jobs/persist-metadata-async";
import { TimError, badRequest, isDataRefusal, refusedInput } from "@/lib/http/errors";
import { errorFields, log } from "@/lib/log/logger";
import { countTokens, failureOutcome } from "@/lib/metrics/registry";
import { signJwt } from "@/lib/jwt/sign";
import { isReservedCookieName } from "@/lib/auth/cookie-names";
import { tokenHash } from "@/lib/tokens/hash";
import { TOKEN_TYPE } from "@/lib/tokens/kinds";
import { INSERT_METADATA } from "@/lib/tokens/record-metadata";
import { noteRecorded } from "@/lib/tokens/recorded";
import { checkWithinLimit, insertWithinLimits, type LimitedSubject } from "@/lib/tokens/token-limit";
import { UNKNOWN_ORIGIN, type TokenOrigin } from "@/lib/tokens/origin";
import { MAX_LIFETIME_MINUTES, isoSeconds, nowSeconds } from "@/lib/tokens/time";

/** Claims TIM sets itself; a caller may not choose them. */
export const RESERVED_CLAIMS = ["iss", "exp", "iat", "nbf", "jti", "token_type"] as const;

/**
 * What a caller may put in a token, each bound set by what stores it (README, "Limits"). subject, jwt_name,
 * client_id and claim_keys are btree-indexed (an entry holds at most 2704 bytes; a character takes up to 4);
 * audience and claim_keys are stored comma-joined; the signed token must stay within the 16384 characters
 * that validate, extend and revoke accept.
 */
export const TOKEN_LIMITS = {
  /** OpenID Connect's bound for `sub` (Core §2); 1020 bytes at most, well inside an index entry. */
  subjectChars: 255,
  audienceChars: 500,
  audiences: 50,
  claims: 100,
  claimNameChars: 128,
  /** claim_keys (the names comma-joined) is one btree entry (and part of the stats rollup's key). */
  claimNamesBytes: 2000,
  /** content as JSON: its token, base64url-encoded and signed, stays under 16384 characters. */
  contentBytes: 8192,
  depth: MAX_JSON_DEPTH,
} as const;

const audienceValue = storableString
  .min(1)
  .max(TOKEN_LIMITS.audienceChars)
  .refine((v) => !v.includes(","), "an audience may not contain a comma (TIM stores audiences comma-separated)");
const audienceSchema = z.union([audienceValue, z.array(audienceValue).min(1).max(TOKEN_LIMITS.audiences)]);
const subjectSchema = storableString.min(1).max(TOKEN_LIMITS.subjectChars);

/** Claim names and values PostgreSQL and the token API can hold, within TOKEN_LIMITS; issues name the path. */
function checkContent(content: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const names = Object.keys(content);
  if (names.length > TOKEN_LIMITS.claims) {
    ctx.addIssue({ code: "custom", path: ["content"], message: `may hold at most ${TOKEN_LIMITS.claims} claims` });
    return;
  }
  for (const name of names) {
    if (name.includes(",")) {
      ctx.addIssue({ code: "custom", path: ["content", name], message: "a claim name may not contain a comma (TIM stores claim names comma-separated)" });
    } else if (name.length === 0 || name.length > TOKEN_LIMITS.claimNameChars) {
      ctx.addIssue({ code: "custom", path: ["content", name], message: `a claim name has 1 to ${TOKEN_LIMITS.claimNameChars} characters` });
    }
  }
  const found = findUnstorableJson(content);
  if (found) {
    ctx.addIssue({ code: "custom", path: ["content", ...found.path], message: found.message });
    return;
  }
  if (utf8Bytes(names.join(",")) > TOKEN_LIMITS.claimNamesBytes) {
    ctx.addIssue({
      code: "custom",
      path: ["content"],
      message: `the claim names together (comma-joined) may be at most ${TOKEN_LIMITS.claimNamesBytes} bytes of UTF-8`,
    });
  }
  if (utf8Bytes(JSON.stringify(content)) > TOKEN_LIMITS.contentBytes) {
    ctx.addIssue({ code: "custom", path: ["content"], message: `may be at most ${TOKEN_LIMITS.contentBytes} bytes as JSON` });
  }
}

/** A JWT name doubles as a cookie name: RFC 7230 token characters only. */
export const jwtNameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "JWTName may hold letters, digits and !#$%&'*+.^_`|~- only");

/**
 * TIM 2.0's generate request. Lenient where TIM 2.0 was: unknown fields are ignored (Spring's default) and
 * expirationInMinutes defaults to 60. `content` stays required (TIM 2.0 defaults it to {} and signs a token
 * that names no one, e.g. for a misspelt "contents"); see docs/tim2-compatibility.md.
 */
export const generateRequestSchema = z
  .object({
    JWTName: jwtNameSchema.optional(),
    content: z.record(z.string(), z.unknown()),
    expirationInMinutes: z.number().int().positive().max(MAX_LIFETIME_MINUTES).default(60),
    audience: audienceSchema.optional(),
    setCookie: z.boolean().optional(),
  })
  .superRefine((req, ctx) => {
    for (const claim of RESERVED_CLAIMS) {
      if (claim in req.content) {
        ctx.addIssue({ code: "custom", path: ["content", claim], message: `the claim ${claim} is set by TIM and may not be given` });
      }
    }
    if ("aud" in req.content && req.audience !== undefined) {
      ctx.addIssue({ code: "custom", path: ["content", "aud"], message: "give the audience once: as audience or as content.aud" });
    }
    if ("aud" in req.content) addIssues(ctx, ["content", "aud"], audienceSchema.safeParse(req.content.aud));
    if ("sub" in req.content) addIssues(ctx, ["content", "sub"], subjectSchema.safeParse(req.content.sub));
    checkContent(req.content, ctx);
    if (req.setCookie && !req.JWTName) {
      ctx.addIssue({ code: "custom", path: ["JWTName"], message: "setCookie needs a JWTName (the cookie name)" });
    }
    if (req.setCookie && req.JWTName && isReservedCookieName(req.JWTName)) {
      ctx.addIssue({
        code: "custom",
        path: ["JWTName"],
        message: "setCookie may not use a JWTName that is one of TIM's own cookie names or starts with __Host- or __Secure-",
      });
    }
  });
export type GenerateRequest = z.infer<typeof generateRequestSchema>;

function addIssues(ctx: z.RefinementCtx, path: (string | number)[], result: z.ZodSafeParseResult<unknown>): void {
  for (const issue of result.error?.issues ?? []) ctx.addIssue({ code: "custom", path: [...path, ...issue.path], message: issue.message });
}

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

/** One request's rows, and its client's limit on active tokens per subject (null: none). */
type Issuance = { rows: CustomMetadataRow[]; limit: number | null; revokedBy: string };

/**
 * Rows of concurrent issuances, inserted by one statement (a JSON array of rows) in one commit (group commit:
 * a caller is answered once the write carrying its rows committed; one caller's rows stay together, a caller
 * whose rows the database refuses fails alone). A group holding rows of a client with a token limit is written
 * in one transaction with the revocations past the limit (lib/tokens/token-limit.ts); any other group is the
 * one statement alone.
 */
const recordMetadata = batcher<Issuance, void>(
  async (issuances) => {
    const rows = issuances.flatMap((i) => i.rows);
    const limited: LimitedSubject[] = issuances.flatMap((i) =>
      i.limit === null
        ? []
        : i.rows.flatMap((r) => (r.subject ? [{ clientId: r.clientId ?? null, subject: r.subject, limit: i.limit!, revokedBy: i.revokedBy }] : [])),
    );
    if (limited.length === 0) await runPrepared(INSERT_METADATA.custom, [JSON.stringify(rows)]);
    else await insertWithinLimits("custom", rows, limited);
    return issuances.map(() => undefined);
  },
  { name: "issue", maxSize: MAX_BATCH, maxInFlight: 2, sizeOf: (i) => i.rows.length },
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
    throw new TimError("audience_not_allowed", `This API client may not issue tokens for audience ${refused.join(", ")}.`);
  }
}

/**
 * Issues custom JWTs and records their metadata. Tokens are signed first and
 * handed out only after all their rows committed in one statement (shared with
 * concurrent issuances: group commit): a batch is recorded all or none, and
 * when recording fails the caller gets 503 and no token. With
 * TIM_METADATA_WRITE_MODE=async the rows are handed to the background job
 * instead, and the token is returned once that hand-over was accepted. `origin` (the asking request's
 * address and User-Agent) goes on every row, in the same grouped insert.
 */
export async function issueCustomTokens(requests: GenerateRequest[], caller: ApiCaller, origin: TokenOrigin = UNKNOWN_ORIGIN): Promise<IssuedToken[]> {
  try {
    const cfg = config();
    const iat = nowSeconds();
    const drafts = requests.map((req) => {
      const { aud: contentAudience, ...content } = req.content;
      const audience = req.audience ?? (contentAudience as string | string[] | undefined) ?? cfg.TIM_DEFAULT_AUDIENCE;
      checkAllowed(req.expirationInMinutes, audience, caller);
      const jti = randomUUID();
      const exp = iat + req.expirationInMinutes * 60;
      const payload: JWTPayload = { ...content, iss: cfg.TIM_ISSUER, aud: audience, iat, exp, jti, token_type: TOKEN_TYPE.custom };
      return { req, jti, exp, audience, payload, claimKeys: Object.keys(req.content).join(",") };
    });

    const limit = caller.clientId ? (caller.activeTokenLimit ?? null) : null;
    checkWithinLimit(
      drafts.map((d) => (typeof d.payload.sub === "string" ? d.payload.sub : null)),
      limit,
    );

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
      clientAddress: origin.clientAddress,
      userAgent: origin.userAgent,
    }));
    try {
      // A token limit is enforced in the issuing transaction: a limited client's rows are always written here.
      if (cfg.TIM_METADATA_WRITE_MODE === "async" && limit === null) {
        await persistMetadataAsync(rows.map((record) => ({ kind: "custom", record })));
      } else {
        await recordMetadata({ rows, limit, revokedBy: callerName(caller) });
        for (const s of signed) noteRecorded("custom", s.jti, s.exp);
      }
    } catch (err) {
      // This request's own rows were refused (the rest of its group committed without them): its input is at fault.
      if (isDataRefusal(err)) throw refusedInput(err, "content");
      log.error("token metadata not recorded; no token issued", { count: signed.length, ...errorFields(err) });
      throw new TimError("metadata_not_recorded", "The token metadata could not be recorded, so no token was issued. Try again shortly.");
    }
    countTokens("issued", "custom", "ok", signed.length);
    return signed.map((s) => ({
      name: s.req.JWTName ?? null,
      token: s.token,
      jti: s.jti,
      expiresAt: isoSeconds(s.exp),
      lifetimeSeconds: s.exp - iat,
    }));
  } catch (err) {
    countTokens("issued", "custom", failureOutcome(err), requests.length);
    throw err;
  }
}
