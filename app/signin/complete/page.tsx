import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { isSitePath } from "@/lib/tara/redirects";
import { CompleteSignIn } from "./complete-sign-in";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Signing in" };

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

/** TARA's login is done (the TIM TARA JWT cookie is set); next-auth now opens the web session. */
export default async function CompleteSignInPage({ searchParams }: Props) {
  const { callbackUrl, tara_login } = await searchParams;
  const target = typeof callbackUrl === "string" && isSitePath(callbackUrl) ? callbackUrl : "/me";
  // A login cancelled at TARA comes back here (lib/tara/callback-response.ts): back to the sign-in page, saying so.
  if (tara_login === "cancelled") redirect(`/signin?callbackUrl=${encodeURIComponent(target)}&error=cancelled`);
  return (
    <main id="main" className="mx-auto max-w-md px-6 py-16">
      <CompleteSignIn callbackUrl={target} />
    </main>
  );
}
