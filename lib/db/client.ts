import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PGLITE_EXTENSIONS } from "@/lib/db/pglite-extensions";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import pg from "pg";
import { config } from "@/lib/config/env";
import { lockDataDir, unlockDataDir } from "@/lib/db/data-dir-lock";
import { PrismaClient } from "@/lib/generated/prisma/client";

export type Db = PrismaClient;

type DbHandles = {
  prisma: PrismaClient;
  kind: "postgres" | "pglite";
  pool?: pg.Pool;
  pglite?: PGlite;
  /** The PGlite directory this process holds the lock of. */
  lockedDir?: string;
};

// Next bundles lib/ into its own module graph while scripts load it directly;
// a process-wide slot keeps one client (and one PGlite instance) per process.
const SLOT = Symbol.for("tim.db");
type Slot = { handles?: DbHandles; opening?: Promise<DbHandles>; closeHooks?: Set<() => Promise<void>> };
const slot: Slot = ((globalThis as Record<symbol, unknown>)[SLOT] ??= {}) as Slot;

/** Runs `hook` before the database closes (listeners on their own connection stop first). */
export function onDbClose(hook: () => Promise<void>): void {
  (slot.closeHooks ??= new Set()).add(hook);
}

/**
 * A pool connection that turns PostgreSQL's JIT off before it is handed out: TIM's statements are short OLTP
 * queries, and JIT, triggered by cost estimates (e.g. before autovacuum has analysed a fast-growing table), spent
 * 10-25 ms compiling each grouped lookup. Done in connect(), not in the pool's "connect" event, whose query would
 * share the connection with the first caller's (pg runs one query at a time).
 */
class JitOffClient extends pg.Client {
  connect(): Promise<pg.Client>;
  connect(callback: (err: Error | null, client?: pg.Client) => void): void;
  // biome-ignore lint/suspicious/noConfusingVoidType: the implementation of pg's own two overloads above
  connect(callback?: (err: Error | null, client?: pg.Client) => void): Promise<pg.Client> | void {
    const ready = super.connect().then(async () => {
      await this.query("SET jit = off");
      return this as pg.Client;
    });
    if (!callback) return ready;
    ready.then(
      (client) => callback(null, client),
      (err: Error) => callback(err),
    );
  }
}

/**
 * Interactive transactions (key changes, audit rows, clients) may wait and run
 * longer than Prisma's 2 s / 5 s defaults before they are given up: on a
 * loaded host (CI, a busy embedded database whose one connection serialises
 * transactions) a correct transaction took 6 s and failed. Transactions on hot
 * paths are single statements and never come near this.
 */
const TRANSACTION_OPTIONS = { maxWait: 15_000, timeout: 30_000 };

function openPostgres(url: string, poolSize: number): DbHandles {
  const pool = new pg.Pool({
    Client: JitOffClient,
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection must not crash the process.
  pool.on("error", () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool), transactionOptions: TRANSACTION_OPTIONS });
  return { prisma, kind: "postgres", pool };
}

async function openPglite(dir: string): Promise<DbHandles> {
  const onDisk = !dir.startsWith("memory://");
  if (onDisk) {
    mkdirSync(dir, { recursive: true });
    lockDataDir(dir);
  }
  try {
    const pglite = await PGlite.create(dir, { extensions: PGLITE_EXTENSIONS });
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite), transactionOptions: TRANSACTION_OPTIONS });
    return { prisma, kind: "pglite", pglite, lockedDir: onDisk ? dir : undefined };
  } catch (err) {
    if (onDisk) unlockDataDir(dir);
    throw err;
  }
}

async function open(): Promise<DbHandles> {
  const cfg = config();
  return cfg.DATABASE_URL ? openPostgres(cfg.DATABASE_URL, cfg.DATABASE_POOL_SIZE) : openPglite(cfg.pgliteDir);
}

/** The process's database handles, opened on first use. */
export async function dbHandles(): Promise<DbHandles> {
  if (slot.handles) return slot.handles;
  slot.opening ??= open().then(
    (h) => (slot.handles = h),
    (err) => {
      slot.opening = undefined;
      throw err;
    },
  );
  return slot.opening;
}

/** The Prisma client for this process. */
export async function db(): Promise<PrismaClient> {
  return (await dbHandles()).prisma;
}

/** Closes the database so another process (or a test) may open it. */
export async function closeDb(): Promise<void> {
  const handles = slot.handles ?? (slot.opening ? await slot.opening.catch(() => undefined) : undefined);
  slot.handles = undefined;
  slot.opening = undefined;
  for (const hook of slot.closeHooks ?? []) await hook().catch(() => undefined);
  if (!handles) return;
  await handles.prisma.$disconnect();
  await handles.pool?.end();
  await handles.pglite?.close();
  if (handles.lockedDir) unlockDataDir(handles.lockedDir);
}
