import { expect, test } from "vitest";
import { runIsolating } from "@/lib/db/batcher";

// The isolation mechanism itself (the database-backed tests are in test/tokens/group-isolation.test.ts).
const refused = Object.assign(new Error("refused"), { code: "22P05" });
const down = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });

function runner(bad: Set<number>, error: Error) {
  const runs: number[][] = [];
  const run = async (items: number[]) => {
    runs.push(items);
    if (items.some((i) => bad.has(i))) throw error;
    return items.map((i) => i * 10);
  };
  return { run, runs };
}

test("one refused item among 64: only it fails, the others commit, in about 2·log2(64) extra runs", async () => {
  const { run, runs } = runner(new Set([37]), refused);
  const items = Array.from({ length: 64 }, (_, i) => i);
  const settled = await runIsolating(items, run);
  for (const [i, s] of settled.entries()) expect(s).toEqual(i === 37 ? { status: "rejected", reason: refused } : { status: "fulfilled", value: i * 10 });
  expect(runs.length).toBeLessThanOrEqual(1 + 2 * 6);
});

test("several refused items each fail alone, every other item commits", async () => {
  const bad = new Set([0, 5, 6, 31]);
  const { run } = runner(bad, refused);
  const settled = await runIsolating(
    Array.from({ length: 32 }, (_, i) => i),
    run,
  );
  expect(settled.filter((s) => s.status === "rejected").length).toBe(4);
  for (const [i, s] of settled.entries()) expect(s.status).toBe(bad.has(i) ? "rejected" : "fulfilled");
});

test("a failure that is not the data's (database down) fails the whole batch at once, without re-runs", async () => {
  const { run, runs } = runner(new Set([3]), down);
  const settled = await runIsolating(
    Array.from({ length: 8 }, (_, i) => i),
    run,
  );
  for (const s of settled) expect(s).toEqual({ status: "rejected", reason: down });
  expect(runs).toHaveLength(1);
});
