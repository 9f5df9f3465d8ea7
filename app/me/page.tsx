import type { Metadata } from "next";
import { requireUser } from "@/lib/auth/current-user";
import { listTaraSessions, type SessionStatus } from "@/lib/tara/session";
import { SignOutButton } from "@/app/me/sign-out-button";
import { endAllSessionsAction, endSessionAction } from "./actions";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "My sessions" };

const STATUS_STYLE: Record<SessionStatus, string> = {
  active: "bg-emerald-100 text-emerald-800",
  expired: "bg-slate-200 text-slate-700",
  revoked: "bg-red-100 text-red-800",
};

const when = (d: Date | null) => (d ? `${d.toISOString().slice(0, 16).replace("T", " ")} UTC` : "—");

export default async function MePage() {
  const user = await requireUser("/me");
  const sessions = await listTaraSessions(user.subject);
  return (
    <main className="mx-auto max-w-5xl px-6 py-12">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">My TARA sessions</h1>
          <p className="mt-1 text-slate-600" data-testid="signed-in-as">
            Signed in as <span className="font-medium text-slate-900">{user.name}</span> ({user.subject})
            {user.role === "admin" && " · administrator"}
          </p>
        </div>
        <div className="flex gap-2">
          <SignOutButton className="rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium hover:bg-slate-100" />
          <form action={endAllSessionsAction}>
            <button className="rounded-md bg-red-700 px-4 py-2 text-sm font-medium text-white hover:bg-red-800">End all sessions</button>
          </form>
        </div>
      </div>

      <div className="mt-8 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
        <table className="min-w-full text-left text-sm">
          <thead className="bg-slate-50 text-slate-600">
            <tr>
              <th className="px-4 py-3 font-medium">Status</th>
              <th className="px-4 py-3 font-medium">Method</th>
              <th className="px-4 py-3 font-medium">Level</th>
              <th className="px-4 py-3 font-medium">Signed in</th>
              <th className="px-4 py-3 font-medium">Current token issued</th>
              <th className="px-4 py-3 font-medium">Expires</th>
              <th className="px-4 py-3" />
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {sessions.map((s) => (
              <tr key={s.sessionId} data-testid="session-row" data-session-id={s.sessionId} data-status={s.status}>
                <td className="px-4 py-3">
                  <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${STATUS_STYLE[s.status]}`}>{s.status}</span>
                  {s.sessionId === user.sessionId && <span className="ml-2 text-xs text-sky-700">this browser</span>}
                  {s.revokedReason && <span className="ml-2 text-xs text-slate-500">({s.revokedReason})</span>}
                </td>
                <td className="px-4 py-3">{s.authMethod ?? "—"}</td>
                <td className="px-4 py-3">{s.levelOfAssurance ?? "—"}</td>
                <td className="px-4 py-3">{when(s.authTime ?? s.startedAt)}</td>
                <td className="px-4 py-3">{when(s.issuedAt)}</td>
                <td className="px-4 py-3">{when(s.expiresAt)}</td>
                <td className="px-4 py-3 text-right">
                  {s.status === "active" && (
                    <form action={endSessionAction}>
                      <input type="hidden" name="session_id" value={s.sessionId} />
                      <button className="text-sm font-medium text-red-700 hover:underline">End</button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </main>
  );
}
