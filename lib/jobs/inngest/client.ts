import { Inngest, type Logger } from "inngest";
import { errorFields, log } from "@/lib/log/logger";

/** Inngest's log lines go through TIM's logger: messages and error classes, never stacks or payloads. */
function toTimLogger(prefix: string): Logger {
  const line =
    (level: "info" | "warn" | "error" | "debug") =>
    (...args: unknown[]) => {
      const msg = args.find((a): a is string => typeof a === "string") ?? "inngest";
      const err = args.find((a) => a instanceof Error || (typeof a === "object" && a !== null && "stack" in a));
      log[level](`${prefix}: ${msg}`, err ? errorFields(err) : undefined);
    };
  return { info: line("info"), warn: line("warn"), error: line("error"), debug: line("debug") };
}

/**
 * The one Inngest client. It reads INNGEST_EVENT_KEY, INNGEST_SIGNING_KEY,
 * INNGEST_BASE_URL and INNGEST_DEV itself; without them TIM runs the same
 * jobs in-process (lib/jobs/runner) and never calls Inngest.
 */
export const inngest = new Inngest({
  id: "tim",
  logger: toTimLogger("job"),
  internalLogger: toTimLogger("inngest"),
});
