import { forbidden } from "next/navigation";
import type { ReactNode } from "react";
import { AdminNav } from "@/app/admin/_components/nav";
import { requireUser } from "@/lib/auth/current-user";

export const dynamic = "force-dynamic";

/** The console is for administrators (lib/auth/roles.ts); others get 403, signed-out visitors sign in first. */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const user = await requireUser("/admin");
  if (user.role !== "admin") forbidden();
  return (
    <>
      <AdminNav name={user.name} subject={user.subject} />
      <main id="main" className="mx-auto max-w-6xl px-4 py-8 sm:px-6">
        {children}
      </main>
    </>
  );
}
