import { describe, expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { EXACT_COUNT_LIMIT, countTokens, countTokensBounded } from "@/lib/reporting/count";
import { parseTokenQuery } from "@/lib/reporting/filters";
import { seedTokens, unique } from "@/test/reporting/seed";

const filtersOf = (q: Record<string, string>) => parseTokenQuery(new URLSearchParams(q)).filters;

describe("the console's bounded token count", () => {
  test("exact up to the limit, an estimate (flagged, never below the limit) beyond it", async () => {
    const small = unique("count-small");
    await seedTokens(Array.from({ length: 25 }, (_, i) => ({ jwtName: small, kind: i % 5 === 0 ? ("tara" as const) : ("custom" as const) })));
    expect(await countTokensBounded(filtersOf({ jwt_name: small }))).toEqual({ value: 25, estimated: false });

    const big = unique("count-big");
    const rows = EXACT_COUNT_LIMIT + 2_000;
    for (let i = 0; i < rows; i += 4_000) {
      await seedTokens(Array.from({ length: Math.min(4_000, rows - i) }, () => ({ jwtName: big })));
    }
    await (await db()).$executeRawUnsafe("ANALYZE custom.jwt_metadata");
    const bounded = await countTokensBounded(filtersOf({ jwt_name: big }));
    expect(bounded.estimated).toBe(true);
    expect(bounded.value).toBeGreaterThan(EXACT_COUNT_LIMIT);
    // the planner's estimate from fresh statistics is near the truth
    expect(bounded.value).toBeGreaterThan(rows / 2);
    expect(bounded.value).toBeLessThan(rows * 2);
    expect(await countTokens(filtersOf({ jwt_name: big }))).toBe(rows);
  }, 180_000);
});
