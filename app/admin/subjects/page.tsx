import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { PageTitle } from "@/app/admin/_components/ui";
import { SubjectLookup } from "@/app/admin/subjects/subject-lookup";
import { requireUser } from "@/lib/auth/current-user";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Subjects" };

/** The subject lookup: a named subject goes to its view. */
export default async function SubjectsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser("/admin/subjects");
  if (user.role !== "admin") return null;
  const { subject } = await searchParams;
  const named = (Array.isArray(subject) ? subject[0] : subject)?.trim();
  if (named) redirect(`/admin/subjects/${encodeURIComponent(named)}`);
  return (
    <>
      <PageTitle title="Subjects">A subject&apos;s tokens at a glance, its recent tokens, and log out everywhere.</PageTitle>
      <SubjectLookup />
    </>
  );
}
