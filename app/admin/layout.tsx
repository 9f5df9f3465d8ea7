import type { ReactNode } from "react";
import { AdminNav } from "@/app/admin/_components/nav";
import { requireUser } from "@/lib/auth/current-user";

export const dynamic = "force-dynamic";

/** The console is for administrators (TIM_ADMIN_SUBJECTS); others are told so, signed-out visitors sign in first. */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const user = await requireUser("/admin");
  if (user.role !== "admin") {
    return (
      <main className="mx-auto max-w-xl px-6 py-16">
        <h1 className="text-2xl font-semibold tracking-tight">403 · Administrators only</h1>
        <p className="mt-3 text-slate-600">
          You are signed in as {user.name} ({user.subject}), who is not an administrator of TIM.{" "}
          <a className="text-sky-700 underline" href="/me">
            Your sessions
          </a>
        </p>
      </main>
    );
  }
  return (
    <>
      <AdminNav name={user.name} subject={user.subject} />
      <main className="mx-auto max-w-6xl px-4 py-8 sm:px-6">{children}</main>
    </>
  );
}
