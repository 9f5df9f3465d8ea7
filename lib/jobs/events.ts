import { z } from "zod";
import { TOKEN_KINDS } from "@/lib/tokens/kinds";

/**
 * Every event TIM sends to its background functions, with the zod schema of
 * its data. Dates travel as ISO 8601 strings (Inngest schemas may not transform):
 * the same data reaches a job through the local runner and through Inngest.
 */
const tokenType = z.enum(TOKEN_KINDS);
const isoTime = z.iso.datetime({ offset: true });

/** Uses of one token since the last delivery (aggregated in the process that answered them). */
export const tokenUseData = z.object({
  token_type: tokenType,
  jwt_uuid: z.uuid(),
  count: z.int().min(1),
  last_used_at: isoTime,
});

/** At most this many tokens' uses travel in one event (about 120 bytes each). */
export const MAX_USES_PER_EVENT = 1_000;

export const tokenUsedData = z.object({ uses: z.array(tokenUseData).min(1).max(MAX_USES_PER_EVENT) });

export const tokenReadData = z.object({
  at: isoTime,
  endpoint: z.string().min(1).max(100),
  actor: z.string().max(200).nullable(),
  actor_kind: z.enum(["api_client", "administrator", "end_user", "anonymous"]),
  token_type: tokenType.nullable(),
  jwt_uuid: z.uuid().nullable(),
  result: z.string().min(1).max(100),
  request_id: z.string().max(200).nullable(),
});

/** A metadata row as JSON: column names in camelCase as in the Prisma models, dates as ISO strings. */
export const metadataPersistData = z.object({
  token_type: tokenType,
  record: z.record(z.string(), z.unknown()),
});

export const retentionRequestedData = z.object({ requested_by: z.string().min(1).max(200) });

export const bulkJobRequestedData = z.object({ run_id: z.uuid() });

/** An event: its name and the zod schema of its data (checked when sent, and again when run). */
export type EventType<N extends string = string, S extends z.ZodType = z.ZodType> = { name: N; schema: S };

function eventType<N extends string, S extends z.ZodType>(name: N, schema: S): EventType<N, S> {
  return { name, schema };
}

export const events = {
  tokenUsed: eventType("tim/token.used", tokenUsedData),
  tokenRead: eventType("tim/token.read", tokenReadData),
  metadataPersist: eventType("tim/metadata.persist", metadataPersistData),
  retentionRequested: eventType("tim/retention.requested", retentionRequestedData),
  exportRequested: eventType("tim/export.requested", bulkJobRequestedData),
  revocationRequested: eventType("tim/revocation.requested", bulkJobRequestedData),
};

export type TokenUse = z.infer<typeof tokenUseData>;
export type TokenRead = z.infer<typeof tokenReadData>;
export type MetadataPersist = z.infer<typeof metadataPersistData>;

type EventMap = typeof events;
export type EventName = EventMap[keyof EventMap]["name"];

/** Data schema by event name, for validating events before they are accepted. */
export const eventSchemas = Object.fromEntries(Object.values(events).map((e) => [e.name, e.schema])) as unknown as Record<
  EventName,
  z.ZodType<Record<string, unknown>>
>;

export type TimEvent = {
  [K in keyof EventMap]: { name: EventMap[K]["name"]; data: z.infer<EventMap[K]["schema"]>; id?: string };
}[keyof EventMap];
