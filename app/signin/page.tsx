import type { Metadata } from "next";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { currentUser } from "@/lib/auth/current-user";
import { localeFromAcceptLanguage } from "@/lib/tara/locale";
import { isSitePath } from "@/lib/tara/redirects";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in" };

const NOTICES: Record<string, string> = {
  ended: "You are signed out: your TARA session has ended.",
  cancelled: "The TARA login was cancelled. You are not signed in.",
  CredentialsSignin: "The TARA login did not complete. Please try again.",
};

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export default async function SignInPage({ searchParams }: Props) {
  const params = await searchParams;
  const wanted = typeof params.callbackUrl === "string" ? params.callbackUrl : "";
  const callbackUrl = isSitePath(wanted) ? wanted : "/me";
  if (await currentUser()) redirect(callbackUrl);
  const complete = `/signin/complete?callbackUrl=${encodeURIComponent(callbackUrl)}`;
  // TARA's pages, and TIM's pages about the login, speak the browser's language when TARA has it (spec §4.1 ui_locales).
  const locale = localeFromAcceptLanguage((await headers()).get("accept-language"));
  const loginHref = `/auth/login/tara?${new URLSearchParams({ redirect_uri: complete, ...(locale ? { ui_locales: locale } : {}) })}`;
  const notice = params.ended ? NOTICES.ended : typeof params.error === "string" ? (NOTICES[params.error] ?? NOTICES.CredentialsSignin) : null;
  return (
    <main id="main" className="mx-auto max-w-md px-6 py-16">
      <h1 className="text-2xl font-semibold tracking-tight">Sign in to TIM</h1>
      {notice && (
        <p role="status" className="mt-4 rounded-md border border-slate-300 bg-white p-3 text-sm text-slate-700">
          {notice}
        </p>
      )}
      <p className="mt-4 text-slate-600">TIM uses TARA, the Estonian state authentication service (ID-card, Mobile-ID, Smart-ID, eIDAS).</p>
      <a
        href={loginHref}
        className="mt-8 inline-block rounded-md bg-sky-700 px-5 py-3 font-medium text-white hover:bg-sky-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
      >
        Sign in with TARA
      </a>
    </main>
  );
}
