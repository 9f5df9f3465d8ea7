/**
 * `npm start`: builds when the sources changed since the last build, applies
 * migrations, prepares keys and the bootstrap client, and serves TIM.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { log } from "@/lib/log/logger";
import { buildIsCurrent, sourceStamp, stampFile } from "./build-stamp";

const dev = process.argv.includes("--dev");
(process.env as Record<string, string | undefined>).NODE_ENV ??= dev ? "development" : "production";

/** Start-up and shutdown lines are JSON like every other line, and shown whatever TIM_LOG_LEVEL says. */
function say(line: string): void {
  log.notice(line);
}

function buildIfStale(distDir: string): void {
  const stamp = sourceStamp();
  if (buildIsCurrent(distDir, stamp)) return;
  say("TIM: building the web application (first start or sources changed)…");
  const nextCli = path.join(process.cwd(), "node_modules", "next", "dist", "bin", "next");
  const result = spawnSync(process.execPath, [nextCli, "build"], { stdio: "inherit", env: process.env });
  if (result.status !== 0) {
    log.error("TIM: the build failed; see the output above.");
    process.exit(1);
  }
  writeFileSync(stampFile(distDir), stamp);
}

async function main(): Promise<void> {
  const { config } = await import("@/lib/config/env");
  if (!dev) buildIfStale(config().TIM_NEXT_DIST_DIR);

  const { migrate, MigrationError } = await import("@/lib/db/migrate");
  const { closeDb } = await import("@/lib/db/client");
  const { prepareRuntime } = await import("@/server/runtime");
  const { startHttpServer } = await import("@/server/main");

  const cfg = config();
  try {
    const result = await migrate();
    say(`TIM: migrations: ${result.applied.length} applied now, ${result.alreadyApplied} already applied.`);
  } catch (err) {
    if (err instanceof MigrationError) {
      log.error(`TIM: cannot start: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }

  const port = cfg.PORT;
  const runtime = await prepareRuntime({ requestedHost: cfg.HOST, port });
  // next-auth reads NEXTAUTH_URL itself and warns on every request without it: when TIM knows its public
  // origin (the TARA redirect URI, configured or the stand-in's), next-auth gets it too.
  const redirectUri = config().TARA_REDIRECT_URI;
  if (!process.env.NEXTAUTH_URL && redirectUri) process.env.NEXTAUTH_URL = new URL(redirectUri).origin;
  const host = runtime.host;
  const http = await startHttpServer({ port, host, dev });

  say(`TIM: listening on ${http.url} (bound to ${host})`);
  say(
    cfg.databaseKind === "pglite"
      ? `TIM: database: embedded PGlite in ${path.resolve(cfg.pgliteDir)} (set DATABASE_URL to use PostgreSQL)`
      : `TIM: database: PostgreSQL at ${redactUrl(cfg.DATABASE_URL!)}`,
  );
  for (const line of runtime.notes) say(`TIM: ${line}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`TIM: ${signal} received, shutting down…`);
    await http.close().catch(() => undefined);
    await runtime.stop().catch(() => undefined);
    await closeDb();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

function redactUrl(url: string): string {
  const u = new URL(url);
  u.password = u.password ? "***" : "";
  return u.toString();
}

main().catch((err: unknown) => {
  log.error(`TIM: start-up failed: ${(err as Error).message}`);
  process.exit(1);
});
