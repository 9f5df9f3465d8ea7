import { personalCodeProblem } from "@/lib/admins/subject";
import { z } from "zod";
import { jobMode, type JobMode } from "@/lib/jobs/mode";

const bool = z.enum(["true", "false", "1", "0", "on", "off", "yes", "no"]).transform((v) => ["true", "1", "on", "yes"].includes(v));

const emptyAsUndefined = (v: unknown) => (v === "" ? undefined : v);

/**
 * Every environment variable TIM reads, with its default. README's tables and
 * .env.example list each of them (test/config/documented.test.ts).
 */
const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Interface to listen on; unset: all interfaces (loopback while the TARA stand-in runs). */
  HOST: z.preprocess(emptyAsUndefined, z.string().optional()),
  /** unset: info (warn in tests). */
  TIM_LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(["debug", "info", "warn", "error"]).optional()),
  /** Read by `npm start` (the shell gives it to Node as --max-old-space-size). */
  TIM_MAX_OLD_SPACE_MB: z.coerce.number().int().min(64).default(256),
  /** Folder of the Next build (a second build, e.g. for end-to-end tests, can live beside the main one). */
  TIM_NEXT_DIST_DIR: z.preprocess(emptyAsUndefined, z.string().default(".next")),
  /** TIM's public URL as browsers reach it (next-auth reads it too). */
  NEXTAUTH_URL: z.preprocess(emptyAsUndefined, z.string().url().optional()),
  /** Seals web-session cookies; else derived from TIM_KEY_ENCRYPTION_SECRET, else a file in TIM_DATA_DIR. */
  NEXTAUTH_SECRET: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  /** next-auth's newer name for NEXTAUTH_SECRET. */
  AUTH_SECRET: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  DATABASE_URL: z.preprocess(emptyAsUndefined, z.string().url().optional()),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(16),
  TIM_DATA_DIR: z.string().default(".data"),
  /** PGlite data directory; "memory://" keeps the database in memory (tests). */
  TIM_PGLITE_DIR: z.preprocess(emptyAsUndefined, z.string().optional()),
  TIM_ISSUER: z.string().min(1).default("TIM"),
  TIM_DEFAULT_AUDIENCE: z.string().min(1).default("tim-audience"),
  TIM_SIGNING_ALG: z.enum(["RS256", "ES256", "EdDSA"]).default("RS256"),
  TIM_KEY_ENCRYPTION_SECRET: z.preprocess(emptyAsUndefined, z.string().min(16).optional()),
  /** A private key as PEM (PKCS#8) or JWK JSON: the first signing key (a console rotation replaces it for good). */
  TIM_SIGNING_KEY: z.preprocess(emptyAsUndefined, z.string().optional()),
  /**
   * How long a new key is published before "Rotate now" lets it sign (seconds). Default: the
   * JWKS max-age plus a margin (lib/jwt/key-store.ts), so every verifier's cached key set holds it.
   */
  TIM_KEY_PUBLISH_LEAD_SECONDS: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .optional(),
  ),
  TIM_BOOTSTRAP_CLIENT_ID: z.preprocess(emptyAsUndefined, z.string().min(1).max(200).optional()),
  TIM_BOOTSTRAP_CLIENT_SECRET: z.preprocess(emptyAsUndefined, z.string().min(16).optional()),
  TIM_API_AUTH: z.preprocess(emptyAsUndefined, z.enum(["on", "off"]).default("on")),
  TIM_DENYLIST_MAX_ENTRIES: z.coerce.number().int().min(1).max(10_000_000).default(200_000),
  TIM_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024),
  TIM_SECURE_COOKIES: z.preprocess(emptyAsUndefined, bool.optional()),
  // Rate limits (lib/ratelimit, README "Rate limits")
  /** Comma-separated addresses or CIDR ranges of proxies whose X-Forwarded-For is believed; default none. */
  TIM_TRUSTED_PROXIES: z.preprocess(emptyAsUndefined, z.string().default("")),
  /** Token API requests per minute per client when its console setting is empty. */
  TIM_CLIENT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600_000),
  /** Requests per minute per source address to endpoints without client credentials. */
  TIM_ADDRESS_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(6_000),
  /** Failed client authentications per source address in 15 minutes before 429. */
  TIM_AUTH_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(10),
  /** Failed client authentications per client id in 15 minutes before unverified attempts get 429. */
  TIM_AUTH_FAILURES_PER_CLIENT: z.coerce.number().int().min(1).default(100),
  // TARA login. Without TARA_ISSUER, `npm start` runs the local stand-in and points these at it.
  TARA_ISSUER: z.preprocess(emptyAsUndefined, z.string().url().optional()),
  TARA_CLIENT_ID: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  TARA_CLIENT_SECRET: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  TARA_REDIRECT_URI: z.preprocess(emptyAsUndefined, z.string().url().optional()),
  TARA_SCOPES: z.preprocess(emptyAsUndefined, z.string().default("openid")),
  /** How TIM authenticates at TARA's token endpoint: as registered with RIA (TARA spec §4.3; basic is TARA's default). */
  /**
   * PEM file of the only CAs TIM trusts for TARA's endpoints (TARA spec §5.1.2
   * names them); unset: the system store. Requires an https TARA_ISSUER.
   */
  TARA_CA_FILE: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  TARA_CLIENT_AUTH_METHOD: z.preprocess(emptyAsUndefined, z.enum(["client_secret_basic", "client_secret_post"]).default("client_secret_basic")),
  TARA_ACR: z.preprocess(emptyAsUndefined, z.enum(["low", "substantial", "high"]).optional()),
  TARA_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(10),
  TARA_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  TARA_JWT_TTL_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(60),
  TARA_REQUIRE_ALLOWLIST: z.preprocess(emptyAsUndefined, bool.default(false)),
  /** At most this many active TARA sessions (TIM TARA JWTs) per person; a new login past it ends the oldest (lib/tara/session-limit.ts). Unset: no limit; the console may override. */
  TIM_TARA_SESSION_LIMIT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(1000).optional()),
  /** Absolute lifetime of a TARA session from its auth_time: extension never reaches past it. */
  TIM_TARA_SESSION_MAX_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(12),
  /** How far in the future a TIM token's iat may lie (clocks of TIM's instances differ a little). */
  TIM_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(10),
  /** Set by start-up when the local TARA stand-in serves the logins (banner on every page). */
  TIM_TARA_STAND_IN: z.preprocess(emptyAsUndefined, bool.default(false)),
  /** Lets TIM listen beyond loopback while the stand-in (anyone can log in as anyone) serves the logins. */
  TIM_ALLOW_STAND_IN: z.preprocess(emptyAsUndefined, bool.default(false)),
  /** Fixed port for the stand-in (default: any free port). */
  TARA_STAND_IN_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** Comma-separated personal codes (as TARA gives them, e.g. EE38001085718) of administrators. */
  TIM_ADMIN_SUBJECTS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default("")
      .superRefine((list, ctx) => {
        for (const entry of list.split(/[\s,]+/).filter(Boolean)) {
          const problem = personalCodeProblem(entry);
          if (problem) ctx.addIssue({ code: "custom", message: problem });
        }
      }),
  ),
  /** Comma-separated URLs or origins a TARA login may return to; same-site paths are always allowed. */
  TIM_ALLOWED_REDIRECTS: z.preprocess(emptyAsUndefined, z.string().default("")),
  // Background jobs (lib/jobs, lib/retention, lib/archive)
  TIM_RETENTION_CUSTOM_DAYS: z.coerce.number().int().min(1).default(30),
  TIM_RETENTION_TARA_DAYS: z.coerce.number().int().min(1).default(30),
  /** Days TARA's protocol log is kept (TARA spec §5.3 advises 1 to 7 years). */
  TIM_RETENTION_TARA_PROTOCOL_DAYS: z.coerce.number().int().min(1).max(36_500).default(365),
  TIM_RETENTION_CRON: z.string().min(9).default("0 3 * * *"),
  TIM_ARCHIVE_DAYS: z.coerce.number().int().min(1).default(365),
  TIM_ARCHIVE_DIR: z.preprocess(emptyAsUndefined, z.string().optional()),
  TIM_ARCHIVE_PURGE_CRON: z.string().min(9).default("30 4 * * *"),
  TIM_AUDIT_READS: z.preprocess(emptyAsUndefined, bool.default(false)),
  TIM_METADATA_WRITE_MODE: z.preprocess(emptyAsUndefined, z.enum(["sync", "async"]).default("sync")),
  /** Background export files (TIM_DATA_DIR/exports) are deleted by the retention job this many days after they were written. */
  TIM_EXPORT_DAYS: z.coerce.number().int().min(1).default(7),
  /** Shared Signals (lib/ssf): a revocation's event waits this long for receivers to poll and acknowledge it. */
  TIM_SSF_EVENT_RETENTION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(90 * 24)
    .default(7 * 24),
  /** RFC 8935 push (lib/ssf/push.ts): the delivery job's schedule (the embedded runner, croner, also takes a leading seconds field). */
  TIM_SSF_PUSH_CRON: z.string().min(9).default("* * * * *"),
  /** Push endpoints may be internal (private, loopback, link-local, unique-local, metadata) addresses, and http on loopback. */
  TIM_SSF_PUSH_ALLOW_INTERNAL: z.preprocess(emptyAsUndefined, bool.default(false)),
  /** Longest wait between retries of a push stream whose receiver fails (backoff from 1 s doubling, with jitter). */
  TIM_SSF_PUSH_MAX_BACKOFF_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  // Console and reporting (lib/reporting, lib/metrics, lib/admin)
  /** Bearer token for GET /api/metrics (Prometheus); unset: the endpoint answers 404. */
  TIM_METRICS_TOKEN: z.preprocess(emptyAsUndefined, z.string().min(16).optional()),
  /** Bulk revocations by query larger than this run as a background job with progress. */
  TIM_BULK_REVOKE_INLINE_MAX: z.coerce.number().int().min(1).default(5_000),
  // Inngest mode (lib/jobs/mode.ts, lib/jobs/README.md); the SDK reads these itself as well.
  INNGEST_BASE_URL: z.preprocess(emptyAsUndefined, z.string().url().optional()),
  INNGEST_EVENT_KEY: z.preprocess(emptyAsUndefined, z.string().optional()),
  INNGEST_SIGNING_KEY: z.preprocess(emptyAsUndefined, z.string().optional()),
  /** Inngest's dev server (read by the SDK). */
  INNGEST_DEV: z.preprocess(emptyAsUndefined, z.string().optional()),
  /** TIM's public origin as Inngest reaches it; required in Inngest mode so a sync never registers the caller's Host. */
  INNGEST_SERVE_ORIGIN: z.preprocess(emptyAsUndefined, z.string().url().optional()),
  /** Lets an unsigned PUT /api/inngest trigger a sync (the SDK's default); TIM's default: refused. */
  INNGEST_ENABLE_UNAUTHED_SYNC: z.preprocess(emptyAsUndefined, bool.default(false)),
});

export type TimConfig = z.infer<typeof schema> & {
  databaseKind: "postgres" | "pglite";
  jobMode: JobMode;
  pgliteDir: string;
  secureCookies: boolean;
  /** The settings the environment (or start-up) gives, not left to their defaults (a console page shows which). */
  configured: ReadonlySet<(typeof CONFIG_KEYS)[number]>;
};

export const CONFIG_KEYS = Object.keys(schema.shape) as Array<keyof typeof schema.shape>;

type Settings = Partial<Record<(typeof CONFIG_KEYS)[number], string>>;
type State = { cached?: TimConfig; overrides: Settings };
// One per process: Next's bundle of this module and the server's share it.
const SLOT = Symbol.for("tim.config");
const state: State = ((globalThis as Record<symbol, unknown>)[SLOT] ??= { overrides: {} }) as State;

/**
 * Settings TIM gives itself at start-up (the TARA stand-in points TIM at
 * itself), over the environment; `undefined` clears them.
 */
export function overrideConfig(settings: Settings | undefined): void {
  state.overrides = settings ?? {};
  state.cached = undefined;
}

/** Parses the environment once; invalid settings stop the process with a clear message. */
export function config(): TimConfig {
  if (state.cached) return state.cached;
  const given: Record<string, string | undefined> = { ...process.env, ...state.overrides };
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const env = parsed.data;
  const mode = jobMode(env);
  if (mode !== "in-process" && !env.INNGEST_SERVE_ORIGIN) {
    throw new Error(
      "Invalid configuration: INNGEST_SERVE_ORIGIN: Inngest mode (INNGEST_BASE_URL, INNGEST_EVENT_KEY or INNGEST_SIGNING_KEY is set) needs INNGEST_SERVE_ORIGIN, TIM's public origin as Inngest reaches it (e.g. https://tim.example.org)",
    );
  }
  state.cached = {
    ...env,
    databaseKind: env.DATABASE_URL ? "postgres" : "pglite",
    jobMode: mode,
    pgliteDir: env.TIM_PGLITE_DIR ?? `${env.TIM_DATA_DIR}/pglite`,
    secureCookies: env.TIM_SECURE_COOKIES ?? env.NODE_ENV === "production",
    configured: new Set(CONFIG_KEYS.filter((k) => (given[k] ?? "").trim() !== "")),
  };
  return state.cached;
}

/** Forgets the parsed environment so the next call re-reads it (tests, CLI). */
export function resetConfig(): void {
  state.cached = undefined;
}
