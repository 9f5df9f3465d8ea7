import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { declaredAuth } from "@/lib/http/route";
import { apiRoutes, matchRoute } from "@/server/routes";
import { GENERATED_FILE, routeTableSource } from "@/scripts/generate-routes";

test("the committed route table is the one generated from app/**/route.ts (else: npm run routes)", () => {
  expect(readFileSync(GENERATED_FILE, "utf8")).toBe(routeTableSource());
});

test('the table carries each declared auth, and "own" for a module that checks its callers itself', () => {
  // The generator reads the declarations; a table that ignored them would pass the test above unchanged.
  const table = routeTableSource();
  expect(table).toContain(`{ pattern: "/jwt/custom/generate", auth: { POST: "tokens:issue" }`);
  expect(table).toContain(`{ pattern: "/api/inngest", auth: { GET: "own", POST: "own", PUT: "own" }`);
});

test("each entry's auth is what its handler declares, for exactly the methods its module exports", async () => {
  for (const r of apiRoutes) {
    const mod = (await r.load()) as Record<string, unknown>;
    const methods = Object.keys(mod).filter((k) => /^[A-Z]+$/.test(k));
    expect(methods.sort(), r.pattern).toEqual(Object.keys(r.auth).sort());
    for (const m of methods) {
      const listed = r.auth[m as keyof typeof r.auth];
      // "own": the module builds its handlers itself (by job mode, for /api/inngest), whatever they declare.
      if (listed !== "own") expect(declaredAuth(mod[m]), `${m} ${r.pattern}`).toBe(listed);
    }
  }
});

test("each pattern matches its own paths, literal segments before parameters", () => {
  for (const r of apiRoutes) {
    const sample = r.pattern.replace(/\[(\w+)\]/g, "sample-$1");
    expect(matchRoute(sample)?.entry).toBe(r);
  }
  expect(matchRoute("/jwt/custom/extension-chain/abc")?.params).toEqual({ originalJwtUuid: "abc" });
});
