import pg from "pg";
import { config } from "@/lib/config/env";
import { dbHandles, onDbClose } from "@/lib/db/client";
import { errorFields, log } from "@/lib/log/logger";

/**
 * Key changes reach every instance: a trigger on tim.signing_keys announces
 * each change on `tim_signing_keys` when it commits (migration
 * 20261203140000_signing_key_activation); this process LISTENs on its own
 * connection and reloads its keys on every notification and after every
 * (re)connect (changes made while it was not listening). A periodic reload
 * (`fallbackMs`) covers a listener that is down for longer.
 *
 * PGlite: the database belongs to this one process (the data-directory lock),
 * whose own key changes reload its keys directly; only the periodic reload runs.
 */
const CHANNEL = "tim_signing_keys";
/** application_name of the listener connection (visible in pg_stat_activity). */
export const KEY_LISTENER_NAME = "tim-keys-listener";
const RECONNECT_MS = 1_000;

type State = { generation: number; running: boolean; timers: NodeJS.Timeout[]; reconnect?: NodeJS.Timeout; client?: pg.Client };
const SLOT = Symbol.for("tim.key-signal");
const state: State = ((globalThis as Record<symbol, unknown>)[SLOT] ??= { generation: 0, running: false, timers: [] }) as State;

/** Starts the listener and the periodic reload (idempotent); `reload` must not throw. */
export function watchKeyChanges(reload: () => Promise<void>, fallbackMs: number): void {
  if (state.running) return;
  state.running = true;
  const generation = ++state.generation;
  const timer = setInterval(() => void reload(), fallbackMs);
  timer.unref();
  state.timers.push(timer);
  void dbHandles().then(
    (handles) => {
      if (!handles.pglite && generation === state.generation) connect(generation, reload);
    },
    () => undefined,
  );
}

function connect(generation: number, reload: () => Promise<void>, wasUp = true): void {
  const client = new pg.Client({ connectionString: config().DATABASE_URL, keepAlive: true, application_name: KEY_LISTENER_NAME });
  state.client = client;
  let dropped = false;
  let up = false;
  const drop = (err?: unknown) => {
    if (dropped) return;
    dropped = true;
    client.removeAllListeners();
    client.on("error", () => undefined);
    client.end().catch(() => undefined);
    if (generation !== state.generation) return;
    // Said once per outage, not on every failed reconnect.
    if (up || wasUp) log.warn("signing-key listener lost; key changes of other instances arrive with the periodic reload until it is back", errorFields(err));
    // One pending reconnect at a time (an outage of hours must not pile up timers).
    clearTimeout(state.reconnect);
    state.reconnect = setTimeout(() => generation === state.generation && connect(generation, reload, false), RECONNECT_MS);
    state.reconnect.unref();
  };
  client.on("notification", (msg) => msg.channel === CHANNEL && void reload());
  client.on("error", drop);
  client.on("end", () => drop());
  client
    .connect()
    .then(() => client.query(`LISTEN ${CHANNEL}`))
    .then(() => void (up = true))
    // Listening now: whatever changed before is in this reload, whatever changes after is notified.
    .then(() => reload())
    .catch(drop);
}

/** Stops listening (closeDb calls this); the next key load starts again. */
export async function stopWatchingKeys(): Promise<void> {
  state.generation++;
  state.running = false;
  for (const timer of state.timers) clearTimeout(timer);
  state.timers = [];
  clearTimeout(state.reconnect);
  state.reconnect = undefined;
  const client = state.client;
  state.client = undefined;
  if (client) {
    client.removeAllListeners();
    client.on("error", () => undefined);
    await client.end().catch(() => undefined);
  }
}

onDbClose(stopWatchingKeys);
