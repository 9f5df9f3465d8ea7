import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/** Inputs of `next build`: when their content changes, the build is stale. */
const INPUTS = ["app", "lib", "server", "public", "prisma/schema.prisma", "package-lock.json", "next.config.js", "postcss.config.mjs", "tsconfig.json"];
const SKIP = new Set(["node_modules", "generated", ".next"]);

function walk(target: string, files: string[]): void {
  if (!existsSync(target)) return;
  if (statSync(target).isFile()) {
    files.push(target);
    return;
  }
  for (const entry of readdirSync(target, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    walk(path.join(target, entry.name), files);
  }
}

export function sourceStamp(root = process.cwd()): string {
  const files: string[] = [];
  for (const input of INPUTS) walk(path.join(root, input), files);
  const hash = createHash("sha256");
  for (const file of files.sort()) {
    hash.update(path.relative(root, file));
    hash.update(readFileSync(file));
  }
  return hash.digest("hex");
}

export function stampFile(distDir: string): string {
  return path.join(distDir, "tim-source-stamp");
}

/** True when distDir holds a production build of exactly the current sources. */
export function buildIsCurrent(distDir: string, stamp: string): boolean {
  const file = stampFile(distDir);
  return existsSync(path.join(distDir, "BUILD_ID")) && existsSync(file) && readFileSync(file, "utf8") === stamp;
}
