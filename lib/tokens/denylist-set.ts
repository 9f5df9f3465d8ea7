import pg from "pg";
import { config } from "@/lib/config/env";
import { dbHandles, onDbClose } from "@/lib/db/client";
import { errorFields, log } from "@/lib/log/logger";
import { isTokenKind, KINDS, TOKEN_KINDS, type TokenKind } from "@/lib/tokens/kinds";

/**
 * The in-process denylist set: the unexpired revoked jtis of both token kinds
 * (lib/tokens/denylist.ts asks it first). A
 * trigger on both denylist tables announces every new row on `tim_revoked`
 * when it commits (migration 20261123050000_denylist_notify), whichever code
 * path wrote it; this process LISTENs on its own connection (PostgreSQL) or on
 * the PGlite instance, after loading the set.
 *
 * PGlite (one process): the set is authoritative, a check needs no query.
 * PostgreSQL: a token in the set is refused at once; one not in it is checked
 * in the database, the checks of concurrent requests grouped into one query,
 * so that a revocation committed on any instance before a check began is
 * always refused (the notification alone trails its commit by a few ms).
 *
 * Fails closed: while the set is not live (start, listener dropped,
 * reconnecting) every check goes to the database, and fails (503) when the
 * database is unreachable.
 *
 * Bounded: the set holds at most TIM_DENYLIST_MAX_ENTRIES revocations, the
 * most recent ones (the load reads only that many, newest first; a notification
 * into a full set evicts the oldest entry). A revocation outside the set is found
 * by the database lookup every check not in the set makes anyway on PostgreSQL;
 * on PGlite the set stops being authoritative once it has been truncated, and
 * unknown jtis are looked up there too.
 */
const CHANNEL = "tim_revoked";
/** application_name of the listener connection (visible in pg_stat_activity). */
export const LISTENER_NAME = "tim-denylist-listener";
const RECONNECT_MS = 1_000;
const PING_MS = 5_000;
const PING_TIMEOUT_MS = 2_000;
const PRUNE_MS = 60_000;

// The newest unexpired revocations, at most $1 rows (the set's bound plus one, which tells a truncated load).
const LOAD_NEWEST_UNEXPIRED = `
  SELECT kind, jti, exp FROM (
    ${TOKEN_KINDS.map(
      (kind) => `SELECT '${kind}' AS kind, jwt_uuid::text AS jti, floor(extract(epoch FROM expires_at))::bigint::text AS exp, denylisted_at
      FROM ${KINDS[kind].table.denylist} WHERE expires_at > now()`,
    ).join("\n    UNION ALL\n    ")}
  ) AS unexpired ORDER BY denylisted_at DESC LIMIT $1`;

type Revoked = Map<string, number>;
type State = {
  /**
   * Revocations written in a transaction not yet known to have committed:
   * checks of these jtis go to the database until the notification arrives.
   */
  pending: Map<string, number>;
  /** The set is loaded and kept current. */
  live: boolean;
  /**
   * The set holds every unexpired revocation: false once a load or a
   * notification met the bound (TIM_DENYLIST_MAX_ENTRIES), until a reload fits.
   */
  complete: boolean;
  /**
   * Every committed revocation is in the set before anyone can check again
   * (PGlite: notifications arrive at commit), so "not in the set" is an answer.
   * On PostgreSQL a notification trails its commit by a little, so "not in
   * the set" is confirmed by a (grouped) database lookup.
   */
  authoritative: boolean;
  revoked: Revoked;
  /** Bumped by every (re)start and stop; stale callbacks compare it. */
  generation: number;
  starting: boolean;
  release?: () => Promise<void>;
  timers: NodeJS.Timeout[];
};

const SLOT = Symbol.for("tim.denylist");
const state: State = ((globalThis as Record<symbol, unknown>)[SLOT] ??= {
  live: false,
  complete: false,
  authoritative: false,
  pending: new Map(),
  revoked: new Map(),
  generation: 0,
  starting: false,
  timers: [],
}) as State;

export const keyOf = (kind: TokenKind, jti: string) => `${kind}:${jti.toLowerCase()}`;

/** How long a pending revocation forces database checks when no notification confirms it (rolled back). */
const PENDING_MS = 30_000;

/** Who else hears each committed revocation as it is announced (Shared Signals push). */
const hearers = new Set<(kind: TokenKind, jti: string) => void>();

/** Calls `hear` for every revocation announced from now on, by any instance; the answer stops it. Starts listening. */
export function onRevocationAnnounced(hear: (kind: TokenKind, jti: string) => void): () => void {
  hearers.add(hear);
  ensureListening();
  return () => void hearers.delete(hear);
}

function apply(into: Revoked, payload: string): void {
  const [kind, jti, exp] = payload.split(" ");
  if (!isTokenKind(kind) || !jti) return;
  const key = keyOf(kind, jti);
  remember(into, key, Number(exp) * 1000);
  state.pending.delete(key);
  for (const hear of hearers) hear(kind, jti);
}

/** Adds a revocation; a full set forgets its oldest entry (a Map iterates in insertion order) and is no longer complete. */
function remember(into: Revoked, key: string, expiresAtMs: number): void {
  if (!into.has(key) && into.size >= config().TIM_DENYLIST_MAX_ENTRIES) {
    into.delete(into.keys().next().value!);
    if (into === state.revoked) state.complete = state.authoritative = false;
  }
  into.set(key, expiresAtMs);
}

/** The live set's answer for `key`: "revoked" (final), "absent" (final where the set is authoritative and nothing is pending), or "unknown" (ask the database). */
export function liveSetAnswer(key: string): "revoked" | "absent" | "unknown" {
  ensureListening();
  if (!state.live) return "unknown";
  if (state.revoked.has(key)) return "revoked";
  return state.authoritative && !state.pending.has(key) ? "absent" : "unknown";
}

/** Records a revocation this process just committed (the notification confirms it). */
export function noteRevoked(kind: TokenKind, jti: string, expiresAt: Date): void {
  const key = keyOf(kind, jti);
  remember(state.revoked, key, expiresAt.getTime());
  state.pending.delete(key);
}

/**
 * Records a revocation written inside a transaction that has not committed
 * yet: until its notification arrives, this jti is checked in the database
 * (so it is refused right after the commit, and still valid if it rolls back).
 */
export function notePending(kind: TokenKind, jti: string): void {
  state.pending.set(keyOf(kind, jti), Date.now());
}

/** Whether checks are answered in-process right now (health, tests). */
export function denylistIsLive(): boolean {
  return state.live;
}

/** Starts listening (idempotent); until the set is loaded, checks go to the database. */
export function ensureListening(): void {
  if (state.live || state.starting) return;
  state.starting = true;
  const generation = ++state.generation;
  listen(generation)
    .catch((err) => {
      if (generation !== state.generation) return;
      log.warn("denylist listener not started; revocation checks use the database", errorFields(err));
      retryLater(generation);
    })
    .finally(() => {
      if (generation === state.generation) state.starting = false;
    });
}

function retryLater(generation: number): void {
  const timer = setTimeout(() => {
    if (generation === state.generation && !state.live) ensureListening();
  }, RECONNECT_MS);
  timer.unref();
  state.timers.push(timer);
}

function every(ms: number, fn: () => void): void {
  const timer = setInterval(fn, ms);
  timer.unref();
  state.timers.push(timer);
}

async function listen(generation: number): Promise<void> {
  const handles = await dbHandles();
  const fresh: Revoked = new Map();
  let release: () => Promise<void>;
  type Row = { kind: string; jti: string; exp: string };
  let load: (limit: number) => Promise<Row[]>;
  let keepAlive: (() => void) | undefined;

  if (handles.pglite) {
    const lite = handles.pglite;
    // PGlite is this process's own database: the notification arrives when the
    // revoking transaction commits, before its caller continues.
    const unlisten = await lite.listen(CHANNEL, (payload) => apply(fresh, payload));
    release = unlisten;
    load = async (limit) => (await lite.query<Row>(LOAD_NEWEST_UNEXPIRED, [limit])).rows;
  } else {
    const client = new pg.Client({ connectionString: config().DATABASE_URL, keepAlive: true, application_name: LISTENER_NAME });
    const dropped = () => lost(generation, client);
    client.on("notification", (msg) => msg.channel === CHANNEL && msg.payload && apply(fresh, msg.payload));
    client.on("error", dropped);
    client.on("end", dropped);
    release = async () => {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
    };
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      await release();
      throw err;
    }
    load = async (limit) => (await client.query<Row>(LOAD_NEWEST_UNEXPIRED, [limit])).rows;
    keepAlive = () => void ping(generation, client);
  }

  const bound = config().TIM_DENYLIST_MAX_ENTRIES;
  let complete: boolean;
  try {
    // LISTEN came first: a revocation committed during the load is in the rows or notified (or both).
    const rows = await load(bound + 1);
    complete = rows.length <= bound;
    // Notifications are newer than every row, and eviction drops the oldest entry: rows go in first, oldest first.
    const notified = [...fresh];
    fresh.clear();
    for (let i = Math.min(rows.length, bound) - 1; i >= 0; i--) {
      const row = rows[i];
      if (isTokenKind(row.kind)) remember(fresh, keyOf(row.kind, row.jti), Number(row.exp) * 1000);
    }
    for (const [key, exp] of notified) remember(fresh, key, exp);
  } catch (err) {
    await release();
    throw err;
  }
  if (generation !== state.generation) {
    await release();
    return;
  }
  state.revoked = fresh;
  state.release = release;
  // A set as full as its bound may have evicted: count it incomplete (costs PGlite lookups, never an answer).
  state.complete = complete && fresh.size < bound;
  state.authoritative = Boolean(handles.pglite) && state.complete;
  state.live = true;
  // Pings start after the load, so they never share the connection with it (pg runs one query at a time).
  if (keepAlive) every(PING_MS, keepAlive);
  every(PRUNE_MS, () => prune(fresh));
}

/** The listener connection failed: answer from the database until a new listener has reloaded the set. */
function lost(generation: number, client: pg.Client): void {
  if (generation !== state.generation) return;
  const wasLive = state.live;
  state.live = false;
  state.generation++;
  clearTimers();
  state.starting = false;
  state.release = undefined;
  client.removeAllListeners("end");
  client.end().catch(() => undefined);
  if (wasLive) log.warn("denylist listener lost; revocation checks use the database until it is back");
  retryLater(state.generation);
}

async function ping(generation: number, client: pg.Client): Promise<void> {
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("ping timeout")), PING_TIMEOUT_MS).unref());
  try {
    await Promise.race([client.query("SELECT 1"), timeout]);
  } catch {
    lost(generation, client);
  }
}

function prune(revoked: Revoked): void {
  const now = Date.now();
  for (const [key, exp] of revoked) if (exp <= now) revoked.delete(key);
  for (const [key, since] of state.pending) if (now - since > PENDING_MS) state.pending.delete(key);
}

function clearTimers(): void {
  for (const timer of state.timers) clearTimeout(timer);
  state.timers = [];
}

/** Stops listening; the next check starts again (closeDb calls this). */
export async function stopListening(): Promise<void> {
  state.generation++;
  state.live = false;
  state.starting = false;
  state.complete = state.authoritative = false;
  state.revoked = new Map();
  clearTimers();
  const release = state.release;
  state.release = undefined;
  await release?.();
}

onDbClose(stopListening);
