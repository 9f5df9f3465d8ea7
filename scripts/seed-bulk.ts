/** `npm run seed:bulk -- --rows 1000000`: synthetic token metadata for the reporting benchmark (not for production databases). */
import { parseArgs } from "node:util";
import { closeDb } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";
import { seedBulkTokens } from "@/lib/reporting/bulk-seed";

const { values } = parseArgs({ options: { rows: { type: "string", default: "1000000" }, "tara-share": { type: "string", default: "0.2" } } });
const rows = Number(values.rows);
const taraShare = Number(values["tara-share"]);
if (!Number.isInteger(rows) || rows < 1 || !(taraShare >= 0 && taraShare <= 1)) {
  console.error("usage: npm run seed:bulk -- --rows N [--tara-share 0.2]");
  process.exit(2);
}

try {
  await migrate();
  const started = performance.now();
  let last = 0;
  const result = await seedBulkTokens({
    rows,
    taraShare,
    onProgress: (done) => {
      if (done - last >= 100_000 || done === rows) {
        last = done;
        console.log(`  ${done.toLocaleString("en")} / ${rows.toLocaleString("en")} rows`);
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `Seeded ${result.custom.toLocaleString("en")} custom and ${result.tara.toLocaleString("en")} TARA metadata rows (about 5% revoked) in ${seconds.toFixed(1)} s (${Math.round(rows / seconds).toLocaleString("en")} rows/s).`,
  );
} catch (err) {
  console.error(`seed:bulk failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await closeDb().catch(() => undefined);
}
