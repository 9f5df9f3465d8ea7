import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { expect, test } from "vitest";
import { IssuedChart, type DayCount } from "@/app/admin/_components/bar-chart";

const days = (counts: number[]): DayCount[] => counts.map((n, i) => ({ day: `2026-11-${String(i + 1).padStart(2, "0")}`, custom: n, tara: 0 }));

/** The y axis labels of the rendered chart: the text of the tick groups. */
function yTicks(data: DayCount[]): string[] {
  const svg = renderToStaticMarkup(createElement(IssuedChart, { data }));
  return [...svg.matchAll(/text-anchor="end"[^>]*>([^<]+)</g)].map((m) => m[1]);
}

test("the dashboard chart's axis counts in whole tokens, however few were issued (issue 19 §2)", () => {
  expect(yTicks(days([0, 1, 0]))).toEqual(["0", "1"]);
  expect(yTicks(days([2, 1]))).toEqual(["0", "1", "2"]);
  expect(yTicks(days([0, 0]))).toEqual(["0", "1"]);
  expect(yTicks(days([250, 3])).every((t) => Number.isInteger(Number(t)))).toBe(true);
});
