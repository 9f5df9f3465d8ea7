/** `npm run db:migrate`: applies pending migrations and exits. */
import { closeDb } from "@/lib/db/client";
import { MigrationError, migrate } from "@/lib/db/migrate";

try {
  const result = await migrate();
  console.log(
    `Applied ${result.applied.length} migration(s)${result.applied.length ? `: ${result.applied.join(", ")}` : ""}; ${result.alreadyApplied} already applied.`,
  );
  await closeDb();
} catch (err) {
  console.error(err instanceof MigrationError ? err.message : `Migration failed: ${(err as Error).message}`);
  await closeDb().catch(() => undefined);
  process.exit(1);
}
