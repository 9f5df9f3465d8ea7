import { scaleBand, scaleLinear } from "d3-scale";

export type DayCount = { day: string; custom: number; tara: number };

/** The console's token search for the tokens issued on `day` (UTC; the search takes a date's end as its last instant). */
export const tokensOfDay = (day: string) => `/admin/tokens?${new URLSearchParams({ issued_from: day, issued_to: day })}`;

/** Tokens issued per day as a stacked SVG bar chart (server-rendered; a group of links, one per day, so not role="img", which would hide them), with the numbers in a table for screen readers. */
export function IssuedChart({ data }: { data: DayCount[] }) {
  const width = 720;
  const height = 220;
  const margin = { top: 10, right: 10, bottom: 28, left: 44 };
  const max = Math.max(1, ...data.map((d) => d.custom + d.tara));
  const x = scaleBand<string>()
    .domain(data.map((d) => d.day))
    .range([margin.left, width - margin.right])
    .padding(0.2);
  const y = scaleLinear()
    .domain([0, max])
    .nice()
    .range([height - margin.bottom, margin.top]);
  // Counts: integer ticks only (a day with one token must not get an axis of 0.2 steps).
  const ticks = y.ticks(Math.min(4, max)).filter(Number.isInteger);
  return (
    <figure>
      <svg viewBox={`0 0 ${width} ${height}`} role="group" aria-labelledby="issued-chart-title" className="h-auto w-full" data-testid="issued-chart">
        <title id="issued-chart-title">Tokens issued per day over the last {data.length} days</title>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={margin.left} x2={width - margin.right} y1={y(t)} y2={y(t)} className="stroke-slate-200" />
            <text x={margin.left - 6} y={y(t)} dy="0.32em" textAnchor="end" className="fill-slate-500 text-[10px]">
              {t}
            </text>
          </g>
        ))}
        {data.map((d, i) => (
          <a key={d.day} href={tokensOfDay(d.day)} aria-label={`${d.day}: ${d.custom} custom, ${d.tara} TARA — show these tokens`}>
            <rect x={x(d.day)} width={x.bandwidth()} y={y(d.custom)} height={y(0) - y(d.custom)} className="fill-sky-600">
              <title>{`${d.day}: ${d.custom} custom`}</title>
            </rect>
            <rect x={x(d.day)} width={x.bandwidth()} y={y(d.custom + d.tara)} height={y(d.custom) - y(d.custom + d.tara)} className="fill-amber-500">
              <title>{`${d.day}: ${d.tara} TARA`}</title>
            </rect>
            {i % 5 === 0 || i === data.length - 1 ? (
              <text x={(x(d.day) ?? 0) + x.bandwidth() / 2} y={height - 10} textAnchor="middle" className="fill-slate-500 text-[10px]">
                {d.day.slice(5)}
              </text>
            ) : null}
            {/* the whole day's column answers a click, also where its bars are short */}
            <rect
              x={x(d.day)}
              width={x.bandwidth()}
              y={margin.top}
              height={height - margin.bottom - margin.top}
              className="fill-transparent hover:fill-slate-900/5"
            />
          </a>
        ))}
      </svg>
      <figcaption className="mt-2 flex gap-4 text-xs text-slate-600">
        <span>
          <span className="mr-1 inline-block h-2 w-3 bg-sky-600" aria-hidden />
          custom
        </span>
        <span>
          <span className="mr-1 inline-block h-2 w-3 bg-amber-500" aria-hidden />
          TARA
        </span>
      </figcaption>
      <details className="mt-2 text-sm">
        <summary className="cursor-pointer text-slate-600">Table of the figures</summary>
        <table className="mt-2 text-xs">
          <thead>
            <tr>
              <th className="pr-4 text-left">Day (UTC)</th>
              <th className="pr-4 text-right">Custom</th>
              <th className="text-right">TARA</th>
            </tr>
          </thead>
          <tbody>
            {data.map((d) => (
              <tr key={d.day}>
                <td className="pr-4">
                  <a href={tokensOfDay(d.day)} className="underline">
                    {d.day}
                  </a>
                </td>
                <td className="pr-4 text-right">{d.custom}</td>
                <td className="text-right">{d.tara}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
