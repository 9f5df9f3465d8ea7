/** `npm run audit:verify`: recomputes the audit trail's hash chain; exit 1 at the first broken link. */
import { verifyAuditChain } from "@/lib/audit/verify";
import { closeDb } from "@/lib/db/client";

try {
  const result = await verifyAuditChain();
  if (result.ok) {
    console.log(`Audit trail intact: ${result.rows} row(s), last seq ${result.lastSeq ?? "-"}, last hash ${result.lastHash}.`);
  } else {
    console.error(`AUDIT TRAIL BROKEN after ${result.rows} intact row(s): ${result.brokenAt.message} (seq ${result.brokenAt.seq}, id ${result.brokenAt.id})`);
    process.exitCode = 1;
  }
} catch (err) {
  console.error(`Audit verification failed: ${(err as Error).message}`);
  process.exitCode = 2;
} finally {
  await closeDb().catch(() => undefined);
}
