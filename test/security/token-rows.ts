import { db } from "@/lib/db/client";

/**
 * Every row of TIM's token tables (metadata, denylist and allowlist of both
 * kinds, TARA login states), as "table:key" strings, so that a test can show
 * that a refused request wrote nothing — and name what it wrote if it did.
 */
export async function tokenRows(): Promise<Set<string>> {
  const prisma = await db();
  const [customMeta, taraMeta, customDeny, taraDeny, customAllow, taraAllow, states] = await Promise.all([
    prisma.customJwtMetadata.findMany({ select: { jwtUuid: true, originalJwtUuid: true } }),
    prisma.taraJwtMetadata.findMany({ select: { jwtUuid: true, originalJwtUuid: true } }),
    prisma.customDenylist.findMany({ select: { jwtUuid: true, revokedBy: true } }),
    prisma.taraDenylist.findMany({ select: { jwtUuid: true, revokedBy: true } }),
    prisma.customAllowlist.findMany({ select: { jwtUuid: true } }),
    prisma.taraAllowlist.findMany({ select: { jwtUuid: true } }),
    prisma.taraOauthState.findMany({ select: { state: true } }),
  ]);
  return new Set([
    ...customMeta.map((r) => `custom.jwt_metadata:${r.jwtUuid} (chain ${r.originalJwtUuid})`),
    ...taraMeta.map((r) => `tara.jwt_metadata:${r.jwtUuid} (chain ${r.originalJwtUuid})`),
    ...customDeny.map((r) => `custom.denylist:${r.jwtUuid} (by ${r.revokedBy})`),
    ...taraDeny.map((r) => `tara.denylist:${r.jwtUuid} (by ${r.revokedBy})`),
    ...customAllow.map((r) => `custom.allowlist:${r.jwtUuid}`),
    ...taraAllow.map((r) => `tara.allowlist:${r.jwtUuid}`),
    ...states.map((r) => `tara.oauth_state:${r.state}`),
  ]);
}

/** The rows in `after` that were not in `before`. */
export function newRows(before: Set<string>, after: Set<string>): string[] {
  return [...after].filter((row) => !before.has(row));
}

/** How many rows the token tables hold, in one query (cheap enough to run around every fuzzed request). */
export async function tokenRowCounts(): Promise<Record<string, number>> {
  const prisma = await db();
  const [row] = await prisma.$queryRaw<Record<string, number>[]>`
    SELECT (SELECT count(*)::int FROM custom.jwt_metadata) AS custom_metadata,
           (SELECT count(*)::int FROM tara.jwt_metadata) AS tara_metadata,
           (SELECT count(*)::int FROM custom.denylist) AS custom_denylist,
           (SELECT count(*)::int FROM tara.denylist) AS tara_denylist,
           (SELECT count(*)::int FROM custom.allowlist) AS custom_allowlist,
           (SELECT count(*)::int FROM tara.allowlist) AS tara_allowlist,
           (SELECT count(*)::int FROM tara.oauth_state) AS tara_oauth_state,
           (SELECT count(*)::int FROM tim.api_clients) AS api_clients`;
  return row;
}
