/**
 * `npm run audit:verify`: recomputes the audit trail's hash chain in the
 * database; `npm run audit:verify -- --file export.jsonl` re-checks an
 * audit-trail export (console → Audit log → Export) without TIM's database.
 * Exit 1 at the first broken link, 2 when it cannot check.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { verifyAuditChain, verifyExportedTrail } from "@/lib/audit/verify";
import { closeDb } from "@/lib/db/client";

const { values } = parseArgs({ options: { file: { type: "string" } } });

try {
  const exported = values.file ? await verifyExportedTrail(createInterface({ input: createReadStream(values.file), crlfDelay: Infinity })) : undefined;
  const result = exported ?? (await verifyAuditChain());
  const what = values.file ? `Audit-trail export ${values.file}` : "Audit trail";
  if (result.ok) {
    console.log(`${what} intact: ${result.rows} row(s), last seq ${result.lastSeq ?? "-"}, last hash ${result.lastHash}.`);
    if (exported) {
      console.log(`It starts after hash ${exported.firstPrevHash ?? "-"} and holds ${exported.protocolMessages} TARA protocol message(s).`);
    }
  } else {
    console.error(
      `${what.toUpperCase()} BROKEN after ${result.rows} intact row(s): ${result.brokenAt.message} (seq ${result.brokenAt.seq}, id ${result.brokenAt.id})`,
    );
    process.exitCode = 1;
  }
} catch (err) {
  console.error(`Audit verification failed: ${(err as Error).message}`);
  process.exitCode = 2;
} finally {
  if (!values.file) await closeDb().catch(() => undefined);
}
