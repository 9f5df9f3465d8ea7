import { z } from "zod";
import { db } from "@/lib/db/client";
import { InvalidTokenError } from "@/lib/jwt/verify";
import { checkToken } from "@/lib/tokens/check";
import { tokenTables } from "@/lib/tokens/kinds";
import { epochSeconds } from "@/lib/tokens/time";

export const introspectRequestSchema = z.object({
  token: z.string({ error: "token is required" }).min(1, "token is required"),
  token_type_hint: z.string().max(100).optional(),
});

export type Introspection = { active: false } | ({ active: true } & Record<string, unknown>);

const INACTIVE: Introspection = { active: false };

/**
 * RFC 7662 introspection of custom and TARA tokens: every claim of an active
 * token plus its metadata (name, chain root, extension count, predecessor,
 * creation time); `{active: false}` for anything that is not an active TIM token.
 * The hint is not needed: the token's own token_type decides where to look.
 */
export async function introspectToken(token: string): Promise<Introspection> {
  let checked;
  try {
    checked = await checkToken(token);
  } catch (err) {
    if (err instanceof InvalidTokenError) return INACTIVE;
    throw err;
  }
  const { payload, kind } = checked;
  const prisma = await db();
  const tables = tokenTables(prisma, kind);
  const meta = await tables.metadata.findUnique({
    where: { jwtUuid: payload.jti },
    select: { jwtName: true, originalJwtUuid: true, supersedes: true, createdAt: true },
  });
  // Every token TIM issued has its row; one without is not TIM's to vouch for.
  if (!meta) return INACTIVE;
  const versions = await tables.metadata.count({ where: { originalJwtUuid: meta.originalJwtUuid } });
  return {
    ...payload,
    active: true,
    sub: payload.sub,
    iss: payload.iss,
    aud: payload.aud,
    exp: payload.exp,
    iat: payload.iat,
    jti: payload.jti,
    token_type: payload.token_type,
    jwt_name: meta.jwtName,
    original_jwt_uuid: meta.originalJwtUuid,
    extension_count: versions - 1,
    supersedes: meta.supersedes,
    created_at: epochSeconds(meta.createdAt),
  };
}
