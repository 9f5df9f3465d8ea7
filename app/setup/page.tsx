import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { ActionForm } from "@/app/admin/_components/action-form";
import { buttonClass } from "@/app/admin/_components/ui";
import { claimSetupAction } from "@/app/setup/actions";
import { hasAdministrator } from "@/lib/admins/first-run";
import { currentUser } from "@/lib/auth/current-user";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "First-run setup" };

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

/** The first-run setup link from the start-up log: the signed-in person becomes the first administrator. */
export default async function SetupPage({ searchParams }: Props) {
  const params = await searchParams;
  const code = typeof params.code === "string" ? params.code : "";
  const user = await currentUser();
  if (!user) redirect(`/signin?callbackUrl=${encodeURIComponent(`/setup?code=${encodeURIComponent(code)}`)}`);
  const done = await hasAdministrator();
  return (
    <main id="main" className="mx-auto max-w-xl px-6 py-16">
      <h1 className="text-2xl font-semibold tracking-tight">Set up TIM</h1>
      {done ? (
        <p className="mt-4 text-slate-700" data-testid="setup-done">
          TIM has an administrator already, so this link no longer works.{" "}
          {user.role === "admin" ? (
            <a className="text-sky-700 underline" href="/admin">
              Open the console
            </a>
          ) : (
            "Ask an administrator to grant you the role."
          )}
        </p>
      ) : (
        <>
          <p className="mt-4 text-slate-700">
            TIM has no administrator yet. You are signed in as <strong>{user.name}</strong> ({user.subject}). Become its first administrator? You can then grant
            the role to others in the console, and the setup link stops working.
          </p>
          <ActionForm
            action={claimSetupAction}
            submitLabel={`Make ${user.subject} the first administrator`}
            submitClassName={`${buttonClass} mt-6`}
            testId="setup-claim"
          >
            <input type="hidden" name="code" value={code} />
          </ActionForm>
        </>
      )}
    </main>
  );
}
