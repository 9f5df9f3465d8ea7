/** Structured one-line JSON logs. Never pass tokens, secrets or keys here. */
import { config, type TimConfig } from "@/lib/config/env";

type Level = "debug" | "info" | "warn" | "error";

const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function threshold(): number {
  let cfg: Pick<TimConfig, "TIM_LOG_LEVEL" | "NODE_ENV"> | undefined;
  try {
    cfg = config();
  } catch {
    // An invalid configuration is reported through this logger: log at the default level.
  }
  return order[cfg?.TIM_LOG_LEVEL ?? (cfg?.NODE_ENV === "test" ? "warn" : "info")];
}

function write(level: Level, msg: string, fields?: Record<string, unknown>): void {
  if (order[level] < threshold()) return;
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
  (level === "error" || level === "warn" ? process.stderr : process.stdout).write(line + "\n");
}

export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => write("debug", msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write("info", msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write("warn", msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write("error", msg, fields),
};

/** What may be logged about an unexpected error: its class and code, not its text (it may hold SQL or data). */
export function errorFields(err: unknown): Record<string, unknown> {
  const e = err as { name?: string; code?: string } | undefined;
  return { error_name: e?.name ?? typeof err, error_code: e?.code };
}
