import { readdirSync } from "node:fs";
import path from "node:path";
import { expect, test } from "vitest";
import { apiRoutes, matchRoute, nextOnlyRoutes } from "@/server/routes";

function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return routeFiles(full);
    return e.name === "route.ts" ? [full] : [];
  });
}

test("every route handler under app/ is served by the API route table or explicitly by Next", () => {
  const files = routeFiles("app").sort();
  const listed = new Set([...apiRoutes.map((r) => r.file), ...nextOnlyRoutes]);
  expect(files.filter((f) => !listed.has(f))).toEqual([]);
  expect([...listed].filter((f) => !files.includes(f))).toEqual([]);
});

test("each table entry's pattern is the path of its file", () => {
  for (const r of apiRoutes) {
    expect(`app${r.pattern}/route.ts`).toBe(r.file);
    const sample = r.pattern.replace(/\[(\w+)\]/g, "sample-$1");
    expect(matchRoute(sample)?.entry).toBe(r);
  }
});

test("route modules load and export only HTTP methods", async () => {
  for (const r of apiRoutes) {
    const mod = await r.load();
    const exported = Object.keys(mod).filter((k) => /^[A-Z]+$/.test(k));
    expect(exported.length, r.file).toBeGreaterThan(0);
  }
});
