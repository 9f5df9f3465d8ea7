import { expect, test } from "vitest";
import { cycles, importGraph, importsOf } from "@/test/architecture/import-graph";

// The layers: app/, server/ and scripts/ use lib/, never the other way; the Inngest provider is
// lib/jobs/inngest/ (built from lib/jobs/registry.ts), so there is no top-level inngest/ any more.
// The TARA stand-in (tara-stand-in/) is a development and test fixture beside them, outside the production graph.
const graph = importGraph();

/** `from -> to` for each import (type-only ones too) from a module matching `from` into one matching `to`. */
function crossings(from: RegExp, to: RegExp): string[] {
  return [...importGraph({ types: true })].flatMap(([source, targets]) =>
    from.test(source) ? [...targets].filter((t) => to.test(t)).map((t) => `${source} -> ${t}`) : [],
  );
}

test("the import graph of lib/, app/, server/, scripts/, the stand-in, test/ and bench/ has no cycle", () => {
  expect(graph.size).toBeGreaterThan(100);
  expect(cycles(graph)).toEqual([]);
});

test("lib/ never imports app/, inngest/ or server/", () => {
  expect(crossings(/^lib\//, /^(app|inngest|server)\//)).toEqual([]);
});

test("only server/, scripts/, test/ and bench/ import the TARA stand-in: never lib/ or app/", () => {
  expect(graph.get("server/runtime.ts")).toContain("tara-stand-in/wire.ts");
  expect(crossings(/^(?!(server|scripts|test|bench|tara-stand-in)\/)/, /^tara-stand-in\//)).toEqual([]);
});

test("the cycle check finds a cycle, static or through a dynamic import()", () => {
  const g = new Map([
    ["a.ts", new Set(["b.ts"])],
    ["b.ts", new Set(["c.ts"])],
    ["c.ts", new Set(["a.ts"])],
    ["d.ts", new Set(["a.ts"])],
  ]);
  expect(cycles(g)).toEqual([["a.ts", "b.ts", "c.ts"]]);
});

test("static, re-exported and dynamically imported modules are edges; type-only imports are not", () => {
  const source = [
    'import { db } from "@/lib/db/client";',
    'import type { JobStep } from "@/lib/jobs/define";',
    'export { events } from "@/lib/jobs/events";',
    'const later = () => import("@/lib/jobs/registry");',
    '// import { x } from "@/lib/jobs/send";',
    'import {\n  jobMode,\n} from "../mode";',
  ].join("\n");
  expect([...importsOf("lib/jobs/runner/x.ts", source)].sort()).toEqual(["lib/db/client.ts", "lib/jobs/events.ts", "lib/jobs/mode.ts", "lib/jobs/registry.ts"]);
  expect(importsOf("lib/jobs/runner/x.ts", source, { types: true })).toContain("lib/jobs/define.ts");
});
