import type { JWTPayload } from "jose";
import type { Prisma, PrismaClient } from "@/lib/generated/prisma/client";

export type DbTx = PrismaClient | Prisma.TransactionClient;

/** The two token families TIM issues; each has its own schema (custom.*, tara.*). */
export type TokenKind = "custom" | "tara";

export const TOKEN_TYPE = { custom: "custom_jwt", tara: "tara_jwt" } as const satisfies Record<TokenKind, string>;

export const TOKEN_TYPE_DESCRIPTIONS: Record<(typeof TOKEN_TYPE)[TokenKind], string> = {
  custom_jwt: "Custom JWT issued through the token API (POST /jwt/custom/generate) with caller-chosen claims.",
  tara_jwt: "TIM TARA JWT issued after a login through TARA, Estonia's national authentication service.",
};

/** The kind named by a verified token's `token_type` claim. */
export function kindOf(payload: JWTPayload): TokenKind | undefined {
  if (payload.token_type === TOKEN_TYPE.custom) return "custom";
  if (payload.token_type === TOKEN_TYPE.tara) return "tara";
  return undefined;
}

/**
 * The tables of one token kind. Both kinds share every column that issuance
 * records, revocation, extension and chains use; TARA metadata rows carry more
 * (method, level, session, names), which an extension copies unchanged.
 */
export function tokenTables(tx: DbTx, kind: TokenKind) {
  if (kind === "custom") {
    return { metadata: tx.customJwtMetadata, denylist: tx.customDenylist, allowlist: tx.customAllowlist };
  }
  return {
    metadata: tx.taraJwtMetadata as unknown as DbTx["customJwtMetadata"],
    denylist: tx.taraDenylist as unknown as DbTx["customDenylist"],
    allowlist: tx.taraAllowlist as unknown as DbTx["customAllowlist"],
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}
