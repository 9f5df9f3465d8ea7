import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TimError } from "@/lib/http/errors";

/**
 * One writer per embedded database (ARCHITECTURE decision 13): PGlite has no
 * postmaster to arbitrate between processes, so a second process opening the
 * same directory writes pages the first one does not know about (seed:bulk
 * beside `npm start` left every btree index of custom.jwt_metadata out of step
 * with its heap). Every process that opens the directory first creates
 * `<dir>.lock` exclusively (`wx`) with its pid and start time; a lock whose
 * process is gone (or whose pid now belongs to a newer process) is stale and
 * taken over. Node has no OS-level file lock (flock) of its own.
 */
type Holder = { pid: number; started: string; command: string };

export class DataDirLockedError extends TimError {
  constructor(
    readonly dir: string,
    readonly holder: Holder,
  ) {
    super(
      "database_in_use",
      `The embedded database in ${path.resolve(dir)} is in use by process ${holder.pid} (${holder.command}, since ${holder.started}). ` +
        "Only one process may open it: stop that process (e.g. the running `npm start`) and run this again, " +
        "or use PostgreSQL (DATABASE_URL) to run command-line jobs beside a running TIM.",
    );
  }
}

export function lockFileOf(dir: string): string {
  return `${path.resolve(dir)}.lock`;
}

/** The kernel's start time of a process (clock ticks since boot), where /proc has it; distinguishes a reused pid. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function alive(holder: Holder & { ticks?: string }): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  const ticks = processStart(holder.pid);
  return !(holder.ticks && ticks && holder.ticks !== ticks);
}

const held = new Set<string>();

/** Takes the directory's lock for this process or throws DataDirLockedError naming the holder. */
export function lockDataDir(dir: string): void {
  const file = lockFileOf(dir);
  if (held.has(file)) return;
  const mine = {
    pid: process.pid,
    ticks: processStart(process.pid),
    started: new Date().toISOString(),
    command:
      process.argv
        .slice(1)
        .map((a) => path.basename(a))
        .join(" ") || "node",
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(mine), { flag: "wx", mode: 0o600 });
      held.add(file);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let holder: (Holder & { ticks?: string }) | undefined;
    try {
      holder = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      holder = undefined; // half-written by a process that died between create and write, or just removed
    }
    if (holder && alive(holder)) throw new DataDirLockedError(dir, holder);
    try {
      unlinkSync(file);
    } catch {
      // another process removed the stale lock first; the next attempt decides
    }
  }
  throw new TimError("database_in_use", `Could not take the lock ${file}; another process keeps taking it.`);
}

/** Releases this process's lock on the directory (when it holds it). */
export function unlockDataDir(dir: string): void {
  const file = lockFileOf(dir);
  if (!held.delete(file)) return;
  try {
    if (JSON.parse(readFileSync(file, "utf8")).pid === process.pid) unlinkSync(file);
  } catch {
    // already gone
  }
}

// A process that exits without closing its database still leaves no lock behind.
process.once("exit", () => {
  for (const file of held) {
    try {
      if (JSON.parse(readFileSync(file, "utf8")).pid === process.pid) unlinkSync(file);
    } catch {
      // already gone
    }
  }
});
