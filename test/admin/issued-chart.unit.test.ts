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

test("each day of the chart, and of its table, links to the console's search for that day's tokens", () => {
  const svg = renderToStaticMarkup(createElement(IssuedChart, { data: days([3, 0]) }));
  for (const day of ["2026-11-01", "2026-11-02"]) {
    const href = `/admin/tokens?issued_from=${day}&amp;issued_to=${day}`;
    expect(svg.split(href).length - 1, day).toBe(2);
  }
  expect(svg).toContain('aria-label="2026-11-01: 3 custom, 0 TARA — show these tokens"');
});
