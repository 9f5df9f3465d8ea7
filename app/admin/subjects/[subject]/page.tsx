import type { Metadata } from "next";
import Link from "next/link";
import { ActionForm } from "@/app/admin/_components/action-form";
import { Badge, Empty, Field, Notice, PageTitle, ScrollRegion, Section, When, dangerButtonClass, errorMessage, inputClass } from "@/app/admin/_components/ui";
import { logoutEverywhereAction } from "@/app/admin/subjects/actions";
import { SubjectLookup } from "@/app/admin/subjects/subject-lookup";
import { requireUser } from "@/lib/auth/current-user";
import { parseSubject, recentSubjectTokens, subjectStatistics, type SubjectCounts } from "@/lib/reporting/subject";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Subject" };

const plural = (n: number, one: string, many: string) => `${n.toLocaleString("en")} ${n === 1 ? one : many}`;

/** The counted statuses, in column order: the header and every row take them from here. */
const COUNT_COLUMNS = [
  ["Active", "active"],
  ["Revoked", "revoked"],
  ["Superseded", "superseded"],
  ["Expired", "expired"],
  ["Total", "total"],
] as const satisfies readonly (readonly [string, keyof SubjectCounts])[];

function CountsRow({ label, c }: { label: string; c: SubjectCounts }) {
  return (
    <tr className="border-t border-slate-100">
      <th scope="row" className="py-1 pr-4 text-left font-medium">
        {label}
      </th>
      {COUNT_COLUMNS.map(([name, key]) => (
        <td key={name} className="text-right tabular-nums" data-testid={key === "active" ? `${label}-active` : undefined}>
          {c[key]}
        </td>
      ))}
      <td className="pl-4">
        <When at={c.last_used_at} />
      </td>
    </tr>
  );
}

/** One subject: its statistics, its recent tokens and "log out everywhere" (issue 17). */
export default async function SubjectPage({ params }: { params: Promise<{ subject: string }> }) {
  const raw = decodeURIComponent((await params).subject);
  const user = await requireUser(`/admin/subjects/${encodeURIComponent(raw)}`);
  if (user.role !== "admin") return null;
  let subject: string;
  try {
    subject = parseSubject(raw);
  } catch (err) {
    return <Notice kind="error">{errorMessage(err)}</Notice>;
  }
  const [stats, tokens] = await Promise.all([subjectStatistics(subject), recentSubjectTokens(subject)]);
  const active = stats.kinds;
  const ending = (
    <>
      This revokes {plural(active.custom.active, "active custom token", "active custom tokens")} (of every API client) and ends{" "}
      {plural(active.tara.active, "TARA session", "TARA sessions")} of <strong className="break-all">{subject}</strong>, now; it cannot be undone.
    </>
  );

  return (
    <>
      <PageTitle title={`Subject ${subject}`}>Tokens issued for this subject (custom tokens by API clients, TARA sessions of a person).</PageTitle>
      <SubjectLookup current={subject} />

      <Section title="Statistics" id="statistics">
        <ScrollRegion label="Statistics per token kind">
          <table className="w-full min-w-[36rem] text-sm" data-testid="subject-statistics">
            <thead>
              <tr className="text-left text-slate-500">
                <th scope="col" className="py-1 font-medium">
                  Kind
                </th>
                {COUNT_COLUMNS.map(([name]) => (
                  <th key={name} scope="col" className="text-right font-medium">
                    {name}
                  </th>
                ))}
                <th scope="col" className="pl-4 font-medium">
                  Last used
                </th>
              </tr>
            </thead>
            <tbody>
              <CountsRow label="custom" c={stats.kinds.custom} />
              <CountsRow label="tara" c={stats.kinds.tara} />
              <CountsRow label="all" c={stats.all} />
            </tbody>
          </table>
        </ScrollRegion>
        <p className="mt-2 text-xs text-slate-600">
          Superseded: replaced by an extension (not a revocation). Distinct client addresses: {stats.all.distinct_addresses} (tokens issued before TIM recorded
          addresses have none).
        </p>
      </Section>

      <Section title="Recent tokens" id="recent-tokens">
        {tokens.length === 0 ? (
          <Empty>No token names this subject.</Empty>
        ) : (
          <ScrollRegion label="Recent tokens of this subject">
            <table className="w-full min-w-[40rem] text-sm" data-testid="subject-tokens">
              <thead>
                <tr className="text-left text-slate-500">
                  <th scope="col" className="py-1 font-medium">
                    Token
                  </th>
                  <th scope="col" className="font-medium">
                    Kind
                  </th>
                  <th scope="col" className="font-medium">
                    Status
                  </th>
                  <th scope="col" className="font-medium">
                    API client
                  </th>
                  <th scope="col" className="font-medium">
                    Issued
                  </th>
                  <th scope="col" className="font-medium">
                    Expires
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((t) => (
                  <tr key={`${t.kind}:${t.jwtUuid}`} className="border-t border-slate-100">
                    <td className="py-1 pr-2">
                      <Link className="font-mono text-xs text-sky-700 underline" href={`/admin/tokens/${t.jwtUuid}`}>
                        {t.jwtName ? `${t.jwtName} · ` : ""}
                        {t.jwtUuid.slice(0, 8)}…
                      </Link>
                    </td>
                    <td>{t.kind}</td>
                    <td>
                      <Badge value={t.status} />
                      {t.revocationReason && t.status === "revoked" ? <span className="ml-1 text-xs text-slate-600">{t.revocationReason}</span> : null}
                    </td>
                    <td className="break-all text-xs">{t.clientId ?? "—"}</td>
                    <td>
                      <When at={t.issuedAt} />
                    </td>
                    <td>
                      <When at={t.expiresAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        )}
      </Section>

      <Section title="Log out everywhere" id="logout-everywhere">
        {stats.all.active === 0 ? (
          <Empty>This subject has no active token or session: there is nothing to end.</Empty>
        ) : (
          <ActionForm
            action={logoutEverywhereAction}
            submitLabel="Log out everywhere"
            submitClassName={dangerButtonClass}
            testId="logout-everywhere"
            className="grid max-w-2xl gap-3"
            confirm={{ title: `Log ${subject} out everywhere?`, body: <>{ending}</>, confirmLabel: "Log out everywhere" }}
          >
            <p className="text-sm" data-testid="logout-everywhere-summary">
              {ending} Whoever holds them must sign in or be issued a token again; resource servers learn of it through the denylist and Shared Signals. Expired
              and revoked tokens stay as they are. It is recorded in the audit log with your reason.
            </p>
            <input type="hidden" name="subject" value={subject} />
            <Field label="Reason" htmlFor="logout-reason" hint="At least 3 characters; stored with each revocation and in the audit log.">
              <input id="logout-reason" name="reason" required minLength={3} maxLength={500} className={inputClass} />
            </Field>
          </ActionForm>
        )}
      </Section>
    </>
  );
}
