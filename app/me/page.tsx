import type { Metadata } from "next";
import { ConfirmSubmit } from "@/app/admin/_components/confirm-dialog";
import { StackedCell, StackedRow, StackedTable } from "@/app/admin/_components/stacked-table";
import { ScrollRegion, When } from "@/app/admin/_components/ui";
import { requireUser } from "@/lib/auth/current-user";
import { listTaraSessions, type SessionStatus, type TaraSession } from "@/lib/tara/session";
import { describeOrigin } from "@/lib/tokens/origin-describe";
import { SignOutButton } from "@/app/me/sign-out-button";
import { endAllSessionsAction, endSessionAction } from "./actions";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "My sessions" };

const STATUS_STYLE: Record<SessionStatus, string> = {
  active: "bg-emerald-100 text-emerald-800",
  expired: "bg-slate-200 text-slate-700",
  revoked: "bg-red-100 text-red-800",
  superseded: "bg-slate-200 text-slate-700",
};

const COLUMNS = [
  ...["Status", "Device", "From", "Signed in with", "Signed in", "Last used", "Expires"].map((name) => ({ name })),
  { name: "Actions", visible: false },
];

/** The browser and OS, and the address (named when it is a private or loopback one): how a person tells sessions apart. */
function Origin({ session }: { session: TaraSession }) {
  const o = describeOrigin({ clientAddress: session.clientAddress, userAgent: session.userAgent });
  return (
    <>
      <StackedCell label="Device">
        <span data-testid="session-device" title={session.userAgent ?? undefined}>
          {o.device ?? "—"}
        </span>
      </StackedCell>
      <StackedCell label="From">
        <span data-testid="session-address" className="break-all">
          {o.address ?? "—"}
        </span>
        {o.network ? <span className="ml-1 text-xs text-slate-600">({o.network})</span> : null}
      </StackedCell>
    </>
  );
}

export default async function MePage() {
  const user = await requireUser("/me");
  const sessions = await listTaraSessions(user.subject);
  return (
    <main id="main" className="mx-auto max-w-6xl px-6 py-12">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">My TARA sessions</h1>
          <p className="mt-1 text-slate-600" data-testid="signed-in-as">
            Signed in as <span className="font-medium text-slate-900">{user.name}</span> ({user.subject}){user.role === "admin" && " · administrator"}
          </p>
        </div>
        <div className="flex gap-2">
          <SignOutButton className="rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium hover:bg-slate-100" />
          <form action={endAllSessionsAction}>
            <ConfirmSubmit
              label="End all sessions"
              className="rounded-md bg-red-700 px-4 py-2 text-sm font-medium text-white hover:bg-red-800"
              confirmClassName="rounded-md bg-red-700 px-4 py-2 text-sm font-medium text-white hover:bg-red-800"
              testId="end-all-confirm"
              confirm={{
                title: "End all your sessions?",
                body: "Every browser and app signed in with your TARA sessions is signed out at once, this one included. You can sign in again.",
                confirmLabel: "End all sessions",
              }}
            />
          </form>
        </div>
      </div>

      {/* A table from 640 px up; below that each session is a card of labelled lines, its End button on screen. */}
      <div className="mt-8 rounded-lg border border-slate-200 bg-white shadow-sm">
        <ScrollRegion label="My sessions">
          <StackedTable columns={COLUMNS}>
            {sessions.map((s) => (
              <StackedRow key={s.sessionId} data-testid="session-row" data-session-id={s.sessionId} data-status={s.status}>
                <StackedCell label="Status">
                  <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${STATUS_STYLE[s.status]}`}>{s.status}</span>
                  {s.sessionId === user.sessionId && <span className="ml-2 text-xs text-sky-700">this browser</span>}
                  {s.revokedReason && <span className="ml-2 break-all text-xs text-slate-600">({s.revokedReason})</span>}
                </StackedCell>
                <Origin session={s} />
                <StackedCell label="Signed in with">
                  {s.authMethod ?? "—"}
                  {s.levelOfAssurance ? <span className="text-slate-600"> · {s.levelOfAssurance}</span> : null}
                </StackedCell>
                <StackedCell label="Signed in">
                  <When at={s.authTime ?? s.startedAt} />
                </StackedCell>
                <StackedCell label="Last used">
                  <span data-testid="session-last-used">
                    {s.lastUsedAt ? (
                      <>
                        <When at={s.lastUsedAt} /> · {s.useCount.toLocaleString("en")} {s.useCount === 1 ? "use" : "uses"}
                      </>
                    ) : (
                      "not used yet"
                    )}
                  </span>
                </StackedCell>
                <StackedCell label="Expires">
                  <When at={s.expiresAt} />
                </StackedCell>
                <StackedCell label="Actions" unlabelled className="sm:text-right">
                  {s.status === "active" && (
                    <form action={endSessionAction}>
                      <input type="hidden" name="session_id" value={s.sessionId} />
                      <ConfirmSubmit
                        label="End"
                        className="text-sm font-medium text-red-700 hover:underline"
                        confirmClassName="rounded-md bg-red-700 px-4 py-2 text-sm font-medium text-white hover:bg-red-800"
                        testId="end-session-confirm"
                        confirm={{
                          title: "End this session?",
                          body:
                            s.sessionId === user.sessionId
                              ? "This browser is signed out at once."
                              : "The browser or app signed in with it is signed out at once; this one stays signed in.",
                          confirmLabel: "End session",
                        }}
                      />
                    </form>
                  )}
                </StackedCell>
              </StackedRow>
            ))}
          </StackedTable>
        </ScrollRegion>
      </div>
    </main>
  );
}
