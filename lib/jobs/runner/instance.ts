import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import pg from "pg";
import { config } from "@/lib/config/env";
import { dbHandles, onDbClose } from "@/lib/db/client";
import { errorFields, log } from "@/lib/log/logger";

/**
 * This process as an owner of background work on a shared PostgreSQL
 * database. It holds, on one connection of its own, a session-level advisory
 * lock on its random `key` for as long as it lives: a running job row whose
 * owner's lock is free belongs to a dead process (PostgreSQL releases session
 * locks when the connection ends, so a SIGKILLed process is seen at once).
 * The same connection holds cross-instance concurrency slots and the job-mode
 * claim. On PGlite there is only this process, so every other owner is dead.
 */
export type Owner = { key: string; name: string };

const APP_NAME = "tim-job-owner";
/** Lock space of the two-int advisory locks (hashtext of a constant name). */
const SLOT_SPACE = "tim.job_slot";
const MODE_SPACE = "tim.job_mode";

type Session = { client: pg.Client; ready: Promise<void>; lost: boolean };

const SLOT = Symbol.for("tim.job-owner");
type State = { owner: Owner; session?: Session; slots: Set<string>; mode?: number; queue: Promise<unknown> };
const state: State = ((globalThis as Record<symbol, unknown>)[SLOT] ??= {
  owner: {
    // a positive 63-bit key, as text (bigint columns and $queryRaw parameters)
    key: (randomBytes(8).readBigUInt64BE() >> 1n).toString(),
    name: `${hostname()}:${process.pid}`,
  },
  slots: new Set<string>(),
  queue: Promise.resolve(),
}) as State;

export function owner(): Owner {
  return state.owner;
}

async function isPostgres(): Promise<boolean> {
  return (await dbHandles()).kind === "postgres";
}

/** The owner connection, opened (and the owner lock taken) on first use; reopened after a loss. */
async function session(): Promise<pg.Client> {
  if (state.session && !state.session.lost) {
    await state.session.ready;
    return state.session.client;
  }
  const client = new pg.Client({ connectionString: config().DATABASE_URL, keepAlive: true, application_name: APP_NAME });
  const s: Session = { client, lost: false, ready: Promise.resolve() };
  client.on("error", (err) => {
    // Our locks went with the connection: other instances may now take over our runs (their steps are
    // idempotent); the next use reconnects and takes the owner lock again.
    if (!s.lost) log.warn("job owner connection lost", errorFields(err));
    s.lost = true;
  });
  s.ready = (async () => {
    await client.connect();
    await client.query("SELECT pg_advisory_lock($1::bigint)", [state.owner.key]);
    state.slots.clear();
    if (state.mode !== undefined) await client.query(`SELECT pg_advisory_lock_shared(hashtext('${MODE_SPACE}'), $1)`, [state.mode]);
  })();
  state.session = s;
  try {
    await s.ready;
  } catch (err) {
    s.lost = true;
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}

/**
 * Runs `fn` with the owner connection, one use at a time: a pg client runs one
 * query at a time anyway, and advisory locks are re-entrant within a session,
 * so two slot claims interleaved on it could both win the same slot (and the
 * first release would leave it held).
 */
function withSession<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const run = state.queue.then(() => session().then(fn));
  state.queue = run.catch(() => undefined);
  return run;
}

onDbClose(async () => {
  const s = state.session;
  state.session = undefined;
  state.slots.clear();
  state.mode = undefined;
  if (s) await s.client.end().catch(() => undefined);
});

/** Makes sure this process holds its owner lock before it marks a row as its own. */
export async function claimOwner(): Promise<Owner> {
  if (await isPostgres()) await withSession(async () => undefined);
  return state.owner;
}

/** Which of these owner keys belong to processes that are gone (their lock is free). */
export async function deadOwners(keys: string[]): Promise<string[]> {
  const others = [...new Set(keys)].filter((k) => k !== state.owner.key);
  if (others.length === 0 || !(await isPostgres())) return others;
  const rows = await withSession((client) =>
    client.query<{ key: string }>(
      `SELECT k::text AS key FROM unnest($1::bigint[]) AS k
        WHERE pg_try_advisory_lock(k) AND pg_advisory_unlock(k)`,
      [others],
    ),
  );
  return rows.rows.map((r) => r.key);
}

/**
 * Takes one of `limit` slots of a concurrency key across every instance;
 * false when all are held. Each worker of this process runs serially, so on
 * PGlite (one process) the slot is always free.
 */
export async function acquireSlot(key: string, limit: number): Promise<string | undefined> {
  if (!(await isPostgres())) return "local";
  return withSession(async (client) => {
    for (let i = 0; i < limit; i++) {
      const slot = `${key}#${i}`;
      if (state.slots.has(slot)) continue;
      const r = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(hashtext('${SLOT_SPACE}') # hashtext($1), $2) AS ok`, [key, i]);
      if (r.rows[0].ok) {
        state.slots.add(slot);
        return slot;
      }
    }
    return undefined;
  });
}

export async function releaseSlot(slot: string): Promise<void> {
  if (slot === "local" || !state.slots.has(slot)) return;
  const s = state.session;
  if (!s || s.lost) {
    state.slots.delete(slot);
    return;
  }
  const at = slot.lastIndexOf("#");
  await withSession(async (client) => {
    // Still ours only if the connection that took it is the one in use (a new one starts with no slots).
    if (!state.slots.delete(slot) || client !== s.client) return;
    await client.query(`SELECT pg_advisory_unlock(hashtext('${SLOT_SPACE}') # hashtext($1), $2)`, [slot.slice(0, at), Number(slot.slice(at + 1))]);
  });
}

export type JobModeFamily = "in-process" | "inngest";
const MODES: JobModeFamily[] = ["in-process", "inngest"];

/**
 * Records, for as long as this process lives, where it runs background jobs,
 * and refuses when an instance on the same database runs them elsewhere: an
 * in-process instance next to Inngest ones would run every cron twice and
 * batch events Inngest never sees.
 */
export async function claimJobMode(family: JobModeFamily): Promise<void> {
  if (!(await isPostgres())) return;
  await withSession((client) => claimModeOn(client, family));
}

async function claimModeOn(client: pg.Client, family: JobModeFamily): Promise<void> {
  const mine = MODES.indexOf(family);
  const other = 1 - mine;
  await client.query(`SELECT pg_advisory_lock_shared(hashtext('${MODE_SPACE}'), $1)`, [mine]);
  state.mode = mine;
  const free = await client.query<{ ok: boolean }>(
    `SELECT pg_try_advisory_lock(hashtext('${MODE_SPACE}'), $1) AND pg_advisory_unlock(hashtext('${MODE_SPACE}'), $1) AS ok`,
    [other],
  );
  if (!free.rows[0].ok) {
    await client.query(`SELECT pg_advisory_unlock_shared(hashtext('${MODE_SPACE}'), $1)`, [mine]);
    state.mode = undefined;
    throw new Error(
      `Another TIM instance on this database runs background jobs ${MODES[other] === "inngest" ? "on Inngest" : "in-process"}, ` +
        `this one would run them ${family === "inngest" ? "on Inngest" : "in-process"}. Give every instance the same ` +
        "INNGEST_* settings (all set, or none), then start again.",
    );
  }
}

/** Runs of the embedded runner; job runs started inside one are the execution's to keep alive. */
const inExecution = new AsyncLocalStorage<true>();

export function withinExecution<T>(fn: () => Promise<T>): Promise<T> {
  return inExecution.run(true, fn);
}

/**
 * The owner to record on a new job run: none inside a runner execution (if
 * this process dies, another instance resumes the execution and the run with
 * it); this process otherwise (a CLI job, a console request run in place).
 */
export async function jobRunOwner(): Promise<Owner | null> {
  if (inExecution.getStore()) return null;
  return claimOwner().catch((err) => {
    log.warn("job run without an owner lock", errorFields(err));
    return null;
  });
}
