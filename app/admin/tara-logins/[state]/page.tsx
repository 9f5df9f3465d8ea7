import type { Metadata } from "next";
import { decodeJwt } from "jose";
import { Empty, Notice, PageTitle, Section, When, errorMessage, secondaryButtonClass } from "@/app/admin/_components/ui";
import { administratorActor } from "@/lib/audit/actors";
import { requireUser } from "@/lib/auth/current-user";
import { readProtocolLog } from "@/lib/tara/protocol-log";
import type { TaraProtocolLog } from "@/lib/generated/prisma/client";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "TARA login" };

const TITLES: Record<string, string> = {
  authentication_request: "Authentication request (TIM → TARA, via the browser)",
  redirect_request: "Redirect request (TARA → TIM, via the browser)",
  token_response: "Token response (TARA → TIM)",
};

/** The ID token's claims for reading (the raw token is shown too; the signature was checked, or not, at the time). */
function claimsOf(idToken: string): string {
  try {
    return JSON.stringify(decodeJwt(idToken), null, 2);
  } catch {
    return "(not a decodable JWT)";
  }
}

/** One login's TARA protocol log (TARA spec §5.3); opening it is recorded in the audit trail. */
export default async function TaraLoginPage({ params }: { params: Promise<{ state: string }> }) {
  const { state } = await params;
  const user = await requireUser(`/admin/tara-logins/${encodeURIComponent(state)}`);
  if (user.role !== "admin") return null;
  let rows: TaraProtocolLog[];
  try {
    rows = await readProtocolLog(state, administratorActor(user.subject));
  } catch (err) {
    return <Notice kind="error">{errorMessage(err)}</Notice>;
  }
  return (
    <>
      <PageTitle title="TARA login">
        <span className="font-mono text-xs">{state}</span>
      </PageTitle>
      <Notice kind="info" testId="protocol-log-audited">
        The protocol log holds personal data. This reading is recorded in the audit trail.
      </Notice>
      {rows.length > 0 ? (
        <p>
          <a href={`/admin/tara-logins/${encodeURIComponent(state)}/export`} className={secondaryButtonClass} download data-testid="protocol-log-download">
            Download these messages (JSON, for RIA&apos;s support)
          </a>
        </p>
      ) : null}
      {rows.length === 0 ? (
        <Empty>No protocol log is kept for this login (unknown, or removed by retention).</Empty>
      ) : (
        rows.map((r) => (
          <Section key={r.id} title={TITLES[r.message] ?? r.message}>
            <div data-testid="protocol-message" data-message={r.message} className="space-y-2 text-sm">
              <p>
                <When at={r.at} />
                {r.httpStatus !== null ? <> · HTTP {r.httpStatus}</> : null}
                {r.verified !== null ? <> · ID token {r.verified ? "accepted" : "refused"}</> : null}
                {r.error ? (
                  <>
                    {" "}
                    · error: <code>{r.error}</code>
                  </>
                ) : null}
              </p>
              {r.url ? (
                <p className="break-all font-mono text-xs" data-testid="protocol-url">
                  {r.url}
                </p>
              ) : null}
              {r.idToken ? (
                <>
                  <p className="break-all font-mono text-xs" data-testid="protocol-id-token">
                    {r.idToken}
                  </p>
                  <pre className="whitespace-pre-wrap break-all rounded bg-slate-900 p-3 text-xs text-slate-100">{claimsOf(r.idToken)}</pre>
                </>
              ) : null}
            </div>
          </Section>
        ))
      )}
    </>
  );
}
