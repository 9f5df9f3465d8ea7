import { SignOutButton } from "@/app/me/sign-out-button";
import { currentUser } from "@/lib/auth/current-user";

/** Answered with HTTP 403 wherever a page calls forbidden(). */
export default async function Forbidden() {
  const user = await currentUser();
  return (
    <main id="main" className="mx-auto max-w-xl px-6 py-16">
      <h1 className="text-2xl font-semibold tracking-tight">403 · Administrators only</h1>
      <p className="mt-3 text-slate-600">
        {user
          ? `You are signed in as ${user.name} (${user.subject}), who is not an administrator of TIM: an administrator grants the role in the console (Administrators). `
          : ""}
        <a className="text-sky-700 underline" href="/me">
          Your sessions
        </a>
      </p>
      {user ? (
        <div className="mt-6 flex items-center gap-3">
          <SignOutButton />
          <span className="text-sm text-slate-600">to sign in as someone else.</span>
        </div>
      ) : null}
    </main>
  );
}
