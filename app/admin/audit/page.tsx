import type { Metadata } from "next";
import Link from "next/link";
import { Suspense } from "react";
import {
  Empty,
  Field,
  Notice,
  PageTitle,
  ScrollRegion,
  Section,
  When,
  buttonClass,
  errorMessage,
  inputClass,
  secondaryButtonClass,
} from "@/app/admin/_components/ui";
import { StackedCell, StackedRow, StackedTable } from "@/app/admin/_components/stacked-table";
import { ACTOR_LABELS, actionLabel, describeOutcome, describeTarget, type Outcome, type TargetItem } from "@/lib/audit/describe";
import { ACTOR_TYPES } from "@/lib/audit/event";
import { parseAuditQuery, searchAudit, type AuditRow } from "@/lib/audit/search";
import { verifyAuditChain } from "@/lib/audit/verify";
import { requireUser } from "@/lib/auth/current-user";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Audit log" };

type Search = Record<string, string | string[] | undefined>;

const OUTCOME_STYLE: Record<Outcome["kind"], string> = {
  done: "text-slate-800",
  no_change: "text-amber-800",
  partial: "text-amber-800",
  failed: "text-rose-800",
};

/** Where a target item links in the console, if anywhere. */
function targetHref(kind: TargetItem["kind"], value: string): string | undefined {
  if (kind === "token") return `/admin/tokens/${encodeURIComponent(value)}`;
  if (kind === "login") return `/admin/tara-logins/${encodeURIComponent(value)}`;
  if (kind === "person") return `/admin/tokens?subject=${encodeURIComponent(value)}`;
  return undefined;
}

const SHOWN_PER_ITEM = 5;

const AUDIT_COLUMNS = ["#", "When", "Who", "Action", "Target", "Outcome", "Reason", "Request"].map((name) => ({ name }));

/** A row's target as labelled lines; long lists show their first few and say how many more. */
function Target({ target }: { target: unknown }) {
  const items = describeTarget(target);
  if (items.length === 0) return <>—</>;
  return (
    <dl className="space-y-0.5 text-xs">
      {items.map((item) => (
        <div key={item.label}>
          <dt className="inline text-slate-500">{item.label}: </dt>
          <dd className="inline break-all">
            {item.values.slice(0, SHOWN_PER_ITEM).map((v, i) => {
              const href = targetHref(item.kind, v);
              return (
                // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list rendered once on the server; values may repeat
                <span key={`${i}-${v}`}>
                  {i > 0 ? ", " : null}
                  {href ? (
                    <Link className="font-mono text-sky-700 underline" href={href}>
                      {v}
                    </Link>
                  ) : (
                    <span className={item.kind === "text" ? undefined : "font-mono"}>{v}</span>
                  )}
                </span>
              );
            })}
            {item.values.length > SHOWN_PER_ITEM ? <> and {(item.values.length - SHOWN_PER_ITEM).toLocaleString("en")} more</> : null}
          </dd>
        </div>
      ))}
    </dl>
  );
}

async function Verification() {
  const v = await verifyAuditChain();
  return v.ok ? (
    <Notice kind="success" testId="audit-verification">
      Hash chain intact: {v.rows.toLocaleString("en")} entries verified at <When at={v.checkedAt} />; latest hash{" "}
      <code className="break-all">{v.lastHash}</code>.
    </Notice>
  ) : (
    <Notice kind="error" testId="audit-verification">
      HASH CHAIN BROKEN after {v.rows.toLocaleString("en")} intact entries: {v.brokenAt.message}
    </Notice>
  );
}

export default async function AuditPage({ searchParams }: { searchParams: Promise<Search> }) {
  const user = await requireUser("/admin/audit");
  if (user.role !== "admin") return null;
  const params = await searchParams;
  const values = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v[0] : (v ?? "")]));
  let rows: AuditRow[] = [];
  let nextBefore: string | null = null;
  let problem: string | undefined;
  try {
    ({ rows, nextBefore } = await searchAudit(parseAuditQuery(params)));
  } catch (err) {
    problem = errorMessage(err);
  }
  const { before: _before, ...filters } = values;
  return (
    <>
      <PageTitle title="Audit log">
        Every change by API clients, administrators, jobs and end users; insert-only and hash-chained. Single revocations and extensions through the token API
        and TARA logouts are appended by the audit-fold job about a minute later, dated when they happened, so # order and time order can differ.
      </PageTitle>
      <Suspense
        fallback={
          <p role="status" className="text-slate-600">
            Verifying the hash chain…
          </p>
        }
      >
        <Verification />
      </Suspense>
      <Section title="Filters" id="audit-filters">
        <form method="get" action="/admin/audit" className="grid grid-cols-1 gap-4 sm:grid-cols-3 lg:grid-cols-6">
          <Field label="Actor type" htmlFor="a-type">
            <select id="a-type" name="actor_type" defaultValue={values.actor_type ?? ""} className={inputClass}>
              <option value="">Any</option>
              {ACTOR_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Actor" htmlFor="a-actor">
            <input id="a-actor" name="actor" defaultValue={values.actor} className={inputClass} />
          </Field>
          <Field label="Action" htmlFor="a-action" hint="e.g. tokens.revoke or tokens.">
            <input id="a-action" name="action" defaultValue={values.action} className={inputClass} />
          </Field>
          <Field label="Token (jti)" htmlFor="a-jti">
            <input id="a-jti" name="jwt_uuid" defaultValue={values.jwt_uuid} className={inputClass} />
          </Field>
          <Field label="From" htmlFor="a-from" hint="YYYY-MM-DD">
            <input id="a-from" name="from" defaultValue={values.from} className={inputClass} />
          </Field>
          <Field label="To" htmlFor="a-to" hint="YYYY-MM-DD">
            <input id="a-to" name="to" defaultValue={values.to} className={inputClass} />
          </Field>
          <div className="flex items-end gap-2 sm:col-span-3 lg:col-span-6">
            <button type="submit" className={buttonClass}>
              Filter
            </button>
            <a href="/admin/audit" className={secondaryButtonClass}>
              Clear
            </a>
          </div>
        </form>
      </Section>
      <Section title="Export" id="audit-export">
        <form method="get" action="/admin/audit/export" className="flex flex-wrap items-end gap-4">
          <Field label="From" htmlFor="x-from" hint="YYYY-MM-DD, empty: the start">
            <input id="x-from" name="from" defaultValue={values.from} className={inputClass} />
          </Field>
          <Field label="To" htmlFor="x-to" hint="YYYY-MM-DD, empty: now">
            <input id="x-to" name="to" defaultValue={values.to} className={inputClass} />
          </Field>
          <label className="flex items-center gap-2 text-sm">
            <input type="hidden" name="protocol_log" value="0" />
            <input type="checkbox" name="protocol_log" value="1" defaultChecked /> With TARA&apos;s protocol log (personal data)
          </label>
          <button type="submit" className={buttonClass} data-testid="audit-export">
            Download (JSON Lines)
          </button>
        </form>
        <p className="mt-2 text-sm text-slate-600">
          Every entry with its hashes, so <code>npm run audit:verify -- --file &lt;download&gt;</code> re-checks the chain away from TIM; the download is itself
          recorded here.
        </p>
      </Section>
      {problem ? <Notice kind="error">{problem}</Notice> : null}
      <Section title="Entries" id="audit-entries">
        {rows.length === 0 ? (
          <Empty>No audit entry matches.</Empty>
        ) : (
          <ScrollRegion label="Audit entries">
            <StackedTable columns={AUDIT_COLUMNS} className="sm:min-w-[900px]" testId="audit-table">
              {rows.map((r) => {
                const outcome = describeOutcome(r.counts);
                return (
                  <StackedRow key={r.id} className="align-top" data-testid="audit-row" data-action={r.action} data-outcome={outcome.kind}>
                    <StackedCell label="#" className="tabular-nums">
                      {r.seq}
                    </StackedCell>
                    <StackedCell label="When">
                      <When at={r.at} />
                    </StackedCell>
                    <StackedCell label="Who" className="break-all">
                      <span className="text-xs text-slate-500">{ACTOR_LABELS[r.actorType] ?? r.actorType}</span>
                      <span className="font-mono text-xs sm:block"> {r.actorId}</span>
                      {r.sourceAddress ? (
                        <span className="block text-xs text-slate-500" data-testid="audit-address">
                          from {r.sourceAddress}
                        </span>
                      ) : null}
                    </StackedCell>
                    <StackedCell label="Action">
                      {actionLabel(r.action)}
                      <span className="block font-mono text-xs text-slate-500">{r.action}</span>
                    </StackedCell>
                    <StackedCell label="Target" className="sm:max-w-xs">
                      <Target target={r.target} />
                    </StackedCell>
                    <StackedCell label="Outcome" className={`text-xs sm:max-w-[14rem] ${OUTCOME_STYLE[outcome.kind]}`}>
                      <span data-testid="audit-outcome">{outcome.text}</span>
                    </StackedCell>
                    <StackedCell label="Reason" className="break-all sm:max-w-xs">
                      {r.reason ?? "—"}
                    </StackedCell>
                    <StackedCell label="Request" className="break-all text-xs">
                      <span data-testid="audit-request">{r.requestId ?? "—"}</span>
                    </StackedCell>
                  </StackedRow>
                );
              })}
            </StackedTable>
          </ScrollRegion>
        )}
        {nextBefore ? (
          <Link className="mt-3 inline-block text-sm text-sky-700 underline" href={`/admin/audit?${new URLSearchParams({ ...filters, before: nextBefore })}`}>
            Older entries →
          </Link>
        ) : null}
      </Section>
    </>
  );
}
