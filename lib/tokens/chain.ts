import { db } from "@/lib/db/client";
import { badRequest, notFound } from "@/lib/http/errors";
import { KINDS, isUuid, type TokenKind } from "@/lib/tokens/kinds";
import { tokenStatus, type TokenStatus } from "@/lib/tokens/status";
import { isoSeconds } from "@/lib/tokens/time";

export type ChainEntry = {
  jwt_uuid: string;
  id: string;
  supersedes: string | null;
  jwt_name: string | null;
  issued_at: string;
  expires_at: string;
  created_at: string;
  status: TokenStatus;
  revoked_at: string | null;
  revocation_reason: string | null;
  /** TIM 2.0's OpenAPI: whether this is the chain's newest version, and its place (0 = the original). */
  is_current: boolean;
  extension_number: number;
};

export type ExtensionChain = {
  original_jwt_uuid: string;
  extension_count: number;
  current_jwt_uuid: string;
  chain: ChainEntry[];
  /** TIM 2.0's names: the number of versions and the versions (the same entries as `chain`). */
  chain_length: number;
  versions: ChainEntry[];
};

type ChainRow = {
  id: string;
  jwtUuid: string;
  supersedes: string | null;
  jwtName: string | null;
  issuedAt: Date;
  expiresAt: Date;
  createdAt: Date;
};

/** Every version of a token, oldest first, following the supersedes links. */
export async function extensionChain(kind: TokenKind, originalJwtUuid: string): Promise<ExtensionChain> {
  if (!isUuid(originalJwtUuid)) throw badRequest("originalJwtUuid must be a UUID.");
  const prisma = await db();
  const { metadata, denylist } = KINDS[kind].sql;
  const rows = await prisma.$queryRaw<ChainRow[]>`
    SELECT id::text AS "id", jwt_uuid::text AS "jwtUuid", supersedes::text AS "supersedes", jwt_name AS "jwtName",
           issued_at AS "issuedAt", expires_at AS "expiresAt", created_at AS "createdAt"
      FROM ${metadata} WHERE original_jwt_uuid = ${originalJwtUuid}::uuid`;
  if (rows.length === 0) throw notFound(`No extension chain starts with ${originalJwtUuid}.`);
  const revocations = await prisma.$queryRaw<Array<{ jwtUuid: string; denylistedAt: Date; reason: string | null }>>`
    SELECT jwt_uuid::text AS "jwtUuid", denylisted_at AS "denylistedAt", reason FROM ${denylist}
     WHERE jwt_uuid = ANY (${rows.map((r) => r.jwtUuid)}::uuid[])`;
  const revokedBy = new Map(revocations.map((r) => [r.jwtUuid, r]));

  const successor = new Map(rows.filter((r) => r.supersedes).map((r) => [r.supersedes!, r]));
  const ordered: typeof rows = [];
  for (let row = rows.find((r) => r.supersedes === null); row; row = successor.get(row.id)) ordered.push(row);
  // Rows cut off from the root (e.g. the root archived by retention) follow in creation order.
  const linked = new Set(ordered.map((r) => r.id));
  ordered.push(...rows.filter((r) => !linked.has(r.id)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()));

  const now = Date.now();
  const chain = ordered.map((r, i): ChainEntry => {
    const revoked = revokedBy.get(r.jwtUuid);
    return {
      jwt_uuid: r.jwtUuid,
      id: r.id,
      supersedes: r.supersedes,
      jwt_name: r.jwtName,
      issued_at: isoSeconds(r.issuedAt),
      expires_at: isoSeconds(r.expiresAt),
      created_at: r.createdAt.toISOString(),
      status: tokenStatus(r.expiresAt, revoked, now),
      revoked_at: revoked ? revoked.denylistedAt.toISOString() : null,
      revocation_reason: revoked?.reason ?? null,
      is_current: i === ordered.length - 1,
      extension_number: i,
    };
  });
  return {
    original_jwt_uuid: originalJwtUuid,
    extension_count: chain.length - 1,
    current_jwt_uuid: chain[chain.length - 1].jwt_uuid,
    chain,
    chain_length: chain.length,
    versions: chain,
  };
}
