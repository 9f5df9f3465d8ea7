import { parseTokenQuery } from "@/lib/reporting/filters";
import { pageQuery } from "@/lib/reporting/query";
import { rawRows } from "@/lib/reporting/raw-rows";
import { Prisma } from "@/lib/generated/prisma/client";
import { closeDb } from "@/lib/db/client";
for (const q of process.argv.slice(2)) {
  const { filters, page } = parseTokenQuery(new URLSearchParams(q));
  const sql = pageQuery("custom", filters, page, undefined, 51, new Date(), false);
  const rows = await rawRows<{ "QUERY PLAN": string }>(Prisma.sql`EXPLAIN (ANALYZE, COSTS OFF, BUFFERS OFF) ${sql}`);
  console.log("==", q); console.log(rows.map((r) => r["QUERY PLAN"]).join("\n"));
}
await closeDb();
