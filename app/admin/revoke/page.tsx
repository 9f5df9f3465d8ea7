import type { Metadata } from "next";
import Link from "next/link";
import { ActionForm } from "@/app/admin/_components/action-form";
import { AutoRefresh } from "@/app/admin/_components/auto-refresh";
import { Empty, Field, JobRunCells, Notice, PageTitle, Section, When, dangerButtonClass, errorMessage, inputClass } from "@/app/admin/_components/ui";
import { revokeByQueryAction, revokeListedAction } from "@/app/admin/revoke/actions";
import { TokenFilterForm } from "@/app/admin/tokens/filter-form";
import { QUERY_FIELDS, previewRevocationByQuery, type RevocationPreview } from "@/lib/admin/revoke-query";
import { requireUser } from "@/lib/auth/current-user";
import { auditEvent } from "@/lib/audit/search";
import { getJobRun, listJobRuns } from "@/lib/jobs/runs";
import { parseTokenQuery } from "@/lib/reporting/filters";

export const dynamic = "force-dynamic";
/** The filter form offers revocation by query the filters it takes. */
const REVOCATION_FIELDS: ReadonlySet<string> = new Set(QUERY_FIELDS);

export const metadata: Metadata = { title: "Revoke tokens" };

type Search = Record<string, string | string[] | undefined>;

export default async function RevokePage({ searchParams }: { searchParams: Promise<Search> }) {
  const user = await requireUser("/admin/revoke");
  if (user.role !== "admin") return null;
  const raw = await searchParams;
  const values = Object.fromEntries(
    Object.entries(raw).flatMap(([k, v]) => (typeof v === "string" && v !== "" ? [[k, v]] : Array.isArray(v) && v[0] ? [[k, v[0]]] : [])),
  ) as Record<string, string>;
  const { preview: wantsPreview, revoked_by_event: revokedByEvent, revoking_run: revokingRun, ...queryValues } = values;

  let preview: RevocationPreview | undefined;
  let problem: string | undefined;
  if (wantsPreview) {
    try {
      preview = await previewRevocationByQuery(parseTokenQuery(queryValues).filters);
    } catch (err) {
      problem = errorMessage(err);
    }
  }
  const jobs = await listJobRuns({ job: "mass_revocation", limit: 5 });
  const running = (status: string) => status === "queued" || status === "running";
  // The outcome of the revocation just confirmed, as recorded (the URL only names the record).
  const done = revokedByEvent ? await auditEvent(revokedByEvent) : undefined;
  const doneEvent = done?.action === "tokens.revoke_by_query" ? done : undefined;
  const run = revokingRun ? await getJobRun(revokingRun) : undefined;
  const queued = run?.job === "mass_revocation" ? run : undefined;

  return (
    <>
      <PageTitle title="Revoke tokens">Revoked tokens fail validation at once. Every revocation is recorded in the audit log with its reason.</PageTitle>

      <div className="grid gap-x-6 lg:grid-cols-2">
        <Section title="One token" id="revoke-one">
          <ActionForm
            action={revokeListedAction}
            submitLabel="Revoke token"
            submitClassName={dangerButtonClass}
            testId="revoke-one"
            confirm={{
              title: "Revoke this token?",
              body: "It fails validation and introspection on every instance at once. A revocation cannot be undone.",
              confirmLabel: "Revoke token",
            }}
          >
            <Field label="Token id (jti) or the whole token" htmlFor="one-entry">
              <input id="one-entry" name="entries" required className={`${inputClass} font-mono`} autoComplete="off" />
            </Field>
            <Field label="Reason" htmlFor="one-reason">
              <input id="one-reason" name="reason" required minLength={3} maxLength={500} className={inputClass} />
            </Field>
          </ActionForm>
        </Section>

        <Section title="A list of tokens" id="revoke-list">
          <ActionForm
            action={revokeListedAction}
            submitLabel="Revoke listed tokens"
            submitClassName={dangerButtonClass}
            testId="revoke-list"
            confirm={{
              title: "Revoke every listed token?",
              body: "Each listed token that is still active fails validation and introspection on every instance at once; the outcome lists each entry. Revocations cannot be undone.",
              confirmLabel: "Revoke listed tokens",
            }}
          >
            <Field label="Token ids (jti) or tokens, one per line" htmlFor="list-entries" hint="Up to 1,000 entries; duplicates count once.">
              <textarea id="list-entries" name="entries" required rows={5} className={`${inputClass} font-mono`} />
            </Field>
            <Field label="Reason" htmlFor="list-reason">
              <input id="list-reason" name="reason" required minLength={3} maxLength={500} className={inputClass} />
            </Field>
          </ActionForm>
        </Section>
      </div>

      <Section title="Emergency revocation by query" id="revoke-query">
        <p className="mb-4 text-sm text-slate-600">
          Revokes every <strong>active</strong> token that matches all filters and was issued before you confirm. Already revoked and expired tokens are not
          touched. First preview what matches.
        </p>
        {/* The token search's filters (subject/name matching, address range, audience, …) less status and revocation reason. */}
        <TokenFilterForm values={queryValues} action="/admin/revoke" only={REVOCATION_FIELDS} hidden={{ preview: "1" }} submitLabel="Preview matching tokens" />

        {problem ? (
          <Notice kind="error" testId="revoke-query-error">
            {problem}
          </Notice>
        ) : null}
        {doneEvent ? (
          <Notice kind="success" testId="revoke-query-done">
            {(doneEvent.counts as Record<string, number>).revoked ?? 0} tokens revoked at <When at={doneEvent.at} /> by {doneEvent.actorId}
            {doneEvent.reason ? <> — reason: {doneEvent.reason}</> : null}. The preview below is counted again.
          </Notice>
        ) : null}
        {queued ? (
          <Notice kind={queued.status === "failed" ? "error" : "info"} testId="revoke-query-job">
            Revoking in the background: {queued.progressDone.toLocaleString("en")} of {queued.progressTotal?.toLocaleString("en") ?? "?"} done ({queued.status}
            ).
            {running(queued.status) ? " This page updates until it has finished." : " The preview below is counted again."}
          </Notice>
        ) : null}

        {preview ? (
          <div className="mt-6 border-t border-slate-200 pt-4" data-testid="revoke-preview">
            <p className="text-lg">
              <strong data-testid="revoke-preview-count" className="tabular-nums">
                {preview.matched}
              </strong>{" "}
              active tokens match (as of <When at={preview.at} />
              ).
            </p>
            {preview.sample.length === 0 ? (
              <Empty>Nothing to revoke.</Empty>
            ) : (
              <>
                <h3 className="mt-3 text-sm font-semibold">Sample</h3>
                <ul className="mt-1 space-y-1 text-sm">
                  {preview.sample.map((t) => (
                    <li key={t.jwt_uuid} className="flex flex-wrap gap-2">
                      <Link className="font-mono text-xs text-sky-700 underline" href={`/admin/tokens/${t.jwt_uuid}`}>
                        {t.jwt_uuid}
                      </Link>
                      <span>{t.kind}</span>
                      <span>{t.subject ?? "—"}</span>
                      <span>{t.jwt_name ?? ""}</span>
                      {t.client_address ? (
                        <span className="text-slate-600" data-testid="revoke-preview-address">
                          from {t.client_address}
                        </span>
                      ) : null}
                      <span className="text-slate-500">
                        issued <When at={t.issued_at} />
                      </span>
                    </li>
                  ))}
                </ul>
                <ActionForm
                  action={revokeByQueryAction}
                  submitLabel="Revoke all matching tokens"
                  submitClassName={dangerButtonClass}
                  testId="revoke-query"
                  className="mt-4 max-w-xl space-y-3"
                >
                  <input type="hidden" name="query" value={new URLSearchParams(queryValues).toString()} />
                  <Field label="Reason" htmlFor="bulk-reason">
                    <input id="bulk-reason" name="reason" required minLength={3} maxLength={500} className={inputClass} />
                  </Field>
                  <Field label={`Type ${preview.matched} to confirm`} htmlFor="bulk-confirm">
                    <input id="bulk-confirm" name="confirm" required inputMode="numeric" autoComplete="off" className={inputClass} />
                  </Field>
                </ActionForm>
              </>
            )}
          </div>
        ) : null}
      </Section>

      <Section title="Background revocations" id="revoke-jobs">
        {jobs.length === 0 ? (
          <Empty>No revocation has run in the background yet.</Empty>
        ) : (
          <table className="w-full text-sm">
            <thead>
              <tr className="text-left text-slate-500">
                <th>Started</th>
                <th>By</th>
                <th>Status</th>
                <th className="text-right">Progress</th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((j) => (
                <tr key={j.id} className="border-t border-slate-100">
                  <JobRunCells job={j} />
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {/* While one runs the page re-renders every few seconds: progress, the preview's count and the outcome move. */}
        <AutoRefresh active={jobs.some((j) => running(j.status))} />
      </Section>
    </>
  );
}
