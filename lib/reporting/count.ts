import { db } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { timedQuery } from "@/lib/metrics/registry";
import { kindsFor, type TokenFilters } from "@/lib/reporting/filters";
import { metadataOf, whereFor } from "@/lib/reporting/query";

/** How many tokens match the filters (custom and TARA together). */
export async function countTokens(filters: TokenFilters, now = new Date()): Promise<number> {
  return timedQuery("count", async () => {
    const parts = kindsFor(filters).map(
      (kind) => Prisma.sql`(SELECT count(*) FROM ${metadataOf(kind)} m ${whereFor(kind, filters, now)})`,
    );
    const [row] = await (await db()).$queryRaw<[{ total: bigint | number }]>`SELECT (${Prisma.join(parts, " + ")})::bigint AS total`;
    return Number(row.total);
  });
}
