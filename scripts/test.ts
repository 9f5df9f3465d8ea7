/**
 * `npm test`: lint and format check (stops there when it fails), type-check,
 * unit and integration tests (PGlite, or PostgreSQL when DATABASE_URL is set),
 * then end-to-end tests in Debian's Chromium.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freshDatabase } from "./lib/fresh-database";

const CHROMIUM = "/usr/bin/chromium";
const bin = (name: string) => path.join(process.cwd(), "node_modules", ".bin", name);

function run(title: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  process.stdout.write(`\n== ${title}\n`);
  return spawnSync(command, args, { stdio: "inherit", env }).status === 0;
}

async function withE2eDatabase<T>(fn: (env: NodeJS.ProcessEnv) => T): Promise<T> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dir = mkdtempSync(path.join(tmpdir(), "tim-e2e-"));
    try {
      return fn({ ...process.env, TIM_E2E_DATA_DIR: dir });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const database = await freshDatabase(adminUrl, "tim_e2e");
  try {
    return fn({ ...process.env, TIM_E2E_DATABASE_URL: database.url });
  } finally {
    await database.drop();
  }
}

async function main(): Promise<number> {
  const only = process.argv[2];
  // Seconds, against minutes for the tests: Biome's findings come first, alone.
  if (!run("Lint and format check (npm run lint)", "npm", ["run", "--silent", "lint"])) {
    process.stdout.write("\nStopped: `npm run format` fixes formatting; lint findings are fixed by hand (or explained in biome.jsonc).\n");
    return 1;
  }
  let ok = true;
  if (!only || only === "unit") {
    ok = run("Type check", bin("tsc"), ["--noEmit", "-p", "."]) && ok;
    ok = run(`Unit and integration tests on ${process.env.DATABASE_URL ? "PostgreSQL" : "PGlite"}`, bin("vitest"), ["run"]) && ok;
  }
  if (!only || only === "e2e") {
    if (!existsSync(CHROMIUM)) {
      process.stdout.write(`\nEnd-to-end tests skipped: ${CHROMIUM} not found (install Debian's chromium: apt-get install -y chromium).\n`);
      if (process.env.CI === "true") return 1;
    } else {
      ok = (await withE2eDatabase((env) => run("End-to-end tests in Chromium", bin("playwright"), ["test"], env))) && ok;
    }
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`npm test failed to run: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
