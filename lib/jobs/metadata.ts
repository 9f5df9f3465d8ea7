import { z } from "zod";
import { events, type MetadataPersist } from "@/lib/jobs/events";
import { db } from "@/lib/db/client";
import type { Prisma } from "@/lib/generated/prisma/client";
import { runIsolating } from "@/lib/db/batcher";
import { TimError, isDataRefusal } from "@/lib/http/errors";
import { errorFields, log } from "@/lib/log/logger";
import { defineJob } from "@/lib/jobs/define";
import { TOKEN_KINDS, byKind, type MetadataColumn, type TokenKind } from "@/lib/tokens/kinds";
import { INSERT_METADATA_ONCE } from "@/lib/tokens/record-metadata";

/**
 * Async metadata persistence (TIM_METADATA_WRITE_MODE=async): issuance hands
 * the row to the background function and returns the token once the event is
 * accepted (durable queue committed, or Inngest acknowledged); the function
 * inserts rows in batches, idempotently.
 */
/** A row's field as the kind's description types it; a field with a default, or nullable, may be left out. */
function fieldSchema(c: MetadataColumn): z.ZodType {
  const base = { uuid: z.uuid(), text: z.string(), timestamptz: z.coerce.date(), jsonb: z.json(), boolean: z.boolean(), inet: z.union([z.ipv4(), z.ipv6()]) }[
    c.sqlType
  ];
  // the hash is stored as char(64), which would pad a shorter value instead of refusing it
  const typed = c.column === "token_hash" ? z.string().regex(/^[0-9a-f]{64}$/) : base;
  if (c.nullable) return typed.nullable().optional();
  return c.default ? typed.optional() : typed;
}

const RECORD = byKind((k) => z.object(Object.fromEntries(k.columns.map((c) => [c.field, fieldSchema(c)]))).strict());

export type PendingMetadata =
  | { kind: "custom"; record: Prisma.CustomJwtMetadataCreateManyInput }
  | { kind: "tara"; record: Prisma.TaraJwtMetadataCreateManyInput };

export function parseRecord(kind: TokenKind, record: unknown): Record<string, unknown> {
  const parsed = RECORD[kind].safeParse(record);
  if (!parsed.success) throw new TimError("invalid_metadata", `The ${kind} metadata row is incomplete.`);
  return parsed.data;
}

/**
 * Inserts a batch of pending metadata rows in one transaction; rows whose
 * `jwt_uuid` is already stored are skipped (`ON CONFLICT (jwt_uuid) DO NOTHING`),
 * so a retried batch inserts each row once. A row the database refuses is
 * left out (and logged: its token is out already, and no retry can store it)
 * rather than keeping the rest of its batch from being stored (runIsolating).
 */
export async function insertPendingMetadata(batch: MetadataPersist[]): Promise<{ custom: number; tara: number; refused: number }> {
  const settled = await runIsolating(batch, async (part) => {
    const stored = await insertRows(part);
    return part.map((_, i) => (i === 0 ? stored : undefined));
  });
  const counts = { custom: 0, tara: 0, refused: 0 };
  settled.forEach((s, i) => {
    if (s.status === "fulfilled") {
      // a run's counts are reported by its first row (the others carry undefined)
      counts.custom += s.value?.custom ?? 0;
      counts.tara += s.value?.tara ?? 0;
    } else if (isDataRefusal(s.reason)) {
      counts.refused++;
      log.error("token metadata row refused by the database; its token has no metadata", {
        jwt_uuid: String(batch[i].record.jwtUuid),
        ...errorFields(s.reason),
      });
    } else {
      throw s.reason;
    }
  });
  return counts;
}

async function insertRows(batch: MetadataPersist[]): Promise<{ custom: number; tara: number }> {
  const rowsOf = (kind: TokenKind) => JSON.stringify(batch.filter((b) => b.token_type === kind).map((b) => parseRecord(kind, b.record)));
  const client = await db();
  // Both kinds in one transaction, each through its kind's one insert (the ON CONFLICT variant: retries insert once).
  const [c, t] = await client.$transaction(TOKEN_KINDS.map((kind) => client.$executeRawUnsafe(INSERT_METADATA_ONCE[kind].text, rowsOf(kind))));
  return { custom: c, tara: t };
}

/** Async metadata persistence (TIM_METADATA_WRITE_MODE=async): idempotent batched inserts. */
export const persistMetadataJob = defineJob({
  id: "persist-metadata",
  name: "Async metadata persistence",
  trigger: { event: events.metadataPersist },
  batch: { maxSize: 500, timeoutMs: 1_000 },
  retries: 10,
  handler: async ({ events: batch, step }) => {
    const rows = batch.map((e) => e.data);
    return step.run("insert-metadata", () => insertPendingMetadata(rows));
  },
});
