import type { Metadata } from "next";
import Link from "next/link";
import { Suspense } from "react";
import { BackgroundExports } from "@/app/admin/exports/background-exports";
import { TokenFilterForm } from "@/app/admin/tokens/filter-form";
import { Badge, Empty, Field, Notice, PageTitle, ScrollRegion, Section, When, errorMessage, inputClass } from "@/app/admin/_components/ui";
import { requireUser } from "@/lib/auth/current-user";
import { countTokensBounded } from "@/lib/reporting/count";
import { parseTokenQuery, type TokenFilters } from "@/lib/reporting/filters";
import { searchTokens, type TokenPage } from "@/lib/reporting/search";
import { describeOrigin } from "@/lib/tokens/origin-describe";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Tokens" };

type Search = Record<string, string | string[] | undefined>;

function flat(params: Search): Record<string, string> {
  return Object.fromEntries(
    Object.entries(params)
      .flatMap(([k, v]) => (v === undefined ? [] : [[k, Array.isArray(v) ? v[0] : v]]))
      .filter(([, v]) => v !== ""),
  );
}

function href(values: Record<string, string>, changes: Record<string, string | undefined>): string {
  const next = { ...values, ...changes };
  const qs = new URLSearchParams(Object.entries(next).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ""));
  return `/admin/tokens${qs.size ? `?${qs}` : ""}`;
}

const n = (v: number) => v.toLocaleString("en");

/**
 * Where the page is ("51–100 of about 1,234"); the total streams in after the page: counting a broad filter
 * takes longer than finding a page of it. `from`: the page's first row's position (1-based).
 */
async function Total({ filters, from, shown }: { filters: TokenFilters; from: number; shown: number }) {
  const total = await countTokensBounded(filters);
  const range = shown === 0 ? "" : `${n(from)}–${n(from + shown - 1)} of `;
  if (!total.estimated)
    return (
      <strong className="tabular-nums">
        {range}
        {n(total.value)}
      </strong>
    );
  return (
    <strong className="tabular-nums" title="An estimate from table statistics: exact counts stop at 10,000 matches to keep this page fast.">
      {range}about {n(total.value)} (estimate)
    </strong>
  );
}

/** The page's position from the URL (`from`, kept by the paging links; a bookmarked page without it counts from 1). */
function positionOf(values: Record<string, string>): number {
  const from = Number(values.from);
  return Number.isInteger(from) && from >= 1 ? from : 1;
}

/** The address (named for private ranges) and the client read from the User-Agent, whole value on hover. */
function OriginCell({ address, userAgent }: { address: string | null; userAgent: string | null }) {
  if (!address && !userAgent) return <>—</>;
  const o = describeOrigin({ clientAddress: address, userAgent });
  return (
    <span title={userAgent ?? undefined}>
      {o.address ?? "—"}
      {o.network ? <span className="text-xs text-slate-500"> ({o.network})</span> : null}
      {o.device ? <span className="block text-xs text-slate-600">{o.device}</span> : null}
    </span>
  );
}

export default async function TokensPage({ searchParams }: { searchParams: Promise<Search> }) {
  const user = await requireUser("/admin/tokens");
  if (user.role !== "admin") return null;
  const values = flat(await searchParams);
  let result: TokenPage | undefined;
  let filters: TokenFilters | undefined;
  let problem: string | undefined;
  try {
    const parsed = parseTokenQuery(values);
    filters = parsed.filters;
    result = await searchTokens(parsed.filters, parsed.page);
  } catch (err) {
    problem = errorMessage(err);
  }
  const filterValues = Object.fromEntries(Object.entries(values).filter(([k]) => !["cursor", "sort", "order", "limit", "from"].includes(k)));
  const from = values.cursor ? positionOf(values) : 1;
  const limit = result?.limit ?? 50;
  const exportHref = (format: string) => `/admin/tokens/export?${new URLSearchParams({ ...filterValues, format })}`;

  return (
    <>
      <PageTitle title="Tokens">Custom and TARA tokens, filtered by the fields below; the filters live in the URL.</PageTitle>
      <Section title="Filters" id="filters">
        <TokenFilterForm
          values={values}
          action="/admin/tokens"
          extra={
            <>
              <Field label="Sort by" htmlFor="f-sort">
                <select id="f-sort" name="sort" defaultValue={values.sort ?? "issued_at"} className={inputClass}>
                  <option value="issued_at">Issue time</option>
                  <option value="expires_at">Expiry time</option>
                </select>
              </Field>
              <Field label="Order" htmlFor="f-order">
                <select id="f-order" name="order" defaultValue={values.order ?? "desc"} className={inputClass}>
                  <option value="desc">Newest first</option>
                  <option value="asc">Oldest first</option>
                </select>
              </Field>
              <Field label="Rows per page" htmlFor="f-limit">
                <select id="f-limit" name="limit" defaultValue={values.limit ?? "50"} className={inputClass}>
                  {["20", "50", "100", "200"].map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              </Field>
            </>
          }
        />
      </Section>

      {problem ? (
        <Notice kind="error" testId="filter-error">
          {problem}
        </Notice>
      ) : null}

      {result ? (
        <Section title="Results" id="results">
          <div className="mb-3 flex flex-wrap items-center gap-3 text-sm">
            <p data-testid="result-total">
              <Suspense fallback={<span className="text-slate-500">Counting…</span>}>
                <Total filters={filters!} from={from} shown={result.items.length} />
              </Suspense>{" "}
              matching tokens
            </p>
            <span className="text-slate-300" aria-hidden>
              |
            </span>
            <span>Export all matching rows:</span>
            <a className="text-sky-700 underline" href={exportHref("csv")} data-testid="export-csv">
              CSV
            </a>
            <a className="text-sky-700 underline" href={exportHref("jsonl")} data-testid="export-jsonl">
              JSON Lines
            </a>
            {filters?.subject && (filters.subject_match ?? "exact") === "exact" ? (
              <>
                <span className="text-slate-300" aria-hidden>
                  |
                </span>
                {/* One person's tokens: their view has the statistics and "log out everywhere". */}
                <Link className="text-sky-700 underline" href={`/admin/subjects/${encodeURIComponent(filters.subject)}`} data-testid="subject-view-link">
                  This subject: statistics and log out everywhere
                </Link>
              </>
            ) : null}
          </div>
          {result.items.length === 0 ? (
            <Empty>No token matches these filters.</Empty>
          ) : (
            <ScrollRegion label="Matching tokens">
              <table className="w-full min-w-[1100px] text-sm" data-testid="token-table">
                <thead>
                  <tr className="border-b border-slate-200 text-left text-slate-500">
                    <th className="py-2 pr-3">Token (jti)</th>
                    <th className="pr-3">Type</th>
                    <th className="pr-3">Name</th>
                    <th className="pr-3">Subject</th>
                    <th className="pr-3">Audience</th>
                    <th className="pr-3">Status</th>
                    <th className="pr-3">Issued</th>
                    <th className="pr-3">Expires</th>
                    <th className="pr-3">Client / method</th>
                    <th>From (address, client)</th>
                  </tr>
                </thead>
                <tbody>
                  {result.items.map((t) => (
                    <tr key={t.jwt_uuid} className="border-b border-slate-100 align-top">
                      <td className="py-1.5 pr-3 font-mono text-xs">
                        <Link href={`/admin/tokens/${t.jwt_uuid}`} className="text-sky-700 underline">
                          {t.jwt_uuid}
                        </Link>
                      </td>
                      <td className="pr-3">{t.kind === "tara" ? "TARA" : "custom"}</td>
                      <td className="pr-3 break-all">{t.jwt_name ?? "—"}</td>
                      <td className="pr-3 break-all">
                        {t.subject ? (
                          <Link className="text-sky-700 underline" href={`/admin/subjects/${encodeURIComponent(t.subject)}`}>
                            {t.subject}
                          </Link>
                        ) : (
                          "—"
                        )}
                      </td>
                      <td className="pr-3 break-all" data-testid="token-audience">
                        {t.audience || "—"}
                      </td>
                      <td className="pr-3">
                        <Badge value={t.status} />
                      </td>
                      <td className="pr-3">
                        <When at={t.issued_at} />
                      </td>
                      <td className="pr-3">
                        <When at={t.expires_at} />
                      </td>
                      <td className="pr-3 break-all">
                        {t.kind === "tara" ? `${t.auth_method ?? "—"} / ${t.level_of_assurance ?? "—"}` : (t.client_id ?? "—")}
                      </td>
                      <td className="break-all" data-testid="token-origin">
                        <OriginCell address={t.client_address} userAgent={t.user_agent} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollRegion>
          )}
          <nav aria-label="Pages" className="mt-4 flex flex-wrap gap-3 text-sm">
            {values.cursor ? (
              <Link href={href(values, { cursor: undefined, from: undefined })} className="text-sky-700 underline" data-testid="first-page">
                « First page
              </Link>
            ) : null}
            {result.prev_cursor ? (
              <Link
                href={href(values, { cursor: result.prev_cursor, from: String(Math.max(1, from - limit)) })}
                className="text-sky-700 underline"
                data-testid="prev-page"
              >
                ← Previous {limit}
              </Link>
            ) : null}
            {result.next_cursor ? (
              <Link
                href={href(values, { cursor: result.next_cursor, from: String(from + result.items.length) })}
                className="text-sky-700 underline"
                data-testid="next-page"
              >
                Next {limit} →
              </Link>
            ) : null}
          </nav>
          <BackgroundExports query={filterValues} />
        </Section>
      ) : null}
    </>
  );
}
