import type { z } from "zod";
import { log } from "@/lib/log/logger";

/** The data of the events in a batch that match the schema; others are logged and skipped, not retried. */
export function validEventData<S extends z.ZodType>(schema: S, batch: ReadonlyArray<{ name: string; data: unknown }>) {
  const valid: z.infer<S>[] = [];
  for (const event of batch) {
    const parsed = schema.safeParse(event.data);
    if (parsed.success) valid.push(parsed.data);
    else log.warn("job event skipped: invalid data", { event: event.name });
  }
  return valid;
}
