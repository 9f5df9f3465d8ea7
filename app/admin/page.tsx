import type { Metadata } from "next";
import { requireUser } from "@/lib/auth/current-user";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Console" };

export default async function AdminPage() {
  const user = await requireUser("/admin");
  if (user.role !== "admin") return null;
  return (
    <main className="mx-auto max-w-5xl px-6 py-12">
      <h1 className="text-2xl font-semibold tracking-tight">TIM console</h1>
      <p className="mt-1 text-slate-600" data-testid="admin-greeting">
        Signed in as administrator {user.name} ({user.subject}).
      </p>
    </main>
  );
}
