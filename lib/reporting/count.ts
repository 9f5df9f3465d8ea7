import { db } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { timedQuery } from "@/lib/metrics/registry";
import { kindsFor, type TokenFilters } from "@/lib/reporting/filters";
import { whereFor } from "@/lib/reporting/query";
import { KINDS } from "@/lib/tokens/kinds";
import type { TokenKind } from "@/lib/tokens/kinds";

/** How many tokens match the filters (custom and TARA together), exactly: for revocation and export, which must agree with what they touch. */
export async function countTokens(filters: TokenFilters, now = new Date()): Promise<number> {
  return timedQuery("count", async () => {
    const parts = kindsFor(filters).map((kind) => Prisma.sql`(SELECT count(*) FROM ${KINDS[kind].sql.metadata} m ${whereFor(kind, filters, now)})`);
    const [row] = await (await db()).$queryRaw<[{ total: bigint | number }]>`SELECT (${Prisma.join(parts, " + ")})::bigint AS total`;
    return Number(row.total);
  });
}

/** Beyond this many matches of one kind the console shows the planner's estimate instead of counting every row. */
export const EXACT_COUNT_LIMIT = 10_000;

export type TokenCount = { value: number; estimated: boolean };

/** The planner's row estimate for one kind's match (what EXPLAIN prints), from table statistics: no rows are read. */
async function estimatedMatches(kind: TokenKind, filters: TokenFilters, now: Date): Promise<number> {
  const rows = await (await db()).$queryRaw<Array<{ "QUERY PLAN": unknown }>>`
    EXPLAIN (FORMAT JSON) SELECT 1 FROM ${KINDS[kind].sql.metadata} m ${whereFor(kind, filters, now)}`;
  const plan = rows[0]["QUERY PLAN"];
  const parsed = (typeof plan === "string" ? JSON.parse(plan) : plan) as Array<{ Plan: { "Plan Rows": number } }>;
  return Math.round(parsed[0].Plan["Plan Rows"]);
}

/**
 * How many tokens match, for the console and the reports API: exact up to
 * EXACT_COUNT_LIMIT per kind (the count reads at most that many rows, so its
 * cost is bounded whatever the table size), an estimate beyond it (never below
 * the limit it passed).
 */
export async function countTokensBounded(filters: TokenFilters, now = new Date()): Promise<TokenCount> {
  return timedQuery("count", async () => {
    const kinds = kindsFor(filters);
    const parts = kinds.map(
      (kind) =>
        Prisma.sql`(SELECT count(*) FROM (SELECT 1 FROM ${KINDS[kind].sql.metadata} m ${whereFor(kind, filters, now)} LIMIT ${EXACT_COUNT_LIMIT + 1}) x)::bigint AS "${Prisma.raw(kind)}"`,
    );
    const [row] = await (await db()).$queryRaw<[Record<TokenKind, bigint | number>]>`SELECT ${Prisma.join(parts, ", ")}`;
    let value = 0;
    let estimated = false;
    for (const kind of kinds) {
      const exact = Number(row[kind]);
      if (exact <= EXACT_COUNT_LIMIT) value += exact;
      else {
        estimated = true;
        value += Math.max(EXACT_COUNT_LIMIT + 1, await estimatedMatches(kind, filters, now));
      }
    }
    return { value, estimated };
  });
}
