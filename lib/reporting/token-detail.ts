import { db } from "@/lib/db/client";
import { badRequest } from "@/lib/http/errors";
import { auditEventsForToken, type AuditRow } from "@/lib/audit/search";
import { extensionChain, type ExtensionChain } from "@/lib/tokens/chain";
import { isUuid, type TokenKind } from "@/lib/tokens/kinds";
import { tokenStatus, type TokenStatus } from "@/lib/tokens/status";

export type TokenDetail = {
  kind: TokenKind;
  metadata: Record<string, unknown>;
  /** The claims TIM recorded; null for a row imported from TIM 2.0 (metadata.importedFrom), which recorded none. */
  claims: unknown;
  status: TokenStatus;
  revocation: { at: Date; reason: string | null; revokedBy: string | null } | null;
  chain: ExtensionChain;
  audit: AuditRow[];
};

/** Everything the console shows about one token: metadata, claims, status, revocation, chain, audit events. */
export async function tokenDetail(jwtUuid: string): Promise<TokenDetail | undefined> {
  if (!isUuid(jwtUuid)) throw badRequest("The token id must be a UUID (the token's jti).");
  const prisma = await db();
  const custom = await prisma.customJwtMetadata.findUnique({ where: { jwtUuid }, include: { usage: true } });
  const tara = custom ? null : await prisma.taraJwtMetadata.findUnique({ where: { jwtUuid }, include: { usage: true } });
  const row = custom ?? tara;
  if (!row) return undefined;
  const kind: TokenKind = custom ? "custom" : "tara";
  const denied =
    kind === "custom" ? await prisma.customDenylist.findUnique({ where: { jwtUuid } }) : await prisma.taraDenylist.findUnique({ where: { jwtUuid } });
  const { claimsJson, tokenHash: _hash, usage, ...recorded } = row;
  // Counters live beside the insert-only row; shown with it as before (a token never used has no usage row).
  const metadata = { ...recorded, lastUsedAt: usage?.lastUsedAt ?? null, useCount: usage?.useCount ?? 0 };
  const [chain, audit] = await Promise.all([extensionChain(kind, row.originalJwtUuid), auditEventsForToken(jwtUuid)]);
  return {
    kind,
    metadata,
    claims: claimsJson,
    status: tokenStatus(row.expiresAt, denied),
    revocation: denied ? { at: denied.denylistedAt, reason: denied.reason, revokedBy: denied.revokedBy } : null,
    chain,
    audit,
  };
}
