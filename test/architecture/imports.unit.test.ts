import { expect, test } from "vitest";
import { cycles, importGraph, importsOf } from "@/test/architecture/import-graph";

// The layers: app/, server/ and scripts/ use lib/, never the other way; the Inngest provider is
// lib/jobs/inngest/ (built from lib/jobs/registry.ts), so there is no top-level inngest/ any more.
const graph = importGraph();

test("the import graph of lib/, app/, server/ and scripts/ has no cycle", () => {
  expect(graph.size).toBeGreaterThan(100);
  expect(cycles(graph)).toEqual([]);
});

test("lib/ never imports app/, inngest/ or server/", () => {
  const crossings = [...graph].flatMap(([from, targets]) =>
    from.startsWith("lib/") ? [...targets].filter((t) => /^(app|inngest|server)\//.test(t)).map((t) => `${from} -> ${t}`) : [],
  );
  expect(crossings).toEqual([]);
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
    "const later = () => import(\"@/lib/jobs/registry\");",
    '// import { x } from "@/lib/jobs/send";',
    'import {\n  jobMode,\n} from "../mode";',
  ].join("\n");
  expect([...importsOf("lib/jobs/runner/x.ts", source)].sort()).toEqual([
    "lib/db/client.ts",
    "lib/jobs/events.ts",
    "lib/jobs/mode.ts",
    "lib/jobs/registry.ts",
  ]);
});
