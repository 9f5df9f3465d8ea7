import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { CONFIG_KEYS } from "@/lib/config/env";
import { envExample, readmeRows } from "@/scripts/env-example";

const readme = readFileSync("README.md", "utf8");

test("every setting TIM reads is in the README's configuration tables, and every setting there is one TIM reads", () => {
  const documented = new Set(readmeRows(readme).flatMap((r) => r.keys));
  expect(CONFIG_KEYS.filter((k) => !documented.has(k))).toEqual([]);
  const tableKeys = readme
    .split("\n")
    .filter((l) => l.startsWith("| `") && /^\| `[A-Z][A-Z0-9_]+`/.test(l))
    .flatMap((l) => [...l.split(" | ")[0].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]));
  expect(tableKeys.filter((k) => !(CONFIG_KEYS as string[]).includes(k))).toEqual([]);
});

test(".env.example is current (npm run env:example)", () => {
  expect(readFileSync(".env.example", "utf8")).toBe(envExample(readme));
});

test("lib/, server/ and app/ read the environment only through lib/config/env.ts", () => {
  const hits = execFileSync("grep", ["-rn", "--include=*.ts", "--include=*.tsx", "process\\.env", "lib", "server", "app"], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l && !l.startsWith("lib/config/env.ts") && !l.startsWith("lib/generated/"));
  expect(hits).toEqual([]);
});
