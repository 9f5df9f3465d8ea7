/**
 * `npm run env:example`: writes .env.example, every setting of
 * lib/config/env.ts commented out with its default and meaning from the
 * README's configuration tables (the one place they are described).
 * test/config/documented.test.ts fails when the file is not current.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { CONFIG_KEYS } from "@/lib/config/env";

type Row = { keys: string[]; defaults: string; meaning: string };

const plain = (cell: string) => cell.replace(/`/g, "").replace(/\*\*/g, "").trim();

export function readmeRows(readme: string): Row[] {
  return readme
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => line.split(" | "))
    .map(([first, defaults = "", meaning = ""]) => ({
      keys: [...first.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]),
      defaults: plain(defaults),
      meaning: plain(meaning.replace(/ \|$/, "")),
    }))
    .filter((row) => row.keys.some((k) => (CONFIG_KEYS as string[]).includes(k)));
}

export function envExample(readme: string): string {
  const rows = readmeRows(readme);
  const lines = ["# TIM's settings (README, Configuration and TARA). Everything is optional for `npm start`.", ""];
  for (const key of CONFIG_KEYS) {
    const row = rows.find((r) => r.keys.includes(key));
    if (!row) throw new Error(`${key} is not in the README's configuration tables`);
    lines.push(`# ${row.meaning} (default: ${row.defaults})`, `# ${key}=`, "");
  }
  return lines.join("\n");
}

if (process.argv[1]?.endsWith("env-example.ts")) {
  writeFileSync(".env.example", envExample(readFileSync("README.md", "utf8")));
  process.stdout.write(".env.example written\n");
}
