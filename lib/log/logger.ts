/**
 * Structured one-line JSON logs through pino: `{"level":"info","time":"<ISO>",…fields,"msg":…}`,
 * warn and error on stderr, the rest on stdout. Never pass tokens, secrets or keys here; fields named
 * like one are redacted all the same, as a safety net.
 */
import pino, { type Logger } from "pino";
import { config, type TimConfig } from "@/lib/config/env";

type Level = "debug" | "info" | "warn" | "error";
type Fields = Record<string, unknown>;

/** Field names that would carry a credential; redacted at the top level and one level down. */
const SECRET_FIELDS = [
  "token",
  "access_token",
  "refresh_token",
  "id_token",
  "jwt",
  "secret",
  "client_secret",
  "password",
  "authorization",
  "cookie",
  "api_key",
];

function levelFromConfig(): Level {
  let cfg: Pick<TimConfig, "TIM_LOG_LEVEL" | "NODE_ENV"> | undefined;
  try {
    cfg = config();
  } catch {
    // An invalid configuration is reported through this logger: log at the default level.
  }
  return cfg?.TIM_LOG_LEVEL ?? (cfg?.NODE_ENV === "test" ? "warn" : "info");
}

function build(stream: NodeJS.WriteStream): Logger {
  return pino(
    {
      base: undefined,
      messageKey: "msg",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`)], censor: "[redacted]" },
    },
    // Through the process's own streams (as console output goes): ordered with other output, and tests can capture it.
    stream,
  );
}

/** `notice`: stdout at info whatever TIM_LOG_LEVEL says. */
type Loggers = { out: Logger; err: Logger; notice: Logger };

// One pair per process: Next bundles lib/ more than once.
const SLOT = Symbol.for("tim.log");

/** The loggers at the configured level (tests change TIM_LOG_LEVEL and reset the configuration). */
function loggers(): Loggers {
  const g = globalThis as Record<symbol, unknown>;
  const l = (g[SLOT] ??= { out: build(process.stdout), err: build(process.stderr), notice: build(process.stdout) }) as Loggers;
  const level = levelFromConfig();
  if (l.out.level !== level) {
    l.out.level = level;
    l.err.level = level;
  }
  return l;
}

export const log = {
  debug: (msg: string, fields?: Fields) => loggers().out.debug(fields ?? {}, msg),
  info: (msg: string, fields?: Fields) => loggers().out.info(fields ?? {}, msg),
  warn: (msg: string, fields?: Fields) => loggers().err.warn(fields ?? {}, msg),
  error: (msg: string, fields?: Fields) => loggers().err.error(fields ?? {}, msg),
  /**
   * A line an operator must see whatever the level (start-up: where TIM listens, the first-run setup
   * link; shutting down): written at info even when TIM_LOG_LEVEL is warn or error.
   */
  notice: (msg: string, fields?: Fields) => loggers().notice.info(fields ?? {}, msg),
  /** Whether a line at this level would be written: callers skip building its fields when not. */
  enabled: (level: Level) => loggers().out.isLevelEnabled(level),
};

/** What may be logged about an unexpected error: its class and code, not its text (it may hold SQL or data). */
export function errorFields(err: unknown): Record<string, unknown> {
  const e = err as { name?: string; code?: string } | undefined;
  return { error_name: e?.name ?? typeof err, error_code: e?.code };
}
