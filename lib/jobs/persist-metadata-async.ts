import { parseRecord, type PendingMetadata } from "@/lib/jobs/metadata";
import { sendEvents } from "@/lib/jobs/send";

/**
 * For issuance in async mode: resolves once the metadata rows are accepted
 * for persistence; rejects (and the caller must not return the token) if not.
 */
export async function persistMetadataAsync(items: PendingMetadata[]): Promise<void> {
  await sendEvents(
    items.map((item) => {
      const record = parseRecord(item.kind, item.record);
      return {
        name: "tim/metadata.persist" as const,
        data: { token_type: item.kind, record: JSON.parse(JSON.stringify(record)) as Record<string, unknown> },
        id: `metadata-${record.jwtUuid}`,
      };
    }),
  );
}
