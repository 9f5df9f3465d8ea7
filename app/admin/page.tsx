import type { Metadata } from "next";
import { Suspense } from "react";
import { IssuedChart } from "@/app/admin/_components/bar-chart";
import { PageTitle, Section, When } from "@/app/admin/_components/ui";
import { requireUser } from "@/lib/auth/current-user";
import { HEALTH_CHECK_DESCRIPTIONS } from "@/lib/reporting/health";
import { STATS_WINDOWS, STATS_WINDOW_DAYS, type StatsWindow } from "@/lib/reporting/stats-rollup";
import { dashboardStats, statsQuerySchema } from "@/lib/reporting/stats";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Console" };

export default async function AdminPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser("/admin");
  if (user.role !== "admin") return null;
  const asked = statsQuerySchema.safeParse({ days: (await searchParams).days });
  const days = (asked.success ? asked.data.days : undefined) ?? STATS_WINDOW_DAYS;
  return (
    <>
      <PageTitle title="Dashboard">
        <span data-testid="admin-greeting">
          Signed in as administrator {user.name} ({user.subject}).
        </span>
      </PageTitle>
      <nav aria-label="Time range" className="mb-4 flex gap-2 text-sm">
        {STATS_WINDOWS.map((d) => (
          <a
            key={d}
            href={`/admin?days=${d}`}
            aria-current={d === days ? "page" : undefined}
            className={d === days ? "rounded bg-slate-800 px-3 py-1 text-white" : "rounded border border-slate-300 px-3 py-1 text-slate-700 hover:bg-slate-100"}
          >
            {d} days
          </a>
        ))}
      </nav>
      <Suspense
        key={days}
        fallback={
          <p role="status" className="text-slate-600">
            Computing the figures…
          </p>
        }
      >
        <Figures days={days} />
      </Suspense>
    </>
  );
}

const pct = (r: number | null) => (r === null ? "—" : `${(r * 100).toFixed(1)} %`);
const num = (n: number | null) => (n === null ? "—" : n.toLocaleString("en"));

async function Figures({ days }: { days: StatsWindow }) {
  const s = await dashboardStats(undefined, undefined, days);
  const issued = s.issued_per_day.reduce((a, d) => a + d.custom + d.tara, 0);
  return (
    <>
      <dl className="mb-8 grid grid-cols-2 gap-4 md:grid-cols-4">
        {[
          [`Issued (${days} days)`, num(issued)],
          ["Revocation rate", pct(s.revocation.rate)],
          ["Average lifetime", s.average_lifetime_hours.all === null ? "—" : `${s.average_lifetime_hours.all} h`],
          ["Extended chains", num(s.extensions.extended_chains)],
        ].map(([label, value]) => (
          <div key={label} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <dt className="text-xs uppercase tracking-wide text-slate-500">{label}</dt>
            <dd className="mt-1 text-2xl font-semibold tabular-nums">{value}</dd>
          </div>
        ))}
      </dl>

      <Section title="Tokens issued per day" id="issued">
        <IssuedChart data={s.issued_per_day} />
      </Section>

      <div className="grid gap-x-6 md:grid-cols-2">
        <Section title={`Issuance and revocations (last ${days} days)`} id="revocations">
          <dl className="grid grid-cols-2 gap-2 text-sm">
            <dt>Issued</dt>
            <dd className="text-right tabular-nums">{num(s.revocation.issued)}</dd>
            <dt>Revoked</dt>
            <dd className="text-right tabular-nums">{num(s.revocation.revoked - s.revocation.revoked_by_extension)}</dd>
            <dt>Superseded by an extension</dt>
            <dd className="text-right tabular-nums">{num(s.revocation.revoked_by_extension)}</dd>
            <dt>Average lifetime, custom</dt>
            <dd className="text-right tabular-nums">{s.average_lifetime_hours.custom ?? "—"} h</dd>
            <dt>Average lifetime, TARA</dt>
            <dd className="text-right tabular-nums">{s.average_lifetime_hours.tara ?? "—"} h</dd>
          </dl>
          <p className="mt-2 text-xs text-slate-500">
            Revocation rate: revocations made in the {days} days (supersessions included) ÷ tokens issued in them (seed 001).
          </p>
        </Section>
        <Section title="Extension chains" id="extensions">
          <table className="w-full text-sm">
            <thead>
              <tr className="text-left text-slate-500">
                <th>Extensions</th>
                <th className="text-right">Chains</th>
              </tr>
            </thead>
            <tbody>
              {s.extensions.distribution.length === 0 ? (
                <tr>
                  <td colSpan={2} className="py-2 text-slate-500">
                    No tokens in the last {days} days.
                  </td>
                </tr>
              ) : (
                s.extensions.distribution.map((d) => (
                  <tr key={d.extensions}>
                    <td>{d.extensions}</td>
                    <td className="text-right tabular-nums">{num(d.chains)}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </Section>
      </div>

      <Section title="Most used claim combinations" id="claims">
        {s.claim_combinations.length === 0 ? (
          <p className="text-sm text-slate-500">No tokens in the last {days} days.</p>
        ) : (
          <table className="w-full text-sm">
            <thead>
              <tr className="text-left text-slate-500">
                <th>Claim keys</th>
                <th>Kind</th>
                <th className="text-right">Tokens</th>
              </tr>
            </thead>
            <tbody>
              {s.claim_combinations.map((c) => (
                <tr key={`${c.kind}:${c.claim_keys}`} className="border-t border-slate-100">
                  <td className="break-all py-1 font-mono text-xs">{c.claim_keys}</td>
                  <td>{c.kind}</td>
                  <td className="text-right tabular-nums">{num(c.tokens)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>

      <Section title="Health checks" id="health">
        <table className="w-full text-sm" data-testid="health-checks">
          <thead>
            <tr className="text-left text-slate-500">
              <th>Check</th>
              <th className="text-right">Custom</th>
              <th className="text-right">TARA</th>
            </tr>
          </thead>
          <tbody>
            {(Object.keys(HEALTH_CHECK_DESCRIPTIONS) as (keyof typeof HEALTH_CHECK_DESCRIPTIONS)[]).map((check) => (
              <tr key={check} className="border-t border-slate-100">
                <td className="py-1">{HEALTH_CHECK_DESCRIPTIONS[check]}</td>
                {s.health.map((h) => (
                  <td key={h.kind} className={`text-right tabular-nums ${h[check] > 0 ? "font-semibold text-amber-700" : ""}`}>
                    {num(h[check])}
                    {check === "expired_uncleaned" && h.expired_uncleaned_capped ? "+" : ""}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </Section>

      <Section title="Query performance (this instance, last hour)" id="performance">
        <table className="w-full text-sm">
          <thead>
            <tr className="text-left text-slate-500">
              <th>Query</th>
              <th className="text-right">Runs</th>
              <th className="text-right">p50</th>
              <th className="text-right">p95</th>
            </tr>
          </thead>
          <tbody>
            {s.query_performance.map((q) => (
              <tr key={q.query} className="border-t border-slate-100">
                <td className="py-1">{q.query}</td>
                <td className="text-right tabular-nums">{num(q.count)}</td>
                <td className="text-right tabular-nums">{q.p50Ms === null ? "—" : `${q.p50Ms} ms`}</td>
                <td className="text-right tabular-nums">{q.p95Ms === null ? "—" : `${q.p95Ms} ms`}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="mt-2 text-xs text-slate-500">
          Figures computed at <When at={s.generated_at} />. Tokens issued per day, claim combinations and lifetimes of days before {s.live_from} (UTC) come from
          a daily rollup, made an hour after each day ends and recomputed nightly for the last three days: rows written later with an older issue time (or
          archived since) are not reflected there. Later days, revocations, extension chains and health checks are counted on each view.
        </p>
      </Section>
    </>
  );
}
