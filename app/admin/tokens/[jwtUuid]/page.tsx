import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { ActionForm } from "@/app/admin/_components/action-form";
import { Badge, Field, Notice, PageTitle, ScrollRegion, Section, When, dangerButtonClass, errorMessage, inputClass } from "@/app/admin/_components/ui";
import { revokeListedAction } from "@/app/admin/revoke/actions";
import { requireUser } from "@/lib/auth/current-user";
import { tokenDetail, type TokenDetail } from "@/lib/reporting/token-detail";
import { describeOrigin } from "@/lib/tokens/origin-describe";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Token" };

/** The metadata row's fields by their names in words; where it came from has its own section. */
const METADATA_LABELS: Record<string, string> = {
  jwtUuid: "Token id (jti)",
  id: "Row id",
  tokenType: "Token type",
  jwtName: "JWT name",
  subject: "Subject",
  audience: "Audience",
  issuer: "Issuer",
  clientId: "API client",
  claimKeys: "Claim names",
  issuedAt: "Issued",
  expiresAt: "Expires",
  createdAt: "Recorded",
  lastUsedAt: "Last used",
  useCount: "Uses",
  supersedes: "Supersedes (row id)",
  originalJwtUuid: "First version",
  sessionId: "TARA session",
  oauthStateId: "TARA login state",
  givenName: "Given name",
  familyName: "Family name",
  authMethod: "Authentication method",
  levelOfAssurance: "Level of assurance",
  email: "E-mail",
  emailVerified: "E-mail verified",
  phoneNumber: "Phone number",
  phoneNumberVerified: "Phone number verified",
  importedFrom: "Imported from",
};
const SHOWN_ELSEWHERE = new Set(["clientAddress", "userAgent"]);
const words = (key: string) => key.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase());

/** Registered JWT claims that are instants (seconds since 1970): shown as dates beside the claims. */
const EPOCH_CLAIMS: Record<string, string> = { iat: "Issued at (iat)", nbf: "Not before (nbf)", exp: "Expires (exp)", auth_time: "Authenticated (auth_time)" };

function claimTimes(claims: unknown): [string, Date][] {
  if (!claims || typeof claims !== "object") return [];
  return Object.entries(EPOCH_CLAIMS).flatMap(([claim, label]) => {
    const v = (claims as Record<string, unknown>)[claim];
    return typeof v === "number" && Number.isFinite(v) ? [[label, new Date(v * 1000)] as [string, Date]] : [];
  });
}

/** The token's origin (client address and User-Agent) in words, with the recorded values. */
function OriginList({ address, userAgent, kind, extended }: { address: string | null; userAgent: string | null; kind: string; extended: boolean }) {
  if (!address && !userAgent) {
    return (
      <p className="text-sm text-slate-600" data-testid="origin-unknown">
        Not recorded (issued before TIM recorded it, imported, or issued outside TIM&apos;s server).
      </p>
    );
  }
  const o = describeOrigin({ clientAddress: address, userAgent });
  const who = extended
    ? "the client that extended it to this version"
    : kind === "tara"
      ? "the person's browser at the TARA login"
      : "the API client that issued it";
  return (
    <dl className="grid grid-cols-[max-content_minmax(0,1fr)] gap-x-4 gap-y-1 text-sm" data-testid="origin">
      <dt className="text-slate-500">Address</dt>
      <dd className="break-all" data-testid="origin-address">
        {o.address ?? "—"}
        {o.network ? <span className="text-slate-500"> ({o.network})</span> : null}
        {o.address ? (
          <>
            {" "}
            ·{" "}
            <Link className="text-sky-700 underline" href={`/admin/tokens?address=${encodeURIComponent(o.address)}`}>
              tokens from this address
            </Link>
          </>
        ) : null}
      </dd>
      <dt className="text-slate-500">Client</dt>
      <dd data-testid="origin-device">
        {o.device ?? "—"}
        {o.platform ? <span className="text-slate-500"> ({o.platform})</span> : null}
      </dd>
      <dt className="text-slate-500">User-Agent</dt>
      <dd className="break-all font-mono text-xs">{userAgent ?? "—"}</dd>
      <dt className="text-slate-500">Recorded from</dt>
      <dd className="text-slate-600">{who}</dd>
    </dl>
  );
}

export default async function TokenPage({ params }: { params: Promise<{ jwtUuid: string }> }) {
  const { jwtUuid } = await params;
  const user = await requireUser(`/admin/tokens/${jwtUuid}`);
  if (user.role !== "admin") return null;
  let detail: TokenDetail | undefined;
  try {
    detail = await tokenDetail(jwtUuid);
  } catch (err) {
    return <Notice kind="error">{errorMessage(err)}</Notice>;
  }
  if (!detail) notFound();
  const { metadata: m, chain } = detail;

  return (
    <>
      <PageTitle title={`Token ${jwtUuid}`}>
        {detail.kind === "tara" ? "TIM TARA JWT" : "Custom JWT"} · <Badge value={detail.status} />
      </PageTitle>

      {typeof m.oauthStateId === "string" ? (
        <p className="mb-4 text-sm">
          <Link className="text-sky-700 underline" href={`/admin/tara-logins/${encodeURIComponent(m.oauthStateId)}`} data-testid="protocol-log-link">
            TARA protocol log of this login
          </Link>
        </p>
      ) : null}

      {detail.revocation ? (
        <Notice kind="info" testId="revocation">
          Revoked at <When at={detail.revocation.at} /> by {detail.revocation.revokedBy ?? "unknown"}
          {detail.revocation.reason ? <> — reason: {detail.revocation.reason}</> : null}.
        </Notice>
      ) : null}

      <Section title="Where it came from" id="origin">
        <OriginList address={m.clientAddress as string | null} userAgent={m.userAgent as string | null} kind={detail.kind} extended={m.supersedes !== null} />
      </Section>

      <div className="grid gap-x-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
        <Section title="Metadata" id="metadata">
          {/* Label and value side by side from 640 px; stacked on a phone, where a label and a date do not fit in a row. */}
          <dl className="grid grid-cols-1 gap-x-4 gap-y-1 text-sm sm:grid-cols-[max-content_minmax(0,1fr)]">
            {Object.entries(m)
              .filter(([k]) => !SHOWN_ELSEWHERE.has(k))
              .map(([k, v]) => (
                <div key={k} className="contents">
                  <dt className="text-slate-500" title={k}>
                    {METADATA_LABELS[k] ?? words(k)}
                  </dt>
                  <dd className="break-all font-mono text-xs" data-field={k}>
                    {v === null || v === undefined ? "—" : v instanceof Date ? <When at={v} /> : typeof v === "boolean" ? v ? "yes" : "no" : String(v)}
                  </dd>
                </div>
              ))}
          </dl>
        </Section>
        <Section title="Claims" id="claims">
          {detail.claims === null && m.importedFrom ? (
            <p className="text-sm text-slate-600" data-testid="claims-not-recorded">
              Not recorded: this token was imported from {m.importedFrom === "tim2" ? "TIM 2.0" : String(m.importedFrom)}, which stored only the claim names (
              {String(m.claimKeys)}), not their values.
            </p>
          ) : (
            <>
              <pre className="whitespace-pre-wrap break-all rounded bg-slate-900 p-3 text-xs text-slate-100">{JSON.stringify(detail.claims, null, 2)}</pre>
              {claimTimes(detail.claims).length ? (
                <dl className="mt-3 grid grid-cols-1 gap-x-4 gap-y-1 text-sm sm:grid-cols-[max-content_minmax(0,1fr)]" data-testid="claim-times">
                  {claimTimes(detail.claims).map(([label, at]) => (
                    <div key={label} className="contents">
                      <dt className="text-slate-500">{label}</dt>
                      <dd>
                        <When at={at} />
                      </dd>
                    </div>
                  ))}
                </dl>
              ) : null}
            </>
          )}
        </Section>
      </div>

      <Section title={`Extension chain · ${chain.extension_count} extension${chain.extension_count === 1 ? "" : "s"}`} id="chain">
        <ol className="relative ml-3 border-l-2 border-slate-200" data-testid="chain-timeline">
          {chain.chain.map((v, i) => {
            const current = v.jwt_uuid === chain.current_jwt_uuid;
            const viewing = v.jwt_uuid === jwtUuid;
            // Green means in use: a current version that was revoked or has expired is not.
            const live = current && v.status === "active";
            return (
              <li
                key={v.id}
                className="mb-6 ml-6"
                data-testid="chain-version"
                data-current={current ? "true" : undefined}
                data-live={live ? "true" : undefined}
              >
                <span
                  className={`absolute -left-[9px] mt-1.5 h-4 w-4 rounded-full border-2 border-white ${live ? "bg-emerald-600" : v.status === "revoked" ? "bg-rose-500" : v.status === "superseded" ? "bg-amber-500" : "bg-slate-400"}`}
                  aria-hidden
                />
                <p className="flex flex-wrap items-center gap-2 text-sm">
                  <strong>{i === 0 ? "Original" : `Extension ${i}`}</strong>
                  <Badge value={v.status} />
                  {current ? <span className={`rounded px-2 py-0.5 text-xs text-white ${live ? "bg-emerald-700" : "bg-slate-600"}`}>current</span> : null}
                  {viewing ? <span className="text-xs text-slate-500">(this page)</span> : null}
                </p>
                <p className="font-mono text-xs">
                  {viewing ? (
                    v.jwt_uuid
                  ) : (
                    <Link className="text-sky-700 underline" href={`/admin/tokens/${v.jwt_uuid}`}>
                      {v.jwt_uuid}
                    </Link>
                  )}
                </p>
                <dl className="mt-1 grid grid-cols-[max-content_minmax(0,1fr)] gap-x-3 text-xs text-slate-600">
                  <dt>issued</dt>
                  <dd>
                    <When at={v.issued_at} />
                  </dd>
                  <dt>expires</dt>
                  <dd>
                    <When at={v.expires_at} />
                  </dd>
                  {v.revoked_at ? (
                    <>
                      <dt>revoked</dt>
                      <dd className="break-all">
                        <When at={v.revoked_at} /> {v.revocation_reason ? `(${v.revocation_reason})` : ""}
                      </dd>
                    </>
                  ) : null}
                  <dt>supersedes</dt>
                  <dd className="font-mono">{v.supersedes ?? "— (first version)"}</dd>
                </dl>
              </li>
            );
          })}
        </ol>
      </Section>

      {detail.status === "active" ? (
        <Section title="Revoke this token" id="revoke">
          <ActionForm
            action={revokeListedAction}
            submitLabel="Revoke"
            submitClassName={dangerButtonClass}
            testId="revoke-detail"
            className="max-w-md space-y-3"
            refreshOnSuccess
            confirm={{
              title: "Revoke this token?",
              body: (
                <>
                  Token <span className="break-all font-mono">{jwtUuid}</span> fails validation and introspection on every instance at once. A revocation cannot
                  be undone.
                </>
              ),
              confirmLabel: "Revoke token",
            }}
          >
            <input type="hidden" name="entries" value={jwtUuid} />
            <Field label="Reason" htmlFor="detail-reason">
              <input id="detail-reason" name="reason" required minLength={3} maxLength={500} className={inputClass} />
            </Field>
          </ActionForm>
        </Section>
      ) : null}

      <Section title="Audit events" id="audit">
        <p className="mb-2 text-xs text-slate-500">
          Revocations, extensions and logouts through the token API and TARA are added by the audit-fold job about a minute after they happen, with the time
          they happened.
        </p>
        {detail.audit.length === 0 ? (
          <p className="text-sm text-slate-500">No audit event names this token.</p>
        ) : (
          <ScrollRegion label="Audit events of this token">
            {/* A phone scrolls it rather than squeezing the reason into a column two letters wide. */}
            <table className="w-full min-w-[40rem] text-sm">
              <thead>
                <tr className="text-left text-slate-500">
                  <th>When</th>
                  <th>Actor</th>
                  <th>Action</th>
                  <th>Reason</th>
                </tr>
              </thead>
              <tbody>
                {detail.audit.map((a) => (
                  <tr key={a.id} className="border-t border-slate-100">
                    <td className="py-1">
                      <When at={a.at} />
                    </td>
                    <td className="break-all">
                      {a.actorType}: {a.actorId}
                    </td>
                    <td>{a.action}</td>
                    <td className="break-all">{a.reason ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        )}
      </Section>
    </>
  );
}
